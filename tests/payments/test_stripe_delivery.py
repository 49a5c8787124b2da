"""Stripe's deliveries for real: the same event posted by two threads at once applies once
(SECURITY.md 28; PostgreSQL, and a SQLite file), and localstripe's own signed webhook, sent
over HTTP to a live portal, marks the deposit paid."""

import json
import threading
import time
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from portal.ordering.models import Milestone
from portal.payments import cards, gateway
from portal.payments.models import CardPayment, Payment, StripeEvent
from tests import factories
from tests.support.card_payments import (
    made_up_event,
    running_localstripe,
    signature,
    stripe_settings,
)
from tests.support.concurrency import at_once
from tests.support.web import make_config

pytestmark = pytest.mark.no_transaction


def seed(app) -> dict:
    """An account with a deposit of 300.00 CNY due today and its card payment at Stripe."""
    with app.app_context():
        tag = uuid.uuid4().hex[:10]
        account = factories.AccountFactory(slug=f"card-{tag}")
        order = factories.OrderFactory(
            contract=factories.ContractFactory(account=account), total_amount=Decimal("1000.00")
        )
        milestone = factories.MilestoneFactory(
            order=order,
            label="Deposit",
            amount=Decimal("300.00"),
            due_on=account.local_date(),
        )
        card = factories.CardPaymentFactory(milestone=milestone, stripe_id=f"pi_{tag}")
        return {"milestone": milestone.id, "intent": card.stripe_id, "account": account.id}


@pytest.mark.parametrize("database", ["pg_app", "sqlite_app"])
def test_the_same_event_delivered_twice_at_once_applies_once(request, database):
    app = request.getfixturevalue(database)
    app.config.update(stripe_settings("http://127.0.0.1:9"))  # no call to Stripe is made
    ids = seed(app)
    event = made_up_event(
        "payment_intent.succeeded",
        {"id": ids["intent"], "object": "payment_intent", "amount": 30000, "currency": "cny"},
    )
    payload = json.dumps(event).encode()

    def deliver(barrier):
        client = app.test_client()
        headers = {"Stripe-Signature": signature(payload)}
        barrier.wait(20)
        response = client.post("/webhooks/stripe", data=payload, headers=headers)
        return response.status_code, response.json["outcome"]

    results = at_once([deliver, deliver])
    assert sorted(results) == [(200, "applied"), (200, "duplicate")], results
    with app.app_context():
        milestone = db.session.get(Milestone, ids["milestone"])
        assert milestone.paid_amount == Decimal("300.00")
        payments = db.session.scalars(
            sa.select(Payment).where(Payment.account_id == ids["account"])
        ).all()
        assert len(payments) == 1
        assert db.session.get(StripeEvent, event["id"]) is not None


def test_localstripes_signed_webhook_reaches_a_live_portal_and_marks_the_deposit_paid(tmp_path):
    """The emulator signs with the secret it was given and posts to /webhooks/stripe over
    HTTP, as Stripe would; the portal verifies and applies it."""
    port_holder = make_server("127.0.0.1", 0, lambda environ, start: [])
    port = port_holder.server_port
    port_holder.server_close()
    secret = "whsec_live_" + uuid.uuid4().hex
    with running_localstripe(
        "--webhook-url", f"http://127.0.0.1:{port}/webhooks/stripe", "--webhook-secret", secret
    ) as base:
        settings = {**stripe_settings(base), "STRIPE_WEBHOOK_SECRET": secret}
        app = create_app(make_config(f"sqlite:///{tmp_path / 'live.db'}", **settings))
        with app.app_context():
            db.create_all()
        ids = seed_with_intent(app)
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with app.app_context():
                card = db.session.get(CardPayment, ids["card"])
                client = gateway.stripe_client()
                client.v1.payment_intents.update(
                    card.stripe_id, params={"payment_method": "pm_card_visa"}
                )
                client.v1.payment_intents.confirm(card.stripe_id)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                with app.app_context():
                    if db.session.get(Milestone, ids["milestone"]).is_paid:
                        break
                time.sleep(0.2)
            with app.app_context():
                assert db.session.get(Milestone, ids["milestone"]).is_paid
                events = db.session.scalars(sa.select(StripeEvent)).all()
                assert [e.type for e in events] == ["payment_intent.succeeded"]
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()


def seed_with_intent(app) -> dict:
    """A deposit due today with its PaymentIntent created at localstripe by the portal."""
    with app.app_context():
        account = factories.AccountFactory(slug="live")
        order = factories.OrderFactory(
            contract=factories.ContractFactory(account=account), total_amount=Decimal("1000.00")
        )
        milestone = factories.MilestoneFactory(
            order=order,
            label="Deposit",
            amount=Decimal("300.00"),
            due_on=account.local_date(),
        )
        card = cards.open_card_payment(None, milestone, order)
        return {"milestone": milestone.id, "card": card.id}
