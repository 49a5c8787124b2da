"""Who may call which URL (SECURITY.md 14, 16), built from app.url_map so no route is missed,
against the access table (portal.core.access.PAGES), the one source of who opens what."""

import re
import urllib.request
from decimal import Decimal

import pytest
from flask import Flask

from portal import create_app
from portal.core import access
from portal.core.access import FIELDS, PUBLIC, check_pages, restricted, sees
from portal.core.access import PAGES as EXPECTED
from portal.core.permissions import (
    BUYER_ROLES,
    CALL_CENTER,
    FINANCE,
    ROLES,
    STAFF_ROLES,
    SYSADMIN,
)
from portal.extensions import db
from portal.payments.models import CardPayment
from tests.support.access import STATIC, build_url, declared_access, public_answers, rules
from tests.support.card_payments import client_for, requests_seen, stripe_settings
from tests.support.web import login, make_config

#: Routes whose ids name the supplier's catalog, shared by every account: nobody's secret; and
#: the password link, whose token is its own access check (tests/auth/test_password_links.py).
SHARED = {"catalog.product_image", "auth.set_password_from_link"}


def app_endpoints(app):
    return {rule.endpoint for rule in app.url_map.iter_rules()} - STATIC


def test_every_view_declares_who_may_call_it(app):
    undeclared = sorted(e for e in app_endpoints(app) if declared_access(app, e) is None)
    assert undeclared == [], f"views without @public or @restricted: {undeclared}"


def test_every_endpoint_is_in_the_access_table(app):
    assert app_endpoints(app) == set(EXPECTED)


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_each_view_allows_exactly_the_roles_in_the_table(app, endpoint):
    expected = EXPECTED[endpoint]
    assert declared_access(app, endpoint) == (PUBLIC if expected == PUBLIC else frozenset(expected))


def test_the_app_refuses_to_start_with_a_route_missing_from_the_table():
    app = Flask(__name__)
    app.add_url_rule("/staff/secret", "home.secret", restricted(lambda: "secret"))
    app.add_url_rule("/staff/unmarked", "home.unmarked", lambda: "open")
    with pytest.raises(RuntimeError, match="home.secret: not in PAGES"):
        check_pages(app)


def test_the_app_refuses_to_start_with_an_unmarked_view(monkeypatch):
    app = Flask(__name__)
    app.add_url_rule("/staff/unmarked", "home.staff_dashboard", lambda: "open")
    monkeypatch.setattr(access, "PAGES", {"home.staff_dashboard": STAFF_ROLES})
    with pytest.raises(RuntimeError, match="not marked @restricted"):
        check_pages(app)


NO_MONEY = {CALL_CENTER, SYSADMIN}
MONEY_PAGES = (
    "contracts.list_contracts",
    "contracts.show_contract",
    "contracts.export_rules",
    "contracts.list_proposals",
    "payments.show_staff_invoice",
    "payments.show_finance_desk",
)


def test_the_call_centre_and_sysadmins_open_no_page_of_prices_or_amounts():
    for endpoint in MONEY_PAGES:
        assert NO_MONEY.isdisjoint(EXPECTED[endpoint]), endpoint
    for field in ("prices", "amounts", "credit", "payments"):
        assert NO_MONEY.isdisjoint(FIELDS[field]), field


