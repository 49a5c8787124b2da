"""Sessions: fixation (SECURITY.md 8), replay after logout (9), revocation (10), cookie
attributes (11) and lifetimes (12)."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.http import parse_date

from portal import configure, create_app
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.auth import services
from portal.auth.models import UserSession
from portal.extensions import db
from tests.factories import StaffFactory
from tests.support.auth import REMEMBER_COOKIE, SESSION_COOKIE, cookie_value, shows_sign_in_form
from tests.support.web import PASSWORD, login, make_config

NEW_PASSWORD = "tangerine kettle on a monday"


def signed_in_client(app, email="buyer@acme.example", **extra):
    client = app.test_client()
    response = login(client, email, **extra)
    assert response.status_code == 302, "sign-in failed"
    return client


def replay(app, cookies: dict):
    """A fresh browser holding only the given cookies, as an attacker who captured them."""
    client = app.test_client()
    for name, value in cookies.items():
        if value is not None:
            client.set_cookie(name, value)
    return client


def is_signed_in_as_buyer(client) -> bool:
    """Acme's landing page shows the buyer's portal, or the sign-in form to a visitor."""
    page = client.get("/a/acme/")
    signed_in = page.status_code == 200 and b"Welcome, " in page.data
    assert signed_in != shows_sign_in_form(page), "neither the portal nor the sign-in form"
    return signed_in


def stored_hash(user) -> str:
    return db.session.scalar(sa.select(User.password_hash).where(User.id == user.id))


def captured(client) -> dict:
    return {name: cookie_value(client, name) for name in (SESSION_COOKIE, REMEMBER_COOKIE)}


# SECURITY.md 8: session fixation.


def test_sign_in_clears_what_the_session_held_before(client, buyer):
    # Given a session with data from before sign-in, such as a planted value
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"

    # When the user signs in
    login(client, "buyer@acme.example")

    # Then nothing from before survives
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"]


def test_sign_in_replaces_the_session_cookie(app, client, buyer):
    # Given a browser with a session cookie from before sign-in
    with client.session_transaction() as session:
        session["cart_hint"] = "x"
    before = cookie_value(client, SESSION_COOKIE)
    assert before

    # When the user signs in
    login(client, "buyer@acme.example")

    # Then the cookie changed, and the old one, replayed, is not signed in
    assert cookie_value(client, SESSION_COOKIE) != before
    assert not is_signed_in_as_buyer(replay(app, {SESSION_COOKIE: before}))
    assert is_signed_in_as_buyer(client)


def test_each_sign_in_gets_a_new_random_session_identifier(app, buyer):
    # When the same user signs in twice
    first, second = signed_in_client(app), signed_in_client(app)

    # Then each sign-in is named by its own random token, never by the user id
    with first.session_transaction() as one, second.session_transaction() as two:
        tokens = {one["_user_id"], two["_user_id"]}
    assert len(tokens) == 2
    assert str(buyer.id) not in tokens
    assert all(len(token) >= 32 for token in tokens)


# SECURITY.md 9: a cookie captured before logout is worthless after it.


def test_cookies_replayed_after_logout_land_on_the_sign_in_page(app, buyer):
    # Given a signed-in browser whose session and remember cookies were captured
    browser = signed_in_client(app, remember="y")
    stolen = captured(browser)
    assert all(stolen.values())
    assert is_signed_in_as_buyer(replay(app, stolen)), "the captured cookies work before logout"

    # When the user signs out
    assert browser.post("/logout").status_code == 302

    # Then the captured cookies, together or alone, show the sign-in form
    assert not is_signed_in_as_buyer(replay(app, stolen))
    assert not is_signed_in_as_buyer(replay(app, {SESSION_COOKIE: stolen[SESSION_COOKIE]}))
    assert not is_signed_in_as_buyer(replay(app, {REMEMBER_COOKIE: stolen[REMEMBER_COOKIE]}))


def test_a_staff_cookie_replayed_after_logout_is_sent_to_sign_in(app):
    # Given a signed-in member of staff whose cookies were captured
    StaffFactory(email="admin@northwind.example")
    browser = signed_in_client(app, "admin@northwind.example", remember="y")
    stolen = captured(browser)
    assert replay(app, stolen).get("/staff/").status_code == 200

    # When they sign out, then the replayed cookies are sent to the sign-in page
    browser.post("/logout")
    response = replay(app, stolen).get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_deletes_the_remember_cookie_from_the_browser(app, buyer):
    browser = signed_in_client(app, remember="y")
    assert cookie_value(browser, REMEMBER_COOKIE)

    browser.post("/logout")

    assert cookie_value(browser, REMEMBER_COOKIE) is None


def test_logout_ends_only_the_session_of_this_browser(app, buyer):
    office, home = signed_in_client(app), signed_in_client(app)
    office.post("/logout")
    assert not is_signed_in_as_buyer(office)
    assert is_signed_in_as_buyer(home)


# SECURITY.md 10: deactivation and password changes end every session.


@pytest.fixture
def three_browsers(app, buyer):
    """The buyer signed in three ways: a session cookie, a remembered sign-in, and a browser
    that holds only the remember cookie (as after a restart)."""
    plain = signed_in_client(app)
    remembered = signed_in_client(app, remember="y")
    restarted = replay(app, {REMEMBER_COOKIE: cookie_value(remembered, REMEMBER_COOKIE)})
    browsers = {"plain": plain, "remembered": remembered, "restarted": restarted}
    assert all(is_signed_in_as_buyer(b) for b in browsers.values())
    return browsers


def test_deactivating_a_user_ends_every_session_and_remember_cookie(
    two_accounts, buyer, three_browsers
):
    # When an admin deactivates the buyer
    admin = StaffFactory()
    values = {
        "name": buyer.name,
        "email": buyer.email,
        "phone": buyer.phone,
        "role": buyer.role,
        "spending_limit_amount": None,
        "is_active": False,
    }
    accounts.update_user(admin, two_accounts["acme"], buyer, values)

    # Then every browser is signed out at its next request
    assert [n for n, b in three_browsers.items() if is_signed_in_as_buyer(b)] == []


def test_a_deactivated_users_session_is_not_resumed_even_when_remembered(buyer):
    # Given a remembered session of the buyer, who is then deactivated
    token = services.start_session(buyer, remember=True)
    assert services.resume_session(token) == buyer
    buyer.is_active = False
    db.session.commit()

    # When the session is resumed, then it is refused and its row is gone
    assert services.resume_session(token) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_changing_ones_password_ends_every_other_session_and_remember_cookie(app, three_browsers):
    # Given the buyer in one more browser
    here = signed_in_client(app)

    # When they change their password there
    response = here.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302

    # Then every other browser is signed out, and this one stays signed in
    assert [n for n, b in three_browsers.items() if is_signed_in_as_buyer(b)] == []
    assert is_signed_in_as_buyer(here)


def test_an_admin_setting_a_password_ends_every_session_and_remember_cookie(buyer, three_browsers):
    accounts.set_password(StaffFactory(), buyer, NEW_PASSWORD)

    assert [n for n, b in three_browsers.items() if is_signed_in_as_buyer(b)] == []


# SECURITY.md 11: cookie attributes.


def production_like_config(app) -> dict:
    """The test settings minus their local-development cookie and HSTS relaxations, so the
    values under test are the ones production gets from portal.config."""
    config = make_config(app.config["SQLALCHEMY_DATABASE_URI"])
    for relaxed in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "HSTS"):
        del config[relaxed]
    return config


def set_cookies(response) -> dict[str, dict]:
    """{cookie name: {attribute (lower case): value or True}} from the Set-Cookie headers."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        name = first.split("=", 1)[0]
        cookies[name] = {}
        for attribute in attributes:
            key, _, value = attribute.partition("=")
            cookies[name][key.lower()] = value or True
    return cookies


