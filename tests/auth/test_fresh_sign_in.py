"""Sensitive admin actions ask for the acting user's password typed within the last 10 minutes
(SECURITY.md 12, 48): setting another user's password, roles, spending limits, credit holds
and limits, contracts and their prices. Each action below is tried 11 minutes after sign-in
(clock frozen, then moved): it changes nothing until the password is given on the page that
asks, and then goes through as typed."""

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from portal.accounts.models import KeyAccount, User
from portal.contracts.models import Contract, PriceRule
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests.support.web import login

#: The password field of the page that asks (portal.core.reauth.PASSWORD_FIELD).
PASSWORD_FIELD = "fresh_sign_in_password"  # noqa: S105


def user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def account(slug: str) -> KeyAccount:
    db.session.expire_all()
    return db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == slug))


def acme_contract() -> Contract:
    db.session.expire_all()
    return db.session.scalar(sa.select(Contract).where(Contract.number == "NW-ACME-01"))


def acme_rules() -> list[tuple]:
    db.session.expire_all()
    rules = sa.select(PriceRule.id, PriceRule.status, PriceRule.value, PriceRule.version)
    rules = rules.where(PriceRule.contract_id == acme_contract().id).order_by(PriceRule.id)
    return list(db.session.execute(rules))


def user_form(u: User, **changes) -> dict:
    data = {"name": u.name, "email": u.email, "phone": u.phone, "role": u.role}
    data["spending_limit"] = f"{u.spending_limit_amount:f}" if u.spending_limit_amount else ""
    data["is_active"] = "y"
    return {**data, **changes}


def staff_form(u: User, **changes) -> dict:
    data = {"name": u.name, "email": u.email, "phone": u.phone, "role": u.role}
    data["discount_authority"] = f"{u.discount_authority_percent:f}"
    data["is_active"] = "y"
    return {**data, **changes}


def contract_form(contract: Contract, **changes) -> dict:
    data = {
        "number": contract.number,
        "currency": contract.currency,
        "valid_from": contract.valid_from.isoformat(),
        "valid_to": contract.valid_to.isoformat(),
        "status": contract.status,
        "payment_term_id": str(contract.payment_term_id),
        "credit_limit": f"{contract.credit_limit_amount:f}",
        "notes": contract.notes or "",
        "version": str(contract.version),
    }
    return {**data, **changes}


def rule_form(**extra) -> dict:
    return {
        "target": "sku",
        "sku": "NW-DT7",
        "category": "",
        "kind": "percent_off",
        "value": "5",
        "min_quantity": "1",
        "valid_from": "",
        "valid_to": "",
        "reason": "Tender for 400 desktops",
        **extra,
    }


def a_proposal() -> int:
    """An admin's 20% (beyond their 10%) waits for a manager."""
    admin = login_client("admin@northwind.example")
    admin.post(f"/staff/contracts/{acme_contract().id}/rules/new", data=rule_form(value="20"))
    return next(r.id for r in acme_rules() if r.status == "proposed")


def login_client(email: str):
    from flask import current_app

    client = current_app.test_client()
    assert login(client, email, DEMO_PASSWORD).status_code == 302
    return client


@dataclass
class Action:
    actor: str
    #: (url, form data), read after the demo is seeded.
    request: Callable[[], tuple[str, dict]]
    #: What the action changes, read before and after.
    state: Callable[[], object]


def _initech_buyer_id() -> int:
    return user("buyer@initech.example").id


