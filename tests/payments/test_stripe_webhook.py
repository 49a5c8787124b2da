"""Card payments end to end against localstripe, and the webhook: signed, once, in order
(SECURITY.md 27-32)."""

import json
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.ordering.gate import release_blockers
from portal.payments.models import CardPayment, Payment, PaymentAllocation, StripeEvent
from tests.support.card_payments import (
    card_payment_of,
    client_for,
    deposit_order,
    made_up_event,
    milestones_of,
    send_event,
    set_up_card,
    setup_secret_for,
    stripe_event,
)
from tests.support.web import signed_in


def pay_page(client, deposit):
    return f"/a/acme/invoices/{deposit.id}/pay"


def payments() -> list[Payment]:
    return list(db.session.scalars(sa.select(Payment).where(Payment.method == "card")))


def deposit_blocks(order) -> bool:
    milestones_of(order)  # read again: the webhook's request wrote in a session of its own
    return any("Deposit" in text for text in release_blockers(order))


@pytest.fixture
def paid_at_stripe(shop, stripe_web, localstripe):
    """The buyer paid the deposit by card at Stripe (the pay page, Stripe's element, the
    portal's confirm); no event has reached the portal yet."""
    order, deposit = deposit_order(shop)
    client = signed_in(stripe_web, "buyer@acme.example")
    page = client.get(pay_page(client, deposit))
    assert page.status_code == 200
    method = set_up_card(localstripe, setup_secret_for(client, pay_page(client, deposit)))
    response = client.post(pay_page(client, deposit), data={"payment_method": method})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/invoices/{deposit.id}/card-payment")
    card = card_payment_of(deposit)
    assert client_for(localstripe).v1.payment_intents.retrieve(card.stripe_id).status == (
        "succeeded"
    )
    return {"order": order, "deposit": deposit, "card": card, "client": client}


def test_a_buyer_pays_the_deposit_by_card_and_the_signed_event_marks_it_paid_once(
    paid_at_stripe,
    localstripe,
    stripe_web,
):
    order, deposit, card = (
        paid_at_stripe["order"],
        paid_at_stripe["deposit"],
        paid_at_stripe["card"],
    )
    # Paid at Stripe, but nothing counts until Stripe says so in a signed event.
    assert milestones_of(order)[0].paid_amount == 0
    assert deposit_blocks(order)

    event = stripe_event(localstripe, "payment_intent.succeeded", card.stripe_id)
    webhook = stripe_web.test_client()
    response = send_event(webhook, event)
    assert response.status_code == 200
    assert response.json["outcome"] == "applied"

    deposit = milestones_of(order)[0]
    assert deposit.paid_amount == deposit.amount == Decimal("5201.75")
    [payment] = payments()
    assert (payment.amount, payment.currency, payment.reference) == (
        Decimal("5201.75"),
        "CNY",
        card.stripe_id,
    )
    allocations = db.session.scalars(sa.select(PaymentAllocation)).all()
    assert [(a.milestone_id, a.amount) for a in allocations] == [(deposit.id, deposit.amount)]
    assert card_payment_of(deposit).status == "succeeded"
    assert not deposit_blocks(order)

    # The same event again (Stripe delivers at least once): nothing changes.
    assert send_event(webhook, event).json["outcome"] == "duplicate"
    assert send_event(webhook, json.dumps(event).encode()).status_code == 200
    assert len(payments()) == 1
    assert milestones_of(order)[0].paid_amount == Decimal("5201.75")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) == 1


def test_the_return_page_alone_never_marks_anything_paid(shop, stripe_web):
    """SECURITY.md 31: the address Stripe sends the buyer back to, whatever it carries."""
    order, deposit = deposit_order(shop)
    client = signed_in(stripe_web, "buyer@acme.example")
    client.post(pay_page(client, deposit), data={"payment_method": "pm_not_confirmed"})
    card = card_payment_of(deposit)  # an intent was opened; nothing was paid
    page = client.get(
        f"/a/acme/invoices/{deposit.id}/card-payment"
        f"?payment_intent={card.stripe_id}&redirect_status=succeeded"
    )
    assert page.status_code == 200
    assert 'data-paid="false"' in page.text
    assert milestones_of(order)[0].paid_amount == 0
    assert payments() == []


def test_the_return_page_applies_a_payment_stripe_confirms_when_asked(paid_at_stripe):
    """A server-side retrieve is the other way a payment may count (SECURITY.md 31)."""
    client, deposit = paid_at_stripe["client"], paid_at_stripe["deposit"]
    url = f"/a/acme/invoices/{deposit.id}/card-payment"
    assert 'data-auto-check="1"' in client.get(url).text  # its script asks, by POST
    assert milestones_of(paid_at_stripe["order"])[0].paid_amount == 0
    page = client.post(url, follow_redirects=True)
    assert 'data-paid="true"' in page.text
    assert milestones_of(paid_at_stripe["order"])[0].is_paid
    assert len(payments()) == 1


