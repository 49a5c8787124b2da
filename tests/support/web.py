"""The app's test settings, and what a browser does: sign in, fill the account form; and a
counter of the SQL statements a page issues."""

import re
from contextlib import contextmanager

import sqlalchemy as sa

from portal.extensions import db

#: Every factory user's password.
PASSWORD = "correct horse battery"


def make_config(url: str, **overrides) -> dict:
    config = {
        "PORTAL_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "HSTS": False,
        # No deliverer thread: tests deliver the outbox by calling it.
        "OUTBOX_DELIVERY": "worker",
        # Webhooks post to receivers on loopback (tests/support/webhooks.py).
        "WEBHOOK_ALLOW_PRIVATE": True,
        # argon2 at its cheapest: a sign-in at production cost takes about 0.3-0.6 s here. The
        # tests of hashing itself ask for the production profile (tests/fixtures/passwords.py),
        # and a production config made here keeps production's (it refuses a cheaper one).
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
    }
    if overrides.get("PORTAL_ENV") == "production":
        del config["PASSWORD_HASH_PROFILE"]
        del config["WEBHOOK_ALLOW_PRIVATE"]
    config.update(overrides)
    return config


def login(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def signed_in(web, email, password=PASSWORD):
    """A test client of `web`, signed in."""
    client = web.test_client()
    response = login(client, email, password)
    assert response.status_code == 302, f"{email} could not sign in"
    return client


def token_in(page) -> str:
    """The (first) CSRF token on a page."""
    match = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    )
    if match is None:
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client, email):
    """Sign in through the form as a browser does, CSRF token and all."""
    token = token_in(client.get("/login"))
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, f"{email} could not sign in"
    return client


def account_form(account=None, **changes) -> dict:
    """Everything the account form posts, as it would arrive from the browser."""
    data = {
        "name": account.name if account else "Umbrella Corporation",
        "welcome_text": account.welcome_text if account else "Welcome.",
        "brand_colour": account.brand_colour if account else "#1f4e9c",
        "hotline_phone": account.hotline_phone if account else "+86 21 5555 0199",
        "time_zone": account.time_zone if account else "Asia/Shanghai",
        "currency": account.currency if account else "CNY",
        "tier": account.tier if account else "standard",
        "tax_treatment": account.tax_treatment if account else "domestic_vat_included",
        "inside_sales_rep_id": "0",
        "backup_rep_id": "0",
        "field_sales_rep_id": "0",
        "is_po_required": "y" if account and account.is_po_required else "",
    }
    if account is None:
        data["slug"] = "umbrella"
    data.update(changes)
    return data


def reload(obj):
    """The row as the database now has it (requests commit through their own sessions)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


@contextmanager
def count_queries():
    """Count the SQL statements issued inside the block (for constant-query tests)."""
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK)", statement):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def input_value(page, name: str) -> str:
    """The value of the (one) input named `name` on a page, as the person sees it."""
    [tag] = re.findall(rf'<input [^>]*name="{name}"[^>]*>', page.get_data(as_text=True))
    match = re.search(r'value="([^"]*)"', tag)
    return match.group(1) if match else ""