def test_the_call_centre_cannot_open_a_contract_or_a_staff_invoice(client, world):
    """The issue's example: the call centre opened /staff/contracts/<id> with every negotiated
    price, discount and reason, and staff invoices."""
    login(client, world["users"][CALL_CENTER].email)
    invoice = f"{world['acme_order'].number}-{world['acme_invoice'].position}"
    contract_id = world["acme_rule"].contract_id
    for url in (
        f"/staff/contracts/{contract_id}",
        "/staff/accounts/acme/contracts",
        f"/staff/invoices/{invoice}",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"5.00" not in response.data


def test_anonymous_visitors_are_sent_to_sign_in_for_every_non_public_page(app, client, world):
    for rule in rules(app, "GET"):
        response = client.get(build_url(app, rule, world))
        if EXPECTED[rule.endpoint] == PUBLIC:
            assert response.status_code in public_answers(rule.endpoint), rule
        else:
            assert response.status_code == 302, rule
            assert response.headers["Location"].startswith("/login?next="), rule


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages(app, client, world, role):
    """GET pages: allowed roles get the page; buyer-side roles get 404, staff 403."""
    assert login(client, world["users"][role].email).status_code == 302
    denied = 404 if role in BUYER_ROLES else 403
    for rule in rules(app, "GET"):
        expected = EXPECTED[rule.endpoint]
        response = client.get(build_url(app, rule, world))
        if expected == PUBLIC:
            assert response.status_code in public_answers(rule.endpoint), rule.endpoint
        elif role in expected:
            assert response.status_code in (200, 302), (rule.endpoint, response.status_code)
        else:
            assert response.status_code == denied, (rule.endpoint, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_no_role_can_post_to_actions_outside_its_permissions(app, client, world, role):
    assert login(client, world["users"][role].email).status_code == 302
    denied = 404 if role in BUYER_ROLES else 403
    for rule in rules(app, "POST"):
        expected = EXPECTED[rule.endpoint]
        if expected == PUBLIC or role in expected:
            continue
        response = client.post(build_url(app, rule, world), data={"name": "Hacked"})
        assert response.status_code == denied, (rule.endpoint, response.status_code)
    assert world["acme"].name == "Acme Hospital Group"


@pytest.mark.parametrize("who", ["globex_buyer", "globex_admin"])
def test_another_accounts_users_get_404_on_every_acme_url(app, client, world, who):
    """SECURITY.md 14: every route that takes a slug or an id, with Acme's values, answers
    404 to Globex's users, with nothing of Acme in the body."""
    assert login(client, world[who].email).status_code == 302
    acme_markers = [b"Acme Hospital Group", b"Acme Street 1", b"buyer@test.example"]
    checked = 0
    for method in ("GET", "POST"):
        for rule in rules(app, method):
            if not rule.arguments or rule.endpoint in SHARED:
                continue
            for slug in ("acme", "globex"):
                if slug == "globex" and rule.arguments <= {"slug", "sku"}:
                    continue  # Globex's own page with no Acme ids in it (SKUs are shared)
                url = build_url(app, rule, world, slug=slug)
                response = client.open(url, method=method, data={"name": "Hacked"})
                assert response.status_code == 404, (method, url, response.status_code)
                for marker in acme_markers:
                    assert marker not in response.data, (method, url, marker)
                checked += 1
    assert checked >= 20
    assert world["acme_user"].name == "buyer person"


def test_404_pages_look_the_same_for_existing_and_unknown_accounts(client, world):
    login(client, world["globex_buyer"].email)
    existing = client.get("/a/acme/")
    unknown = client.get("/a/no-such-account/")
    # The request id differs, and so does the CSRF token once a second has passed between
    # the two requests (it carries a timestamp).
    strip = re.compile(rb'[0-9a-f]{32}|name="csrf_token" value="[^"]*"')
    assert existing.status_code == unknown.status_code == 404
    assert strip.sub(b"", existing.data) == strip.sub(b"", unknown.data)


def _has(response, marker: bytes) -> bool:
    return marker in response.data


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_staff_role_sees_exactly_its_fields_on_the_order_and_account_pages(
    app, client, world, role
):
    """The fields of FIELDS, walked over the staff pages that show orders: amounts (totals,
    unit prices, the schedule), credit, and links only to pages the role opens."""
    user = world["users"][role]
    login(client, user.email)
    order = world["acme_order"]
    contract_link = f'href="/staff/contracts/{order.contract_id}"'.encode()
    pages = {
        "order": client.get(f"/staff/orders/{order.number}"),
        "orders": client.get("/staff/orders"),
        "360": client.get("/staff/accounts/acme"),
    }
    if access.may_open(user, "ordering.show_staff_order"):
        page = pages["order"]
        assert page.status_code == 200
        assert _has(page, b"data-order-total") == sees(user, "amounts")
        assert _has(page, b"data-unit-price") == sees(user, "amounts")
        assert _has(page, b'data-schedule="order"') == sees(user, "amounts")
        assert _has(page, contract_link) == access.may_open(user, "contracts.show_contract")
        assert _has(pages["orders"], b"data-order-total") == sees(user, "amounts")
    else:
        assert pages["order"].status_code == pages["orders"].status_code == 403
    account = pages["360"]
    assert account.status_code == 200
    if role == FINANCE:  # the world shows each field to someone
        assert _has(account, b"data-credit-limit") and _has(pages["order"], b"data-unit-price")
    assert _has(account, b"data-credit-limit") == sees(user, "credit")
    assert _has(account, b"data-order-total") == (sees(user, "orders") and sees(user, "amounts"))
    assert _has(account, contract_link) == access.may_open(user, "contracts.show_contract")


# No state changes on GET (SECURITY.md 20): every GET route of every blueprint, called as every
# role (and anonymously), leaves every table as it was and asks Stripe for nothing. Writing the
# audit trail of sensitive reads (SECURITY.md 18) and the signed-in session's own bookkeeping
# are the reads' record, not a change of state.

#: Tables a read may write to: the audit of sensitive reads and the sign-in sessions.
READ_RECORDS = {"audit_events", "user_sessions"}


@pytest.fixture(scope="module")
def stripe_app(app, localstripe):
    return create_app(
        make_config(app.config["SQLALCHEMY_DATABASE_URI"], **stripe_settings(localstripe))
    )


def snapshot() -> dict[str, list]:
    """Every row of every table but READ_RECORDS, as read now."""
    db.session.expire_all()
    found = {}
    for table in db.metadata.sorted_tables:
        if table.name in READ_RECORDS:
            continue
        order = [*table.primary_key.columns] or [*table.columns]
        found[table.name] = [
            tuple(row) for row in db.session.execute(table.select().order_by(*order))
        ]
    return found


def forget_stripe_requests(base: str) -> None:
    request = urllib.request.Request(f"{base}/_config/requests", method="DELETE")  # noqa: S310
    urllib.request.urlopen(request, timeout=5).read()  # noqa: S310


def an_open_card_payment(base: str, milestone) -> None:
    """The buyer opened a card payment and left before paying: its return page has a
    payment to ask Stripe about."""
    intent = client_for(base).v1.payment_intents.create(
        params={"amount": 100, "currency": "cny", "payment_method_types": ["card"]}
    )
    db.session.add(
        CardPayment(
            account_id=milestone.account_id,
            milestone_id=milestone.id,
            stripe_id=intent.id,
            idempotency_key=f"test-{intent.id}",
            amount=Decimal("1.00"),
            currency="CNY",
        )
    )
    db.session.commit()


@pytest.mark.parametrize("role", [None, *ROLES])
def test_no_get_changes_a_row_or_calls_stripe(stripe_app, localstripe, world, role):
    an_open_card_payment(localstripe, world["acme_invoice"])
    client = stripe_app.test_client()
    if role is not None:
        assert login(client, world["users"][role].email).status_code == 302
    urls = {rule.endpoint: build_url(stripe_app, rule, world) for rule in rules(stripe_app, "GET")}
    before = snapshot()
    forget_stripe_requests(localstripe)
    for url in urls.values():
        status = client.get(url).status_code
        assert status < 500, (url, status)
    after = snapshot()
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == [], f"GET requests as {role} changed {changed}"
    assert requests_seen(localstripe) == [], f"GET requests as {role} called Stripe"
    assert {"payments.pay_by_card", "payments.show_card_payment"} <= set(urls)
