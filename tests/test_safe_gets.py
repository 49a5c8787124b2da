"""No state changes on GET (SECURITY.md 20): every GET route of every blueprint, collected from
app.url_map and called as every role (and anonymously), leaves every table as it was and asks
Stripe for nothing. Writing the audit trail of sensitive reads (SECURITY.md 18) and the
signed-in session's own bookkeeping are the reads' record, not a change of state."""

import urllib.request
from decimal import Decimal

import pytest

from portal import create_app
from portal.core.permissions import ROLES
from portal.extensions import db
from portal.payments.models import CardPayment
from tests.support.card_payments import client_for, requests_seen, stripe_settings
from tests.support.web import login, make_config
from tests.test_access import build_url, rules, world  # noqa: F401 - the fixture

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
def test_no_get_changes_a_row_or_calls_stripe(stripe_app, localstripe, world, role):  # noqa: F811
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