ACTIONS = {
    "a customer admin sets a user's password": Action(
        "admin@initech.example",
        lambda: (
            f"/a/initech/users/{_initech_buyer_id()}/password",
            {"password": "a fresh long passphrase"},
        ),
        lambda: user("buyer@initech.example").password_hash,
    ),
    "staff set a user's password": Action(
        "admin@northwind.example",
        lambda: (
            f"/staff/accounts/initech/users/{_initech_buyer_id()}/password",
            {"password": "a fresh long passphrase"},
        ),
        lambda: user("buyer@initech.example").password_hash,
    ),
    "a customer admin changes a role": Action(
        "admin@initech.example",
        lambda: (
            f"/a/initech/users/{_initech_buyer_id()}",
            user_form(user("buyer@initech.example"), role="approver"),
        ),
        lambda: user("buyer@initech.example").role,
    ),
    "staff change a spending limit": Action(
        "manager@northwind.example",
        lambda: (
            f"/staff/accounts/initech/users/{_initech_buyer_id()}",
            user_form(user("buyer@initech.example"), spending_limit="1234.00"),
        ),
        lambda: user("buyer@initech.example").spending_limit_amount,
    ),
    "a customer admin adds a user with a role and limit": Action(
        "admin@initech.example",
        lambda: (
            "/a/initech/users/new",
            {
                "name": "Ann",
                "email": "ann@initech.example",
                "phone": "",
                "role": "approver",
                "spending_limit": "900000.00",
            },
        ),
        lambda: user("ann@initech.example") is not None,
    ),
    "finance puts an account on credit hold": Action(
        "finance@northwind.example",
        lambda: ("/staff/accounts/acme/credit-hold", {"reason": "Unpaid invoices", "hold": "1"}),
        lambda: account("acme").is_on_credit_hold,
    ),
    "a manager changes a contract's credit limit": Action(
        "manager@northwind.example",
        lambda: (
            f"/staff/contracts/{acme_contract().id}/edit",
            contract_form(acme_contract(), credit_limit="900000.00"),
        ),
        lambda: acme_contract().credit_limit_amount,
    ),
    "a director adds a price rule": Action(
        "director@northwind.example",
        lambda: (f"/staff/contracts/{acme_contract().id}/rules/new", rule_form()),
        acme_rules,
    ),
    "a director edits a price rule": Action(
        "director@northwind.example",
        lambda: (
            f"/staff/contracts/{acme_contract().id}/rules/{acme_rules()[0][0]}",
            rule_form(sku="NW-LT14", kind="fixed", value="7600", version=str(acme_rules()[0][3])),
        ),
        acme_rules,
    ),
    "a director removes a price rule": Action(
        "director@northwind.example",
        lambda: (
            f"/staff/contracts/{acme_contract().id}/rules/{acme_rules()[0][0]}/remove",
            {"reason": "Superseded", "version": str(acme_rules()[0][3])},
        ),
        acme_rules,
    ),
    "a director applies a price import": Action(
        "director@northwind.example",
        lambda: (
            f"/staff/contracts/{acme_contract().id}/import",
            {
                "checked": base64.b64encode(
                    b"target,kind,value,currency,min_quantity,valid_from,valid_to\n"
                    b"NW-DOCK,fixed,850.00,CNY,1,,\n"
                ).decode(),
                "reason": "Annual review",
                "apply": "1",
            },
        ),
        acme_rules,
    ),
    "a sysadmin changes a discount authority": Action(
        "sysadmin@northwind.example",
        lambda: (
            f"/staff/users/{user('admin@northwind.example').id}",
            staff_form(user("admin@northwind.example"), discount_authority="30"),
        ),
        lambda: user("admin@northwind.example").discount_authority_percent,
    ),
    "a sysadmin changes a staff role": Action(
        "sysadmin@northwind.example",
        lambda: (
            f"/staff/users/{user('field@northwind.example').id}",
            staff_form(user("field@northwind.example"), role="inside_sales"),
        ),
        lambda: user("field@northwind.example").role,
    ),
    "a manager approves a price proposal": Action(
        "manager@northwind.example",
        lambda: (f"/staff/approvals/{a_proposal()}", {"comment": "Strategic", "approve": "1"}),
        acme_rules,
    ),
}


