"""`flask --app portal api-token issue <email>`: a token for operators and the demo, printed
once, kept as a digest, limited by the user's role like the pages."""

import shlex
from pathlib import Path

import sqlalchemy as sa

from portal.api import tokens
from portal.api.models import ApiToken
from portal.cli import DEMO_TOKEN_COMMAND
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests.support.api import bearer
from tests.support.api_tokens import every_stored_text, tokens_in_db


def issue(app, *args):
    return app.test_cli_runner().invoke(args=["api-token", "issue", *args])


def test_the_command_prints_a_working_token_once(app, client, two_accounts):
    result = issue(
        app, "buyer@acme.example", "--name", "ERP", "--scopes", "read,order", "--days", "30"
    )
    assert result.exit_code == 0, result.output
    plain = result.output.strip().splitlines()[-1]
    assert plain.startswith(tokens.TOKEN_PREFIX)
    assert "Shown once" in result.output and "read order" in result.output
    [row] = tokens_in_db()
    assert (row.name, row.scopes, row.created_by_id) == ("ERP", "read order", None)
    assert plain not in every_stored_text()
    me = client.get("/api/v1/me", headers=bearer(plain)).get_json()
    assert me["email"] == "buyer@acme.example"
    action = db.session.scalar(
        sa.select(AuditEvent.action).where(AuditEvent.target == f"api_token:{row.id}")
    )
    assert action == "api_token.issue"


def test_the_command_reads_the_email_as_the_sign_in_does(app, two_accounts):
    result = issue(app, " Buyer@ACME.example ", "--name", "ERP")
    assert result.exit_code == 0, result.output
    assert tokens_in_db()[0].scopes == "read"


def test_the_command_refuses_what_the_pages_refuse(app, two_accounts):
    for args, says in (
        (["nobody@acme.example", "--name", "ERP"], "No user"),
        (["buyer@acme.example", "--name", "ERP", "--scopes", "read,approve"], "role"),
        (["buyer@acme.example", "--name", "ERP", "--days", "0"], "1 to"),
        (["buyer@acme.example", "--name", " "], "Name the token"),
    ):
        result = issue(app, *args)
        assert result.exit_code != 0 and says in result.output, (args, result.output)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_command_the_demo_prints_works_as_written(app, two_accounts):
    """`make demo` (seed-demo) prints DEMO_TOKEN_COMMAND; the README says the same."""
    words = shlex.split(DEMO_TOKEN_COMMAND)
    assert words[:3] == ["flask", "--app", "portal"]
    result = app.test_cli_runner().invoke(args=words[3:])
    assert result.exit_code == 0, result.output
    assert tokens_in_db()[0].user_id == two_accounts["acme_buyer"].id
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "api-token issue buyer@acme.example" in readme
