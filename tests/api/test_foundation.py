"""The API's foundation: Bearer tokens (SECURITY.md 49), roles and scopes, problem documents,
cursors, and the OpenAPI document built from the code."""

from datetime import timedelta

import pytest
import time_machine

from portal.api import pagination, tokens
from portal.api.models import ApiToken
from portal.core.db import utcnow
from portal.core.problems import PROBLEM_TYPE
from portal.extensions import db
from tests import factories
from tests.support.api import bearer, issue_token
from tests.support.web import sign_in


def test_a_token_acts_as_its_user(client, two_accounts):
    plain = issue_token(two_accounts["acme_buyer"])
    answer = client.get("/api/v1/me", headers=bearer(plain))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["email"] == "buyer@acme.example"
    assert body["account"]["slug"] == "acme"
    assert body["token"]["scopes"] == ["read"]


def test_the_token_is_kept_as_a_digest_only(two_accounts):
    plain = issue_token(two_accounts["acme_buyer"])
    row = db.session.query(ApiToken).one()
    assert row.token_hash == tokens.digest(plain) and plain not in (row.token_hash, row.prefix)
    assert plain.startswith(row.prefix)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer kap_not-a-token", "Basic dXNlcjpwYXNz", "Token kap_x"],
)
def test_without_a_live_token_the_answer_is_401_as_a_problem(client, two_accounts, header):
    headers = {"Authorization": header} if header else {}
    answer = client.get("/api/v1/me", headers=headers)
    assert answer.status_code == 401
    assert answer.mimetype == PROBLEM_TYPE
    assert answer.get_json()["status"] == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_session_cookie_does_not_authenticate_the_api(client, two_accounts):
    sign_in(client, "buyer@acme.example")
    assert client.get("/a/acme/cart").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_a_revoked_token_answers_401(client, two_accounts):
    buyer = two_accounts["acme_buyer"]
    plain = issue_token(buyer)
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    tokens.revoke(buyer, db.session.query(ApiToken).one())
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 401


def test_an_expired_token_answers_401(client, two_accounts):
    plain = issue_token(two_accounts["acme_buyer"], days=1)
    with time_machine.travel(utcnow() + timedelta(days=1, seconds=1)):
        assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 401


def test_a_deactivated_users_token_answers_401(client, two_accounts):
    buyer = two_accounts["acme_buyer"]
    plain = issue_token(buyer)
    buyer.is_active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 401


def test_the_last_use_is_recorded(client, two_accounts):
    plain = issue_token(two_accounts["acme_buyer"])
    client.get("/api/v1/me", headers=bearer(plain))
    db.session.expire_all()
    assert db.session.query(ApiToken).one().last_used_at is not None


def test_scopes_beyond_the_role_are_refused(two_accounts):
    from portal.core.errors import ServiceError

    with pytest.raises(ServiceError):
        issue_token(two_accounts["acme_buyer"], scopes=("read", "approve"))
    staff = factories.StaffFactory()
    db.session.commit()
    with pytest.raises(ServiceError):
        issue_token(staff, scopes=("read", "order"))
    assert db.session.query(ApiToken).count() == 0


def test_a_cursor_round_trips_and_a_forged_one_is_refused():
    assert pagination.decode(pagination.encode(42)) == 42
    for forged in ("!!", "bnVsbA", pagination.encode(0), "WyJ4Il0"):
        with pytest.raises(pagination.ApiProblem):
            pagination.decode(forged)


def test_every_route_of_the_api_is_in_the_document(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    routes = {
        (rule.rule, method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    from portal.api.spec import _path

    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert {(_path(rule), method) for rule, method in routes} == documented


def test_the_document_is_valid_openapi_3_1(client):
    import schemathesis

    document = client.get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document)
    assert len(list(schema.get_all_operations())) >= 3


def test_the_readable_page_lists_the_operations(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert 'data-operation="me"' in page.get_data(as_text=True)


def test_every_schema_of_the_document_has_a_plain_name(client):
    """Two models of one class name would be written as module paths (portal__api__...)."""
    names = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert [name for name in names if "__" in name or "." in name] == []


def test_the_document_describes_the_api(client):
    info = client.get("/api/v1/openapi.json").get_json()["info"]
    assert "Authorization: Bearer" in info["description"]
    assert "Idempotency-Key" in info["description"]


def test_the_readable_page_explains_webhooks_rate_limits_and_punchout(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    for anchor in ('id="webhooks"', 'id="rate-limits"', 'id="punchout"'):
        assert anchor in page
    assert "order.status_changed" in page and "Portal-Signature" in page
    assert "hmac.compare_digest" in page and "Retry-After" in page
    assert "/punchout/setup" in page and "/punchout/order" in page and "new window" in page


def test_the_readable_page_gives_each_parameters_description_default_and_limits(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    row = page.split('data-operation="list_orders"', 1)[1].split('data-parameter="limit"', 1)[1]
    row = row.split("</tr>", 1)[0]
    assert "Items a page." in row and "<code>50</code>" in row
    assert "minimum: 1" in row and "maximum: 200" in row


def test_a_required_header_is_enforced_by_the_operation_not_the_view():
    """spec's wrapper answers 400 naming the header, before the view runs."""
    from flask import Flask
    from flask_babel import Babel

    from portal.api.spec import ApiProblem, Header, operation

    app = Flask(__name__)
    Babel(app)
    ran = []

    @app.post("/thing")
    @operation(
        summary="A thing",
        tag="test",
        scope=None,
        headers=(Header("X-Thing-Key", "Required.", required=True),),
    )
    def thing():
        ran.append(True)

    app.register_error_handler(ApiProblem, lambda error: error.response())
    client = app.test_client()
    for value in (None, "  ", "k" * 201):
        headers = {} if value is None else {"X-Thing-Key": value}
        answer = client.post("/thing", headers=headers)
        assert answer.status_code == 400
        body = answer.get_json()
        assert body["code"] == "x_thing_key_required" and "X-Thing-Key" in body["detail"]
        assert body["errors"] == [{"field": "header.X-Thing-Key", "message": body["detail"]}]
    assert ran == []
    assert client.post("/thing", headers={"X-Thing-Key": "k"}).status_code == 204
    assert ran == [True]
