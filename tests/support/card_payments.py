"""localstripe for the card payment tests: a run of it on a free loopback port
(portal.payments.emulator, in memory; tests/fixtures/stripe.py starts one per test run), the
settings that point the portal at it, and what a browser and Stripe would do: confirm a card
in Stripe's element, sign and send an event."""

import json
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa
import stripe

from portal.extensions import db
from portal.ordering.models import Milestone, Order
from portal.payments.models import CardPayment
from tests import factories
from tests.support.environment import free_port
from tests.support.ordering import Shop, place

WEBHOOK_SECRET = "whsec_test_portal_0123456789abcdef"
TEST_CARD = "4242424242424242"


@contextmanager
def running_localstripe(*extra: str):
    """localstripe on 127.0.0.1 in a subprocess of its own, until the block ends."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "portal.payments.emulator", "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{base}/_config/requests", timeout=1).read()  # noqa: S310
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("localstripe did not start")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def stripe_settings(base: str) -> dict:
    return {
        "STRIPE_API_BASE": base,
        "STRIPE_SECRET_KEY": "sk_test_portal",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_portal",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_JS_URL": f"{base}/js.stripe.com/v3/",
    }


def client_for(base: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_portal", base_addresses={"api": base})


def set_up_card(base: str, setup_secret: str, number: str = TEST_CARD) -> str:
    """What stripe.js does in the buyer's browser (confirmCardSetup with the card element):
    the card goes to Stripe with the publishable key; the payment method's id comes back."""
    setup_id = setup_secret.split("_secret_")[0]
    body = {
        "key": "pk_test_portal",
        "use_stripe_sdk": True,
        "client_secret": setup_secret,
        "payment_method_data": {
            "type": "card",
            "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
        },
    }
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base}/v1/setup_intents/{setup_id}/confirm",
        data=json.dumps(body).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())["payment_method"]


def requests_seen(base: str) -> list[dict]:
    with urllib.request.urlopen(f"{base}/_config/requests", timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def stripe_event(base: str, kind: str, intent_id: str) -> dict:
    """The event localstripe recorded for the intent, as it would send it."""
    for _ in range(50):
        events = client_for(base).v1.events.list(params={"type": kind, "limit": 100})
        for event in events.auto_paging_iter():
            if event.data.object.id == intent_id:
                return event.to_dict()
        time.sleep(0.1)
    raise AssertionError(f"no {kind} event for {intent_id}")


def signature(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = stripe.WebhookSignature._compute_signature(f"{timestamp}.{payload.decode()}", secret)
    return f"t={timestamp},v1={signed}"


def send_event(client, event: dict | bytes, **signing):
    payload = event if isinstance(event, bytes) else json.dumps(event).encode()
    return client.post(
        "/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": signature(payload, **signing)},
        content_type="application/json",
    )


def made_up_event(kind: str, obj: dict) -> dict:
    """An event as Stripe shapes it, for orders of events localstripe does not produce."""
    return {
        "id": f"evt_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
    }


def deposit_terms(shop: Shop) -> None:
    shop.contract.payment_term = factories.PaymentTermFactory(
        name="30% deposit, balance on delivery",
        milestones=[("Deposit", "30", "order", 0), ("Balance", "70", "delivery", 0)],
    )
    db.session.commit()


def installment_terms(shop: Shop) -> None:
    shop.contract.payment_term = factories.PaymentTermFactory(
        name="3 installments",
        milestones=[
            ("Installment 1", "34", "order", 0),
            ("Installment 2", "33", "order", 30),
            ("Installment 3", "33", "order", 60),
        ],
    )
    db.session.commit()


def milestones_of(order: Order) -> list[Milestone]:
    return list(
        db.session.scalars(
            sa.select(Milestone)
            .where(Milestone.order_id == order.id)
            .order_by(Milestone.position)
            .execution_options(populate_existing=True)
        )
    )


def deposit_order(shop: Shop) -> tuple[Order, Milestone]:
    """An order of 17,339.15 CNY under 30% deposit terms: its deposit of 5,201.75 is due."""
    deposit_terms(shop)
    order = place(shop, [("NW-LT14", 2), ("NW-MN27", 1)])
    deposit = milestones_of(order)[0]
    assert deposit.amount == Decimal("5201.75")
    return order, deposit


def setup_secret_for(client, pay_url: str) -> str:
    """What the pay page's script asks for when the buyer pays: a SetupIntent's secret."""
    response = client.post(pay_url.replace("/pay", "/card-setup"))
    assert response.status_code == 200, response.status_code
    return response.json["setup_secret"]


def card_payment_of(milestone) -> CardPayment:
    return db.session.scalar(
        sa.select(CardPayment)
        .where(CardPayment.milestone_id == milestone.id)
        .order_by(CardPayment.attempt.desc())
        .execution_options(populate_existing=True)
    )


def refund_event(base: str, intent_id: str) -> dict:
    """The `charge.refunded` event localstripe (through portal.payments.emulator) recorded for
    the intent's charge, as Stripe would send it."""
    for _ in range(50):
        events = client_for(base).v1.events.list(params={"type": "charge.refunded", "limit": 100})
        for event in events.auto_paging_iter():
            if event.data.object.payment_intent == intent_id:
                return event.to_dict()
        time.sleep(0.1)
    raise AssertionError(f"no charge.refunded event for {intent_id}")


def pay_by_card(client, webhook_client, base: str, slug: str, milestone) -> CardPayment:
    """The buyer pays the milestone on its pay page with the test card, and Stripe's signed
    event applies it."""
    url = f"/a/{slug}/invoices/{milestone.id}/pay"
    page = client.get(url)
    assert page.status_code == 200, page.headers.get("Location")
    method = set_up_card(base, setup_secret_for(client, url))
    response = client.post(url, data={"payment_method": method})
    assert response.status_code == 303
    card = card_payment_of(milestone)
    event = stripe_event(base, "payment_intent.succeeded", card.stripe_id)
    assert send_event(webhook_client, event).json["outcome"] == "applied"
    return card_payment_of(milestone)