# Signatures (SECURITY.md 27)


def test_a_fresh_correctly_signed_event_is_accepted(stripe_web):
    response = send_event(stripe_web.test_client(), made_up_event("customer.created", {}))
    assert response.status_code == 200
    assert response.json["outcome"] == "ignored"


@pytest.mark.parametrize(
    "forgery",
    ["wrong secret", "stale", "tampered", "no signature", "garbage signature", "future"],
)
def test_forged_stale_or_tampered_events_are_refused_and_change_nothing(
    paid_at_stripe,
    localstripe,
    stripe_web,
    forgery,
):
    card = paid_at_stripe["card"]
    event = stripe_event(localstripe, "payment_intent.succeeded", card.stripe_id)
    payload = json.dumps(event).encode()
    webhook = stripe_web.test_client()
    headers = {}
    if forgery == "wrong secret":
        response = send_event(webhook, payload, secret="whsec_someone_else")
    elif forgery == "stale":
        response = send_event(webhook, payload, timestamp=int(time.time()) - 301)
    elif forgery == "future":
        response = send_event(webhook, payload, timestamp=int(time.time()) + 3600)
    elif forgery == "tampered":
        from tests.support.card_payments import signature

        headers = {"Stripe-Signature": signature(payload)}
        tampered = payload.replace(b'"amount": 520175', b'"amount": 100')
        assert tampered != payload
        response = webhook.post("/webhooks/stripe", data=tampered, headers=headers)
    elif forgery == "no signature":
        response = webhook.post("/webhooks/stripe", data=payload)
    else:
        headers = {"Stripe-Signature": f"t={int(time.time())},v1={'0' * 64}"}
        response = webhook.post("/webhooks/stripe", data=payload, headers=headers)
    assert response.status_code == 400
    assert milestones_of(paid_at_stripe["order"])[0].paid_amount == 0
    assert payments() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) == 0
    # ...and the genuine event still works afterwards.
    assert send_event(webhook, event).json["outcome"] == "applied"


# Out of order (SECURITY.md 29)


def refund_event(localstripe, card: CardPayment, amount: int | None = None) -> dict:
    client = client_for(localstripe)
    params = {"payment_intent": card.stripe_id}
    if amount is not None:
        params["amount"] = amount
    refund = client.v1.refunds.create(params=params)
    charge = client.v1.charges.retrieve(refund.charge)
    # localstripe sends no charge.refunded event: this is the one Stripe would send.
    return made_up_event("charge.refunded", charge.to_dict())


def test_a_failure_after_the_success_does_not_unpay(paid_at_stripe, localstripe, stripe_web):
    card, webhook = paid_at_stripe["card"], stripe_web.test_client()
    intent = stripe_event(localstripe, "payment_intent.succeeded", card.stripe_id)
    send_event(webhook, intent)
    failed = made_up_event(
        "payment_intent.payment_failed",
        {**intent["data"]["object"], "status": "requires_payment_method"},
    )
    assert send_event(webhook, failed).json["outcome"].startswith("ignored")
    assert card_payment_of(paid_at_stripe["deposit"]).status == "succeeded"
    assert milestones_of(paid_at_stripe["order"])[0].is_paid


def test_a_refund_after_the_success_reverses_the_allocation_and_reopens_the_milestone(
    paid_at_stripe,
    localstripe,
    stripe_web,
):
    order, card, webhook = paid_at_stripe["order"], paid_at_stripe["card"], stripe_web.test_client()
    send_event(webhook, stripe_event(localstripe, "payment_intent.succeeded", card.stripe_id))
    assert not deposit_blocks(order)

    refunded = refund_event(localstripe, card)
    assert send_event(webhook, refunded).json["outcome"] == "refunded"
    deposit = milestones_of(order)[0]
    assert deposit.paid_amount == 0
    assert db.session.scalars(sa.select(PaymentAllocation)).all() == []
    assert card_payment_of(deposit).status == "refunded"
    assert deposit_blocks(order)
    # Replayed, or the success again after it: refunded stays refunded.
    assert send_event(webhook, refunded).json["outcome"] == "duplicate"
    again = made_up_event(
        "payment_intent.succeeded", {"id": card.stripe_id, "amount": 520175, "currency": "cny"}
    )
    assert send_event(webhook, again).json["outcome"].startswith("ignored")
    assert milestones_of(order)[0].paid_amount == 0


