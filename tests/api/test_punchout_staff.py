"""The staff page of an account's PunchOut connections: add one (its secret shown once), make a
new secret, deactivate; each behind a fresh sign-in and audited (SECURITY.md 48, 49)."""

import re

import pytest
import sqlalchemy as sa

from portal.api.models import PunchoutConnection
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests import factories
from tests.support.cxml import CXML, IDENTITY, setup_request
from tests.support.web import login

PAGE = "/staff/accounts/acme/punchout"


@pytest.fixture
def editor(client, shop):
    staff = factories.StaffFactory(email="admin@northwind.example", role="account_admin")
    login(client, staff.email)
    return staff


def add(client, shop, identity=IDENTITY):
    return client.post(
        PAGE,
        data={
            "name": "SAP Ariba",
            "domain": "NetworkId",
            "identity": identity,
            "default_user": str(shop.buyer.id),
        },
    )


def secret_on(page) -> str | None:
    found = re.search(r"<code data-secret>([^<]+)</code>", page.get_data(as_text=True))
    return found.group(1) if found else None


def test_the_page_tells_the_procurement_admin_what_to_configure(client, editor):
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "http://localhost/punchout/setup" in text
    assert "http://localhost/punchout/order" in text
    assert "new window" in text
    assert client.get("/staff/accounts/acme").get_data(as_text=True).count(PAGE) == 1


def test_the_connections_table_stacks_on_a_phone(client, shop, editor):
    add(client, shop)
    text = client.get(PAGE).get_data(as_text=True)
    assert 'class="table align-middle table-stack" id="punchout-connections"' in text
    assert "<th>Actions</th>" in text


def test_a_new_connection_shows_its_secret_once_and_keeps_a_hash(client, shop, editor):
    added = add(client, shop)
    assert added.status_code == 200
    assert added.headers["Cache-Control"] == "no-store"
    secret = secret_on(added)
    assert secret and len(secret) >= 40
    assert secret_on(client.get(PAGE)) is None
    assert secret not in client.get(PAGE).get_data(as_text=True)
    row = db.session.scalars(sa.select(PunchoutConnection)).one()
    assert row.secret_hash != secret and row.account_id == shop.account.id
    assert row.default_user_id == shop.buyer.id and row.created_by_id == editor.id
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "punchout.connection_create")
    ).one()
    assert event.actor_id == editor.id
    assert secret not in str(event.changes)
    # the secret works
    body = setup_request(secret, "staff-1")
    assert client.post("/punchout/setup", data=body, content_type=CXML).status_code == 200


def version_on(page, connection_id) -> str:
    found = re.search(
        rf'punchout/{connection_id}/secret".*?name="version" value="(\d+)"',
        page.get_data(as_text=True),
        re.DOTALL,
    )
    assert found, "the roll form carries the secret's version"
    return found.group(1)


def roll(client, connection_id):
    version = version_on(client.get(PAGE), connection_id)
    return client.post(f"{PAGE}/{connection_id}/secret", data={"version": version})


def test_a_new_secret_replaces_the_old_one(client, shop, editor):
    old = secret_on(add(client, shop))
    row = db.session.scalars(sa.select(PunchoutConnection)).one()
    rolled = roll(client, row.id)
    new = secret_on(rolled)
    assert new and new != old
    assert (
        client.post(
            "/punchout/setup", data=setup_request(old, "r-1"), content_type=CXML
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/punchout/setup", data=setup_request(new, "r-2"), content_type=CXML
        ).status_code
        == 200
    )
    assert db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action == "punchout.secret_roll")
    ).all() == ["punchout.secret_roll"]


def test_reloading_the_new_secret_page_makes_no_other_secret(client, shop, editor):
    add(client, shop)
    row = db.session.scalars(sa.select(PunchoutConnection)).one()
    form = {"version": version_on(client.get(PAGE), row.id)}
    new = secret_on(client.post(f"{PAGE}/{row.id}/secret", data=form))
    reloaded = client.post(f"{PAGE}/{row.id}/secret", data=form, follow_redirects=True)
    assert secret_on(reloaded) is None
    assert "The secret was already changed" in reloaded.get_data(as_text=True)
    assert (
        client.post(
            "/punchout/setup", data=setup_request(new, "r-1"), content_type=CXML
        ).status_code
        == 200
    )
    assert (
        len(
            db.session.scalars(
                sa.select(AuditEvent.action).where(AuditEvent.action == "punchout.secret_roll")
            ).all()
        )
        == 1
    )