@pytest.fixture
def frozen():
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize("name", ACTIONS)
def test_a_sensitive_action_needs_the_password_typed_in_the_last_ten_minutes(app, frozen, name):
    action = ACTIONS[name]
    seed_demo(history=False)
    client = login_client(action.actor)
    url, data = action.request()

    # Given the actor signed in 11 minutes ago
    frozen.shift(timedelta(minutes=11))
    before = action.state()

    # When they act, then they are asked for their password and nothing changes
    asked = client.post(url, data=data)
    assert asked.status_code == 401
    assert b"data-fresh-sign-in" in asked.data
    assert f'name="{PASSWORD_FIELD}"'.encode() in asked.data
    assert action.state() == before

    # ... nor with a wrong password
    wrong = client.post(url, data={**data, PASSWORD_FIELD: "not my password"})
    assert wrong.status_code == 401
    assert b"The password is not correct." in wrong.data
    assert action.state() == before

    # When they give it, the action goes through as they typed it
    done = client.post(url, data={**data, PASSWORD_FIELD: DEMO_PASSWORD})
    assert done.status_code in (302, 303), done.status_code
    assert action.state() != before


def test_within_ten_minutes_of_sign_in_nothing_is_asked_and_after_the_ten_it_is(app, frozen):
    seed_demo(history=False)
    client = login_client("finance@northwind.example")
    hold = {"reason": "Unpaid invoices", "hold": "1"}
    lift = {"reason": "Paid", "lift": "1"}

    frozen.shift(timedelta(minutes=9, seconds=59))
    assert client.post("/staff/accounts/acme/credit-hold", data=hold).status_code == 303
    assert account("acme").is_on_credit_hold

    frozen.shift(timedelta(seconds=1))
    assert client.post("/staff/accounts/acme/credit-hold", data=lift).status_code == 401
    assert account("acme").is_on_credit_hold
    # The password given there counts for the next ten minutes too
    done = client.post(
        "/staff/accounts/acme/credit-hold", data={**lift, PASSWORD_FIELD: DEMO_PASSWORD}
    )
    assert done.status_code == 303
    frozen.shift(timedelta(minutes=9))
    assert client.post("/staff/accounts/acme/credit-hold", data=hold).status_code == 303


def test_the_page_that_asks_carries_everything_that_was_typed(app, frozen):
    seed_demo(history=False)
    client = login_client("admin@initech.example")
    buyer = user("buyer@initech.example")
    frozen.shift(timedelta(minutes=11))
    data = user_form(buyer, name='Bo "the buyer" <b>', spending_limit="777.00")
    page = client.post(f"/a/initech/users/{buyer.id}", data=data).get_data(as_text=True)
    assert 'value="Bo &#34;the buyer&#34; &lt;b&gt;"' in page
    assert 'name="spending_limit" value="777.00"' in page
    assert f'action="/a/initech/users/{buyer.id}"' in page
    assert 'autocomplete="current-password"' in page


def test_wrong_passwords_there_count_against_the_sign_in_throttle(app, frozen):
    seed_demo(history=False)
    client = login_client("finance@northwind.example")
    frozen.shift(timedelta(minutes=11))
    data = {"reason": "x", "hold": "1", PASSWORD_FIELD: "wrong"}
    statuses = [
        client.post("/staff/accounts/acme/credit-hold", data=data).status_code for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    right = {**data, PASSWORD_FIELD: DEMO_PASSWORD}
    assert client.post("/staff/accounts/acme/credit-hold", data=right).status_code == 429
    assert not account("acme").is_on_credit_hold


def test_a_remembered_sign_in_after_a_browser_restart_is_not_fresh(app, frozen):
    seed_demo(history=False)
    client = app.test_client()
    assert (
        login(client, "finance@northwind.example", DEMO_PASSWORD, remember="y").status_code == 302
    )
    # The browser restarts: the session cookie is gone, the remember cookie stays.
    client.delete_cookie("portal_session")
    assert client.get("/staff/").status_code == 200
    response = client.post("/staff/accounts/acme/credit-hold", data={"reason": "x", "hold": "1"})
    assert response.status_code == 401
    assert not account("acme").is_on_credit_hold
