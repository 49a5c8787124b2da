"""SECURITY.md 49 for tokens, as the API sees them: a token of one account answers 404 for
another account's data, and a token does not follow its user to another account. (The pages'
side, shown once and kept as a digest, is in test_token_pages.py; every operation naming
another account's objects answering 404 is walked in test_api_access.py.)"""

import pytest

from portal.extensions import db
from tests.support.api import bearer, issue_token


def test_a_token_reads_its_own_account_only(client, two_accounts):
    plain = issue_token(two_accounts["acme_buyer"])
    body = client.get("/api/v1/me", headers=bearer(plain)).get_json()
    assert body["account"]["slug"] == "acme"
    assert "globex" not in str(body).lower()


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