def test_production_cookies_are_secure_httponly_and_samesite_lax(app, buyer):
    # Given the app with production cookie settings, behind HTTPS
    secure_app = create_app(production_like_config(app))
    browser = secure_app.test_client()

    # When the buyer signs in with "keep me signed in", and then signs out
    https = "https://localhost"
    signed_in = browser.post(
        "/login",
        data={"email": "buyer@acme.example", "password": PASSWORD, "remember": "y"},
        base_url=https,
    )
    signed_out = browser.post("/logout", base_url=https)

    # Then every cookie set (deletions aside) carries Secure, HttpOnly and SameSite=Lax
    cookies = set_cookies(signed_in)
    assert set(cookies) == {SESSION_COOKIE, REMEMBER_COOKIE}
    after_logout = {n: a for n, a in set_cookies(signed_out).items() if a.get("max-age") != "0"}
    assert SESSION_COOKIE in after_logout
    for name, attributes in [*cookies.items(), *after_logout.items()]:
        assert attributes.get("secure") is True, name
        assert attributes.get("httponly") is True, name
        assert str(attributes.get("samesite")).lower() in ("lax", "strict"), name


@pytest.mark.date_sensitive
def test_remember_me_lasts_at_most_thirty_days_in_the_cookie_and_on_the_server(app, buyer):
    browser = app.test_client()
    response = login(browser, "buyer@acme.example", remember="y")

    expires = parse_date(set_cookies(response)[REMEMBER_COOKIE]["expires"])
    assert expires - datetime.now(UTC) <= timedelta(days=30)
    row = db.session.scalars(sa.select(UserSession).where(UserSession.is_remembered)).one()
    assert row.expires_at - row.created_at <= timedelta(days=30)


