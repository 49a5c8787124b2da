"""SECURITY.md 49 for tokens, as the API sees them: a token of one account answers 404 for
another account's data, and a token does not follow its user to another account. (The pages'
side, shown once and kept as a digest, is in test_token_pages.py.)"""

import pytest

from portal.extensions import db
from tests.support.api import bearer, issue_token


def other_accounts_url(rule, other) -> str:
    """The rule's URL naming the other account's objects."""
    values = {"slug": other["globex"].slug}
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: give a value of the other account for {sorted(missing)}"
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", str(value))
    return path


def test_a_token_reads_its_own_account_only(client, two_accounts):
    plain = issue_token(two_accounts["acme_buyer"])
    body = client.get("/api/v1/me", headers=bearer(plain)).get_json()
    assert body["account"]["slug"] == "acme"
    assert "globex" not in str(body).lower()


def test_every_operation_naming_another_account_answers_404(app, client, two_accounts):
    """Each GET of the API whose path names an account's object, asked with an Acme token for
    Globex's: 404, the same as for nothing at all (the list grows with the operations)."""
    plain = issue_token(two_accounts["acme_buyer"], scopes=("read", "order"))
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.arguments and "GET" in rule.methods
    ]
    for rule in rules:
        answer = client.get(other_accounts_url(rule, two_accounts), headers=bearer(plain))
        assert answer.status_code == 404, rule.rule


def test_a_token_does_not_follow_its_user_to_another_account(client, two_accounts):
    buyer = two_accounts["acme_buyer"]
    plain = issue_token(buyer)
    buyer.account_id = two_accounts["globex"].id
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 401


@pytest.mark.parametrize("scopes", [("read",), ("read", "order")])
def test_a_token_carries_exactly_its_scopes(client, two_accounts, scopes):
    plain = issue_token(two_accounts["acme_buyer"], scopes=scopes)
    body = client.get("/api/v1/me", headers=bearer(plain)).get_json()
    assert body["token"]["scopes"] == sorted(scopes)
