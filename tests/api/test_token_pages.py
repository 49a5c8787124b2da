"""API tokens as people keep them (SECURITY.md 48, 49): the customer admin's page for the
account's users, an account editor's page for an account, a member of staff's own page. A
token's value is shown once, on the answer to the POST that issued it."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from portal.api import tokens
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.extensions import db
from tests import factories
from tests.support.api import bearer
from tests.support.api_tokens import (
    every_stored_text,
    issue_form,
    shown_token,
    tokens_in_db,
)
from tests.support.web import count_queries, login

ADMIN_PAGE = "/a/acme/settings/tokens"


@pytest.fixture
def acme(two_accounts):
    """Acme with its buyer, an approver and a customer admin; Globex with its buyer."""
    with factories.committed_once():
        admin = factories.UserFactory(
            account=two_accounts["acme"], email="admin@acme.example", role="customer_admin"
        )
        approver = factories.UserFactory(
            account=two_accounts["acme"], email="approver@acme.example", role="approver"
        )
    return {**two_accounts, "admin": admin, "approver": approver}


def admin_client(client):
    assert login(client, "admin@acme.example").status_code == 302
    return client


def test_a_customer_admin_issues_a_token_shown_once(client, acme):
    admin_client(client)
    buyer = acme["acme_buyer"]
    page = client.post(ADMIN_PAGE, data=issue_form(buyer.id, scopes=("read", "order")))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    plain = shown_token(page)
    assert plain and plain.startswith("kap_")
    [row] = tokens_in_db()
    assert (row.user_id, row.account_id, row.scopes) == (buyer.id, acme["acme"].id, "read order")
    assert row.created_by_id == acme["admin"].id
    # It works at once, as its user
    me = client.get("/api/v1/me", headers=bearer(plain)).get_json()
    assert me["email"] == "buyer@acme.example" and me["token"]["scopes"] == ["order", "read"]
    # Never again: not on the list, not anywhere in the database
    listed = client.get(ADMIN_PAGE)
    assert plain not in listed.get_data(as_text=True) and shown_token(listed) is None
    assert row.prefix in listed.get_data(as_text=True)
    assert plain not in every_stored_text()
    assert tokens.digest(plain) in every_stored_text()
    # ... nor in the session (flashed messages included), which would keep it
    with client.session_transaction() as session:
        assert plain not in repr(dict(session))
    assert (
        db.session.scalar(
            sa.select(AuditEvent.action)
            .where(AuditEvent.actor_id == acme["admin"].id)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
        == "api_token.issue"
    )


def test_the_list_shows_holder_use_and_status(client, acme):
    live = tokens.issue(acme["admin"], acme["acme_buyer"], "Live", ["read"], 30)[0]
    old = tokens.issue(acme["admin"], acme["acme_buyer"], "Old", ["read"], 1)[0]
    gone = tokens.issue(acme["admin"], acme["acme_buyer"], "Gone", ["read"], 30)[0]
    tokens.revoke(acme["admin"], gone)
    live.last_used_at, live.last_used_from = utcnow(), "203.0.113.9"
    db.session.commit()
    with time_machine.travel(utcnow() + timedelta(days=2)):
        admin_client(client)
        text = client.get(ADMIN_PAGE).get_data(as_text=True)
    for token, state in ((live, "live"), (old, "expired"), (gone, "revoked")):
        assert f'data-token-id="{token.id}" data-token-status="{state}"' in text
    assert "203.0.113.9" in text and "buyer@acme.example" in text


def test_scopes_beyond_the_holders_role_are_refused_on_the_server(client, acme):
    admin_client(client)
    page = client.post(ADMIN_PAGE, data=issue_form(acme["acme_buyer"].id, scopes=("approve",)))
    assert page.status_code == 200 and shown_token(page) is None
    assert "role does not allow" in page.get_data(as_text=True)
    assert tokens_in_db() == []
    # An approver may carry approve
    page = client.post(ADMIN_PAGE, data=issue_form(acme["approver"].id, scopes=("approve",)))
    assert shown_token(page) and tokens_in_db()[0].scopes == "approve"


def test_only_the_accounts_active_users_may_hold_one(client, acme):
    admin_client(client)
    other = acme["globex_buyer"]
    page = client.post(ADMIN_PAGE, data=issue_form(other.id))
    assert shown_token(page) is None and tokens_in_db() == []
    acme["acme_buyer"].is_active = False
    db.session.commit()
    page = client.post(ADMIN_PAGE, data=issue_form(acme["acme_buyer"].id))
    assert shown_token(page) is None and tokens_in_db() == []


def test_the_same_form_sent_twice_issues_one_token(client, acme):
    admin_client(client)
    form = issue_form(acme["acme_buyer"].id)
    first = client.post(ADMIN_PAGE, data=form)
    assert shown_token(first)
    again = client.post(ADMIN_PAGE, data=form)
    assert shown_token(again) is None
    assert "already sent" in again.get_data(as_text=True)
    assert len(tokens_in_db()) == 1
    # A new form (a new one-time token) issues another
    client.post(ADMIN_PAGE, data=issue_form(acme["acme_buyer"].id, form_token="f" * 32))
    assert len(tokens_in_db()) == 2


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("30,5", "Write the number of days as a whole number, such as 90."),
        ("2.5", "Write the number of days as a whole number, such as 90."),
        ("x", "Write the number of days as a whole number, such as 90."),
        ("0", "A token is valid for at least 1 day."),
        ("-3", "A token is valid for at least 1 day."),
        ("366", "A token is valid for at most 365 days."),
        ("", "required"),
    ],
)
def test_days_that_are_no_number_of_days_are_refused(client, acme, days, message):
    admin_client(client)
    page = client.post(ADMIN_PAGE, data=issue_form(acme["acme_buyer"].id, days=days))
    assert shown_token(page) is None and tokens_in_db() == []
    text = page.get_data(as_text=True)
    assert message in text and "quantity" not in text.lower()


def test_full_width_days_are_read(client, acme):
    admin_client(client)
    page = client.post(ADMIN_PAGE, data=issue_form(acme["acme_buyer"].id, days="３０"))
    assert shown_token(page)
    [row] = tokens_in_db()
    assert timedelta(days=29, hours=23) < row.expires_at - utcnow() <= timedelta(days=30)


def test_the_form_offers_ninety_days_and_the_scopes_each_user_may_carry(client, acme):
    admin_client(client)
    text = client.get(ADMIN_PAGE).get_data(as_text=True)
    assert 'name="days"' in text and 'value="90"' in text
    assert f'value="{acme["acme_buyer"].id}" data-scopes="read order"' in text
    assert f'value="{acme["approver"].id}" data-scopes="read order approve"' in text


def test_after_issuing_the_form_comes_back_with_its_defaults_and_the_name_quoted(client, acme):
    admin_client(client)
    form = issue_form(acme["acme_buyer"].id, scopes=("read", "order"), days="30")
    page = client.post(ADMIN_PAGE, data={**form, "name": "mobile token"})
    text = page.get_data(as_text=True)
    assert shown_token(page) and "Copy the token “mobile token” now" in text
    [days] = re.findall(r'<input[^>]*name="days"[^>]*>', text)
    assert 'value="90"' in days
    ticked = re.findall(r'<input[^>]*checked[^>]*name="scopes"[^>]*value="(\w+)"', text)
    ticked += re.findall(r'<input[^>]*name="scopes"[^>]*value="(\w+)"[^>]*checked', text)
    assert ticked == ["read"]


def test_a_staff_member_is_offered_read_only(client, acme):
    factories.StaffFactory(email="field@northwind.example", role="field_sales")
    db.session.commit()
    login(client, "field@northwind.example")
    text = client.get("/staff/tokens").get_data(as_text=True)
    assert re.findall(r'name="scopes"[^>]*value="(\w+)"', text) == ["read"]
    assert "Read: accounts, lookup and what the API shows staff" in text
    assert "catalog, prices" not in text and "Approve:" not in text


def test_issuing_and_revoking_ask_for_a_fresh_sign_in(client, acme):
    admin_client(client)
    issued = tokens.issue(acme["admin"], acme["acme_buyer"], "ERP", ["read"], 30)[0]
    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        page = client.post(ADMIN_PAGE, data=issue_form(acme["acme_buyer"].id))
        assert page.status_code == 401 and shown_token(page) is None
        answer = client.post(f"{ADMIN_PAGE}/{issued.id}/revoke")
        assert answer.status_code == 401
        assert len(tokens_in_db()) == 1 and tokens_in_db()[0].revoked_at is None
        # Given the password, the issue goes through as typed
        page = client.post(
            ADMIN_PAGE,
            data={
                **issue_form(acme["acme_buyer"].id),
                "fresh_sign_in_password": "correct horse battery",
            },
        )
        assert shown_token(page)


def test_revoked_on_the_page_the_token_answers_401_at_once(client, acme):
    plain = tokens.issue(acme["admin"], acme["acme_buyer"], "ERP", ["read"], 30)[1]
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    admin_client(client)
    [row] = tokens_in_db()
    answer = client.post(f"{ADMIN_PAGE}/{row.id}/revoke")
    assert answer.status_code == 302
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 401
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.target == f"api_token:{row.id}")
    )
    assert set(actions) == {"api_token.issue", "api_token.revoke"}


def test_another_accounts_token_is_a_404(client, acme):
    theirs = tokens.issue(acme["globex_buyer"], acme["globex_buyer"], "Theirs", ["read"], 30)[0]
    admin_client(client)
    assert client.post(f"{ADMIN_PAGE}/{theirs.id}/revoke").status_code == 404
    assert (
        client.post(
            "/a/globex/settings/tokens", data=issue_form(acme["globex_buyer"].id)
        ).status_code
        == 404
    )
    assert client.get("/a/globex/settings/tokens").status_code == 404
    assert tokens_in_db()[0].revoked_at is None and len(tokens_in_db()) == 1


def test_a_buyer_opens_no_token_page(client, acme):
    login(client, "buyer@acme.example")
    assert client.get(ADMIN_PAGE).status_code == 404
    assert client.post(ADMIN_PAGE, data=issue_form(acme["acme_buyer"].id)).status_code == 404
    assert tokens_in_db() == []


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_issues_a_constant_number_of_queries(client, acme, count):
    holders = [acme["acme_buyer"], acme["approver"], acme["admin"]]
    for n in range(count):
        tokens.issue(acme["admin"], holders[n % 3], f"T{n}", ["read"], 30)
    admin_client(client)
    client.get(ADMIN_PAGE)
    with count_queries() as statements:
        page = client.get(ADMIN_PAGE)
    assert page.get_data(as_text=True).count("data-token-id=") == count
    # pinned, so that neither 3 nor 30 tokens may add one
    assert len(statements) == QUERIES_OF_THE_LIST, statements


#: The signed-in user with their account (which is the page's: account_or_404 reads it no
#: more), its users, its tokens with their holder and issuer.
QUERIES_OF_THE_LIST = 3


# --- staff ---


def test_a_staff_member_issues_their_own_read_token(client, acme):
    staff = factories.StaffFactory(email="field@northwind.example", role="field_sales")
    db.session.commit()
    login(client, "field@northwind.example")
    page = client.post("/staff/tokens", data=issue_form(scopes=("read",)))
    plain = shown_token(page)
    assert plain and page.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/me", headers=bearer(plain)).get_json()["account"] is None
    page = client.post(
        "/staff/tokens", data=issue_form(scopes=("read", "order"), form_token="e" * 32)
    )
    assert shown_token(page) is None and len(tokens_in_db()) == 1
    # Another's user id in the form issues nothing for them
    page = client.post("/staff/tokens", data=issue_form(acme["acme_buyer"].id, form_token="d" * 32))
    assert all(row.user_id == staff.id for row in tokens_in_db())


def test_a_staff_member_cannot_revoke_anothers_own_token(client, acme):
    factories.StaffFactory(email="field@northwind.example", role="field_sales")
    other = factories.StaffFactory(email="finance@northwind.example", role="finance")
    db.session.commit()
    theirs = tokens.issue(other, other, "Theirs", ["read"], 30)[0]
    login(client, "field@northwind.example")
    assert client.post(f"/staff/tokens/{theirs.id}/revoke").status_code == 404
    assert "Theirs" not in client.get("/staff/tokens").get_data(as_text=True)
    assert tokens_in_db()[0].revoked_at is None


def test_an_account_editor_issues_and_revokes_for_an_accounts_user(client, acme):
    factories.StaffFactory(email="admin@northwind.example", role="account_admin")
    db.session.commit()
    login(client, "admin@northwind.example")
    assert 'data-action="api-tokens"' in client.get("/staff/accounts/acme").get_data(as_text=True)
    page = client.post(
        "/staff/accounts/acme/tokens",
        data=issue_form(acme["acme_buyer"].id, scopes=("read", "order")),
    )
    plain = shown_token(page)
    assert plain and client.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    [row] = tokens_in_db()
    # Not through another account's page
    assert client.post(f"/staff/accounts/globex/tokens/{row.id}/revoke").status_code == 404
    assert client.post(f"/staff/accounts/acme/tokens/{row.id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 401


def test_the_call_centre_opens_its_own_tokens_but_no_accounts(client, acme):
    factories.StaffFactory(email="callcenter@northwind.example", role="call_center")
    db.session.commit()
    login(client, "callcenter@northwind.example")
    assert client.get("/staff/tokens").status_code == 200
    assert client.get("/staff/accounts/acme/tokens").status_code == 403
    assert 'data-action="api-tokens"' not in client.get("/staff/accounts/acme").get_data(
        as_text=True
    )