@pytest.mark.parametrize("env", ["production", "testing"])
def test_only_local_development_relaxes_the_cookie_settings(monkeypatch, env):
    # Given the settings an app gets outside local development
    monkeypatch.delenv("REDIS_URL", raising=False)
    flask_app = Flask("settings")
    configure(
        flask_app,
        {
            "PORTAL_ENV": env,
            "SECRET_KEY": "a-production-secret-that-is-long-enough-0123456789",
            "RATELIMIT_STORAGE_URI": "redis://redis:6379/0",
        },
    )
    config = flask_app.config

    # Then cookies are Secure, HttpOnly and SameSite=Lax, and remember-me is short
    for prefix in ("SESSION_COOKIE", "REMEMBER_COOKIE"):
        assert config[f"{prefix}_SECURE"] is True
        assert config[f"{prefix}_HTTPONLY"] is True
        assert config[f"{prefix}_SAMESITE"] in ("Lax", "Strict")
    assert config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)


# SECURITY.md 12: idle and absolute lifetimes; sensitive changes re-authenticate.


def test_a_session_idle_for_more_than_two_hours_ends(app, buyer, clock):
    browser = signed_in_client(app)

    # Activity within two hours keeps the session alive, however long it goes on
    for _ in range(3):
        clock.advance(hours=1, minutes=59)
        assert is_signed_in_as_buyer(browser)

    # Two hours and one minute of silence end it
    clock.advance(hours=2, minutes=1)
    assert not is_signed_in_as_buyer(browser)


def test_a_session_ends_twelve_hours_after_sign_in_however_active(app, buyer, clock):
    browser = signed_in_client(app)

    for _ in range(11):
        clock.advance(hours=1)
        assert is_signed_in_as_buyer(browser)
    clock.advance(minutes=59)
    assert is_signed_in_as_buyer(browser)

    clock.advance(minutes=1)
    assert not is_signed_in_as_buyer(browser)


def test_a_remembered_sign_in_survives_idle_days_but_ends_after_seven(app, buyer, clock):
    browser = signed_in_client(app, remember="y")
    restarted = replay(app, {REMEMBER_COOKIE: cookie_value(browser, REMEMBER_COOKIE)})

    # Three idle days later the browser, even restarted, is still signed in
    clock.advance(days=3)
    assert is_signed_in_as_buyer(restarted)

    # Still in use, it ends seven days after sign-in all the same
    clock.advance(days=3, hours=23, minutes=59)
    assert is_signed_in_as_buyer(browser)
    clock.advance(minutes=1)
    assert not is_signed_in_as_buyer(browser)
    assert not is_signed_in_as_buyer(restarted)


def test_changing_the_password_needs_the_current_one_even_when_signed_in(app, buyer):
    # Given a browser signed in only through its remember cookie
    remembered = signed_in_client(app, remember="y")
    browser = replay(app, {REMEMBER_COOKIE: cookie_value(remembered, REMEMBER_COOKIE)})
    assert is_signed_in_as_buyer(browser)
    old_hash = buyer.password_hash

    # When it tries to change the password without knowing the current one
    response = browser.post(
        "/password",
        data={"current_password": "a guess", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    # Then nothing changes, and no session ends
    assert response.status_code == 200
    assert b"The current password is not correct." in response.data
    assert stored_hash(buyer) == old_hash
    assert is_signed_in_as_buyer(remembered)


def test_an_anonymous_visitor_cannot_reach_the_change_password_page(client):
    response = client.get("/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
