"""CSRF (SECURITY.md 20): with protection on, a POST without a token or with another session's
token answers 400 and changes nothing; GET never changes state."""

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.accounts.models import Address, KeyAccount, User
from portal.auth.models import UserSession
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests import factories
from tests.support.web import PASSWORD, account_form, make_config, sign_in, token_in


@pytest.fixture(scope="module")
def web(app):
    """The app as deployed: CSRF protection on (one for the module)."""
    return create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True))


def welcome_text(account) -> str:
    db.session.expire_all()
    return db.session.scalar(sa.select(KeyAccount.welcome_text).where(KeyAccount.id == account.id))


@pytest.fixture
def staff(web, two_accounts):
    factories.StaffFactory(email="admin@northwind.example")
    return sign_in(web.test_client(), "admin@northwind.example")


def test_a_post_without_a_token_is_refused_and_changes_nothing(web, staff, two_accounts):
    acme = two_accounts["acme"]
    response = staff.post(
        "/staff/accounts/acme/edit", data=account_form(acme, welcome_text="Forged")
    )
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)
    assert welcome_text(acme) == "Welcome."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_a_post_with_an_empty_or_garbled_token_is_refused(web, staff, two_accounts):
    acme = two_accounts["acme"]
    good = token_in(staff.get("/staff/accounts/acme/edit"))
    for token in ("", "x", good[:-4] + "AAAA"):
        data = account_form(acme, welcome_text="Forged", csrf_token=token)
        assert staff.post("/staff/accounts/acme/edit", data=data).status_code == 400
    assert welcome_text(acme) == "Welcome."


def test_a_post_with_another_sessions_token_is_refused(web, staff, two_accounts):
    acme = two_accounts["acme"]
    # The attacker's own, perfectly valid token from their own session.
    attacker = sign_in(web.test_client(), "buyer@globex.example")
    foreign = token_in(attacker.get("/a/globex/"))
    data = account_form(acme, welcome_text="Forged", csrf_token=foreign)
    assert staff.post("/staff/accounts/acme/edit", data=data).status_code == 400
    # ... and an anonymous visitor's token, too.
    anonymous = token_in(web.test_client().get("/login"))
    data["csrf_token"] = anonymous
    assert staff.post("/staff/accounts/acme/edit", data=data).status_code == 400
    assert welcome_text(acme) == "Welcome."


def test_a_post_with_the_sessions_own_token_works(web, staff, two_accounts):
    acme = two_accounts["acme"]
    token = token_in(staff.get("/staff/accounts/acme/edit"))
    data = account_form(acme, welcome_text="Real change", csrf_token=token)
    response = staff.post("/staff/accounts/acme/edit", data=data)
    assert response.status_code == 302
    assert welcome_text(acme) == "Real change"


def test_the_token_can_travel_in_a_header(web, staff, two_accounts):
    acme = two_accounts["acme"]
    token = token_in(staff.get("/staff/accounts/acme/edit"))
    data = account_form(acme, welcome_text="Via header")
    response = staff.post("/staff/accounts/acme/edit", data=data, headers={"X-CSRFToken": token})
    assert response.status_code == 302
    assert welcome_text(acme) == "Via header"


def test_sign_in_without_a_token_is_refused(web, two_accounts):
    client = web.test_client()
    response = client.post("/login", data={"email": "buyer@acme.example", "password": PASSWORD})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0
    # Not signed in: the account's page still offers the sign-in form.
    assert "Sign in to your portal" in client.get("/a/acme/").get_data(as_text=True)


def test_sign_out_without_a_token_is_refused_and_the_user_stays_signed_in(web, two_accounts):
    client = sign_in(web.test_client(), "buyer@acme.example")
    assert client.post("/logout").status_code == 400
    page = client.get("/a/acme/").get_data(as_text=True)
    assert 'data-user-email="buyer@acme.example"' in page
    # With the page's token it works.
    assert (
        client.post("/logout", data={"csrf_token": token_in(client.get("/a/acme/"))}).status_code
        == 302
    )
    assert 'data-user-email="buyer@acme.example"' not in client.get("/a/acme/").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/a/initech/users/new",
            {
                "name": "Mole",
                "email": "mole@initech.example",
                "role": "buyer",
                "password": "a long first password",
            },
        ),
        ("/a/initech/addresses", {"label": "Drop", "lines": "1 Rd", "city": "X", "country": "CN"}),
    ],
)
def test_a_customer_admins_forms_need_the_token(web, path, data):
    account = factories.AccountFactory(slug="initech")
    factories.UserFactory(account=account, role="customer_admin", email="admin@initech.example")
    client = sign_in(web.test_client(), "admin@initech.example")
    assert client.post(path, data=data).status_code == 400
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Address)) == 0
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(User.email == "mole@initech.example"))
        == 0
    )


def test_get_on_logout_is_405_and_the_user_stays_signed_in(web, two_accounts):
    client = sign_in(web.test_client(), "buyer@acme.example")
    assert client.get("/logout").status_code == 405
    page = client.get("/a/acme/").get_data(as_text=True)
    assert 'data-user-email="buyer@acme.example"' in page
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 1


def snapshot():
    """Every row of the tables the accounts and auth screens write, as plain values."""
    db.session.expire_all()
    tables = [KeyAccount.__table__, User.__table__, Address.__table__, AuditEvent.__table__]
    return {
        table.name: sorted(tuple(map(str, row)) for row in db.session.execute(sa.select(table)))
        for table in tables
    }


def get_paths(app, values) -> list[str]:
    """Every GET route of the sign-in, home and accounts screens, filled in with real values."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.split(".")[0] not in {
            "auth",
            "home",
            "accounts",
        }:
            continue
        paths.append(rule.build({name: values.get(name, 1) for name in rule.arguments})[1])
    return paths


def test_get_requests_never_change_state(web):
    account = factories.AccountFactory(slug="initech")
    admin = factories.UserFactory(
        account=account, role="customer_admin", email="admin@initech.example"
    )
    buyer = factories.UserFactory(account=account, email="buyer@initech.example")
    address = factories.AddressFactory(account=account)
    factories.StaffFactory(email="admin@northwind.example")
    values = {"slug": "initech", "user_id": buyer.id, "address_id": address.id}
    paths = get_paths(web, values)
    assert "/staff/accounts/initech/edit" in paths and "/a/initech/users/new" in paths
    clients = [
        web.test_client(),
        sign_in(web.test_client(), "admin@northwind.example"),
        sign_in(web.test_client(), admin.email),
    ]
    before = snapshot()
    for client in clients:
        for path in paths:
            # Query strings that look like a form submission must not act either.
            response = client.get(
                path, query_string={"welcome_text": "x", "role": "sysadmin", "is_active": ""}
            )
            assert response.status_code < 500, path
    assert snapshot() == before
