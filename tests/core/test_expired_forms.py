"""A form sent after its session ended, or with a token that no longer matches the session
(issue 13, item 7), gets a branded page that says what happened and leads back to the form,
through sign-in when needed: never a bare 400, never a 405 after signing in."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from portal import create_app
from portal.accounts.models import KeyAccount
from portal.extensions import db
from tests import factories
from tests.support.auth import SESSION_COOKIE, Clock
from tests.support.web import PASSWORD, account_form, make_config, sign_in, token_in

HOST = "http://localhost"


@pytest.fixture(scope="module")
def web(app):
    """The app as deployed: CSRF protection on."""
    return create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True))


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(datetime(2030, 1, 7, 9, 0, tzinfo=UTC))
    monkeypatch.setattr("portal.core.db.utcnow", clock)
    return clock


@pytest.fixture
def staff(two_accounts):
    factories.StaffFactory(email="admin@northwind.example")
    factories.StaffFactory(email="finance@northwind.example", role="finance")


def next_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["next"][0]


def welcome_text(slug: str) -> str:
    db.session.expire_all()
    return db.session.query(KeyAccount.welcome_text).filter_by(slug=slug).scalar()


def test_a_form_opened_before_signing_in_again_explains_and_leads_back_to_it(web, staff):
    # Given a form opened, then the user signed out and in again (in another tab, say)
    browser = sign_in(web.test_client(), "admin@northwind.example")
    stale = token_in(browser.get("/staff/accounts/acme/edit"))
    browser.post("/logout", data={"csrf_token": stale})
    sign_in(browser, "admin@northwind.example")

    # When the old form is sent
    response = browser.post(
        "/staff/accounts/acme/edit",
        data=account_form(two_accounts_acme(), welcome_text="Lost?", csrf_token=stale),
        headers={"Referer": f"{HOST}/staff/accounts/acme/edit"},
    )

    # Then a branded page says so and leads back to the form; nothing was saved
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "data-form-expired" in page and "Nothing was saved" in page
    assert 'href="/staff/accounts/acme/edit"' in page
    assert welcome_text("acme") == "Welcome."


def two_accounts_acme():
    return db.session.query(KeyAccount).filter_by(slug="acme").one()


def test_a_form_sent_after_the_browser_lost_its_session_leads_to_sign_in_and_back(web, staff):
    # Given a form opened, and the browser then restarted (its session cookie gone)
    browser = sign_in(web.test_client(), "admin@northwind.example")
    token = token_in(browser.get("/staff/accounts/acme/edit"))
    browser.delete_cookie(SESSION_COOKIE)

    response = browser.post(
        "/staff/accounts/acme/edit",
        data=account_form(two_accounts_acme(), welcome_text="Lost?", csrf_token=token),
    )

    # Then the page leads to sign-in, and sign-in back to the form (its URL answers GET)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "data-form-expired" in page
    assert 'href="/login?next=/staff/accounts/acme/edit"' in page
    assert welcome_text("acme") == "Welcome."


def test_a_form_sent_after_the_session_idled_out_returns_to_its_page_after_sign_in(
    web, staff, clock
):
    # Given finance opened the account page with its credit-hold form, and left it for 3 hours
    browser = sign_in(web.test_client(), "finance@northwind.example")
    token = token_in(browser.get("/staff/accounts/acme"))
    clock.advance(hours=3)

    # When they send the form (to a URL that answers POST only)
    response = browser.post(
        "/staff/accounts/acme/credit-hold",
        data={"reason": "Unpaid", "hold": "1", "csrf_token": token},
        headers={"Referer": f"{HOST}/staff/accounts/acme"},
    )

    # Then they are sent to sign in, told why, and sign-in leads back to the account page
    assert response.status_code == 303
    assert next_of(response.headers["Location"]) == "/staff/accounts/acme"
    login_page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session ended while the form was open, so nothing was saved." in login_page
    assert not two_accounts_acme().is_on_credit_hold
    response = browser.post(
        "/login",
        data={
            "email": "finance@northwind.example",
            "password": PASSWORD,
            "next": "/staff/accounts/acme",
            "csrf_token": token_in(browser.get("/login")),
        },
    )
    assert response.headers["Location"] == "/staff/accounts/acme"
    assert browser.get("/staff/accounts/acme").status_code == 200


def test_a_page_visited_signed_out_still_returns_to_itself_after_sign_in(web, staff):
    response = web.test_client().get("/staff/accounts/acme/edit?tab=users")
    assert response.status_code == 302
    assert next_of(response.headers["Location"]) == "/staff/accounts/acme/edit?tab=users"