def test_a_success_arriving_after_its_refund_stays_refunded(
    paid_at_stripe,
    localstripe,
    stripe_web,
):
    order, card, webhook = paid_at_stripe["order"], paid_at_stripe["card"], stripe_web.test_client()
    succeeded = stripe_event(localstripe, "payment_intent.succeeded", card.stripe_id)
    assert send_event(webhook, refund_event(localstripe, card)).status_code == 200
    assert send_event(webhook, succeeded).json["outcome"].startswith("ignored")
    assert card_payment_of(paid_at_stripe["deposit"]).status == "refunded"
    assert milestones_of(order)[0].paid_amount == 0
    assert payments() == []


def test_a_partial_refund_reopens_the_milestone_by_the_amount_refunded(
    paid_at_stripe,
    localstripe,
    stripe_web,
):
    order, card, webhook = paid_at_stripe["order"], paid_at_stripe["card"], stripe_web.test_client()
    send_event(webhook, stripe_event(localstripe, "payment_intent.succeeded", card.stripe_id))
    send_event(webhook, refund_event(localstripe, card, amount=100_00))
    deposit = milestones_of(order)[0]
    assert deposit.paid_amount == Decimal("5101.75")
    assert card_payment_of(deposit).status == "succeeded"
    assert card_payment_of(deposit).refunded_amount == Decimal("100.00")


def test_a_declined_payment_is_reflected_and_the_buyer_may_try_again(
    shop,
    stripe_web,
    localstripe,
):
    order, deposit = deposit_order(shop)
    client = signed_in(stripe_web, "buyer@acme.example")
    # 4000 0000 0000 0341 is accepted when set up and declined when charged.
    secret = setup_secret_for(client, pay_page(client, deposit))
    method = set_up_card(localstripe, secret, number="4000000000000341")
    response = client.post(pay_page(client, deposit), data={"payment_method": method})
    assert response.status_code == 303
    card = card_payment_of(deposit)
    assert card.status == "failed"
    assert "declined" in card.failure_message
    failed = stripe_event(localstripe, "payment_intent.payment_failed", card.stripe_id)
    assert send_event(stripe_web.test_client(), failed).status_code == 200
    assert milestones_of(order)[0].paid_amount == 0

    # Another card, on the next attempt.
    assert 'id="card-failure"' in client.get(pay_page(client, deposit)).text
    method = set_up_card(localstripe, setup_secret_for(client, pay_page(client, deposit)))
    client.post(pay_page(client, deposit), data={"payment_method": method})
    retry = card_payment_of(deposit)
    assert retry.attempt == 2
    succeeded = stripe_event(localstripe, "payment_intent.succeeded", retry.stripe_id)
    assert send_event(stripe_web.test_client(), succeeded).json["outcome"] == "applied"
    assert milestones_of(order)[0].is_paid


# Amount and currency (SECURITY.md 32)


@pytest.mark.parametrize("change", [{"amount": 100}, {"amount_received": 100}, {"currency": "usd"}])
def test_an_event_whose_amount_or_currency_differs_is_flagged_for_finance_not_applied(
    paid_at_stripe,
    localstripe,
    stripe_web,
    staff,
    change,
):
    card = paid_at_stripe["card"]
    event = stripe_event(localstripe, "payment_intent.succeeded", card.stripe_id)
    event["data"]["object"].update(change)
    assert send_event(stripe_web.test_client(), event).json["outcome"] == "flagged"
    assert milestones_of(paid_at_stripe["order"])[0].paid_amount == 0
    assert payments() == []
    flagged = card_payment_of(paid_at_stripe["deposit"])
    assert flagged.flagged_reason

    desk = signed_in(stripe_web, "finance@northwind.example").get("/staff/finance")
    assert f'data-card-payment="{card.stripe_id}"' in desk.text
    assert "flagged-card-payments" in desk.text


def test_a_payment_for_a_milestone_paid_otherwise_meanwhile_is_flagged(
    paid_at_stripe,
    localstripe,
    stripe_web,
    staff,
):

    from portal.accounts.models import KeyAccount
    from portal.payments import services

    deposit = paid_at_stripe["deposit"]
    account = db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))
    services.record_remittance(
        staff["finance"],
        account,
        services.Remittance(
            amount=Decimal("5201.75"),
            received_on=account.local_date(),
            reference="TT-1",
            allocations={deposit.id: Decimal("5201.75")},
        ),
    )
    event = stripe_event(localstripe, "payment_intent.succeeded", paid_at_stripe["card"].stripe_id)
    assert send_event(stripe_web.test_client(), event).json["outcome"] == "flagged"
    assert milestones_of(paid_at_stripe["order"])[0].paid_amount == Decimal("5201.75")