def test_reloading_the_add_page_makes_no_second_connection(client, shop, editor):
    add(client, shop)
    again = add(client, shop)
    assert secret_on(again) is None
    assert "already uses this domain and identity" in again.get_data(as_text=True)
    assert len(db.session.scalars(sa.select(PunchoutConnection)).all()) == 1


def test_deactivating_stops_the_connection(client, shop, editor):
    secret = secret_on(add(client, shop))
    row = db.session.scalars(sa.select(PunchoutConnection)).one()
    assert client.post(f"{PAGE}/{row.id}/deactivate").status_code == 303
    assert (
        client.post(
            "/punchout/setup", data=setup_request(secret, "x-1"), content_type=CXML
        ).status_code
        == 401
    )


def test_a_deactivated_connection_can_be_reactivated(client, shop, editor):
    secret = secret_on(add(client, shop))
    row = db.session.scalars(sa.select(PunchoutConnection)).one()
    client.post(f"{PAGE}/{row.id}/deactivate")
    page = client.get(PAGE).get_data(as_text=True)
    assert f"{PAGE}/{row.id}/reactivate" in page
    reactivated = client.post(f"{PAGE}/{row.id}/reactivate", follow_redirects=True)
    assert "Connection reactivated" in reactivated.get_data(as_text=True)
    assert (
        client.post(
            "/punchout/setup", data=setup_request(secret, "x-1"), content_type=CXML
        ).status_code
        == 200
    )
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "punchout.connection_reactivate")
    ).one()
    assert event.actor_id == editor.id


def test_reactivating_needs_a_fresh_sign_in_and_an_active_default_user(client, shop, editor):
    connection = factories.PunchoutConnectionFactory(default_user=shop.buyer, is_active=False)
    shop.buyer.is_active = False
    db.session.commit()
    refused = client.post(f"{PAGE}/{connection.id}/reactivate", follow_redirects=True)
    assert "Choose an active user of the account" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(PunchoutConnection, connection.id).is_active
    shop.buyer.is_active = True
    db.session.commit()
    with client.session_transaction() as session:
        session["signed_in_at"] = 0
    assert client.post(f"{PAGE}/{connection.id}/reactivate").status_code == 401
    db.session.expire_all()
    assert not db.session.get(PunchoutConnection, connection.id).is_active


def test_adding_or_rolling_needs_a_fresh_sign_in(client, shop, editor):
    with client.session_transaction() as session:
        session["signed_in_at"] = 0  # the password was typed long ago
    asked = add(client, shop)
    assert asked.status_code == 401
    assert 'name="fresh_sign_in_password"' in asked.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PunchoutConnection)) == 0
    connection = factories.PunchoutConnectionFactory(default_user=shop.buyer)
    before = connection.secret_hash
    assert client.post(f"{PAGE}/{connection.id}/secret").status_code == 401
    db.session.expire_all()
    assert db.session.get(PunchoutConnection, connection.id).secret_hash == before


def test_an_identity_is_one_connection_and_the_default_user_is_the_accounts(client, shop, editor):
    add(client, shop)
    again = add(client, shop)
    assert again.status_code == 200 and secret_on(again) is None
    assert "already uses this domain and identity" in again.get_data(as_text=True)
    other = factories.UserFactory(account=factories.AccountFactory(slug="globex"))
    foreign = client.post(
        PAGE,
        data={"name": "X", "domain": "NetworkId", "identity": "OTHER", "default_user": other.id},
    )
    assert foreign.status_code == 422 and secret_on(foreign) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PunchoutConnection)) == 1


def test_another_accounts_connection_is_not_found(client, shop, editor):
    globex = factories.AccountFactory(slug="globex")
    theirs = factories.PunchoutConnectionFactory(default_user=factories.UserFactory(account=globex))
    assert client.post(f"{PAGE}/{theirs.id}/secret").status_code == 404
    assert client.post(f"{PAGE}/{theirs.id}/deactivate").status_code == 404
    db.session.expire_all()
    assert db.session.get(PunchoutConnection, theirs.id).is_active


@pytest.mark.parametrize("role, status", [("call_center", 403), ("finance", 403)])
def test_only_account_editors_open_the_page(client, shop, role, status):
    staff = factories.StaffFactory(role=role)
    login(client, staff.email)
    assert client.get(PAGE).status_code == status
    assert PAGE not in client.get("/staff/accounts/acme").get_data(as_text=True)


def test_a_buyer_gets_not_found(client, shop):
    login(client, shop.buyer.email)
    assert client.get(PAGE).status_code == 404
