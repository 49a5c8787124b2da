"""Webhooks to the customer (SECURITY.md 50): events written by the real services in their own
transaction, delivered by the delivery run to a real receiver on loopback, signed, retried,
given up on, and delivered again; each with its stable event id."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.api import webhook_services, webhooks
from portal.api.models import WebhookDelivery, WebhookEvent
from portal.contracts.services import today_for
from portal.core.db import utcnow
from portal.extensions import db
from portal.ordering import lifecycle
from portal.ordering import services as ordering
from portal.payments import services as payments
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN, milestones, ship
from tests.support.webhooks import add_endpoint, attempts, deliveries, events, verify

# Invoices fall due, and payments are received, by today's date.
pytestmark = pytest.mark.date_sensitive


def signed_bodies(receiver, secret) -> list[dict]:
    """What the receiver got, each request's signature checked with the endpoint's secret."""
    for request in receiver.received:
        assert verify(secret, request.headers["Portal-Signature"], request.body)
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"].startswith("NorthwindPortal-Webhooks/")
        body = request.json
        assert request.headers["Portal-Event-Id"] == body["id"]
        assert request.headers["Portal-Event-Type"] == body["type"]
    return receiver.bodies()


def due_now(delivery: WebhookDelivery) -> None:
    """The backoff has passed."""
    delivery.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_an_order_s_changes_of_status_reach_the_customer_signed(shop, admin, staff, receiver):
    endpoint, secret = add_endpoint(admin, shop.account, receiver.url)
    # Given an order placed and confirmed through the ordering services
    order = place(shop, DONE_WHEN)
    ordering.confirm_order(staff["inside_sales"], order)
    # When the deliveries run
    run = webhooks.deliver_due()
    # Then each change arrived once, signed with the endpoint's secret
    assert (run.delivered, run.deferred, run.dead) == (2, 0, 0)
    placed, confirmed = signed_bodies(receiver, secret)
    assert placed["type"] == confirmed["type"] == "order.status_changed"
    assert placed["account"] == "acme" and placed["id"].startswith("evt_")
    assert placed["data"]["order"]["previous_status"] is None
    assert confirmed["data"]["order"] == {
        "number": order.number,
        "status": "confirmed",
        "previous_status": "submitted",
        "po_number": order.po_number,
        "placed_on": order.placed_on.isoformat(),
        "total": {"amount": "17339.15", "currency": "CNY"},
    }
    assert receiver.received[0].path == "/hooks"
    assert {d.status for d in deliveries(endpoint)} == {"delivered"}
    # And nothing is sent twice
    assert webhooks.deliver_due().attempted == 0


def test_an_invoice_issued_and_a_payment_received_reach_the_customer(shop, admin, staff, receiver):
    _endpoint, secret = add_endpoint(
        admin, shop.account, receiver.url, events=("invoice.issued", "payment.received")
    )
    # Given a Net 30 order shipped (its invoice falls due) and paid by a bank transfer
    order = ship(place(shop, DONE_WHEN), staff)
    [milestone] = milestones(order)
    payments.record_remittance(
        staff["finance"],
        shop.account,
        payments.Remittance(
            amount=Decimal("17339.15"),
            received_on=today_for(shop.account),
            reference="CMB 2026-0001",
            allocations={milestone.id: Decimal("17339.15")},
        ),
    )
    webhooks.deliver_due()
    # Then the customer heard of the invoice and of the payment, and of no change of status
    issued, paid = signed_bodies(receiver, secret)
    invoice = f"{order.number}-1"
    assert issued["type"] == "invoice.issued"
    assert issued["data"]["invoice"] == {
        "number": invoice,
        "order_number": order.number,
        "due_on": milestone.due_on.isoformat(),
        "amount": {"amount": "17339.15", "currency": "CNY"},
        "amount_due": {"amount": "17339.15", "currency": "CNY"},
    }
    assert paid["type"] == "payment.received"
    assert paid["data"]["payment"] == {
        "reference": "CMB 2026-0001",
        "method": "bank_transfer",
        "received_on": today_for(shop.account).isoformat(),
        "amount": {"amount": "17339.15", "currency": "CNY"},
        "invoices": [
            {
                "number": invoice,
                "order_number": order.number,
                "amount": {"amount": "17339.15", "currency": "CNY"},
            }
        ],
    }


def test_a_refused_delivery_is_tried_again_and_keeps_its_event_id(shop, admin, receiver):
    endpoint, secret = add_endpoint(admin, shop.account, receiver.url)
    receiver.answers = [500]
    place(shop, DONE_WHEN)
    # The first attempt meets a 500: recorded, and put off
    run = webhooks.deliver_due()
    assert (run.delivered, run.deferred) == (0, 1)
    [delivery] = deliveries(endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at > utcnow()
    assert webhooks.deliver_due().attempted == 0  # not before its backoff
    # After the backoff it is delivered
    due_now(delivery)
    assert webhooks.deliver_due().delivered == 1
    [delivery] = deliveries(endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    first, second = attempts(delivery)
    assert (first.status_code, first.error, first.response_excerpt) == (
        500,
        "HTTP 500",
        "receiver is down",
    )
    assert (second.status_code, second.error) == (200, "")
    assert second.response_excerpt == '{"received": true}'
    # Both requests carried the same event, the same id
    one, two = signed_bodies(receiver, secret)
    assert one == two


def test_a_delivery_is_given_up_after_the_last_attempt_and_can_be_redelivered(
    app, shop, admin, receiver, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 3)
    endpoint, secret = add_endpoint(admin, shop.account, receiver.url)
    receiver.answers = [503, 503, 503]
    place(shop, DONE_WHEN)
    [delivery] = deliveries(endpoint)
    for expected in ("pending", "pending", "dead"):
        due_now(delivery)
        webhooks.deliver_due()
        [delivery] = deliveries(endpoint)
        assert delivery.status == expected
    assert len(attempts(delivery)) == 3
    due_now(delivery)
    assert webhooks.deliver_due().attempted == 0  # dead: no more attempts
    # Redelivered by the customer admin: queued again, delivered, the same event id
    webhook_services.redeliver(admin, delivery)
    assert webhooks.deliver_due().delivered == 1
    bodies = signed_bodies(receiver, secret)
    assert len(bodies) == 4 and len({b["id"] for b in bodies}) == 1
    # A delivered one is redelivered too (the receiver lost it)
    webhook_services.redeliver(admin, deliveries(endpoint)[0])
    assert webhooks.deliver_due().delivered == 1
    assert len({b["id"] for b in signed_bodies(receiver, secret)}) == 1


def test_an_event_rolled_back_with_its_change_leaves_nothing_to_deliver(
    shop, admin, staff, receiver
):
    add_endpoint(admin, shop.account, receiver.url)
    order = place(shop, DONE_WHEN)
    webhooks.deliver_due()
    before = (len(events()), len(deliveries()))
    # A change of status written, then rolled back (a later step of its service failed)
    lifecycle.transition(order, "confirmed", staff["inside_sales"])
    db.session.flush()
    assert len(deliveries()) == before[1] + 1  # the outbox row was written with the change
    db.session.rollback()
    assert (len(events()), len(deliveries())) == before
    assert webhooks.deliver_due().attempted == 0
    assert len(receiver.received) == 1  # the placing only


def test_a_tampered_body_or_another_secret_fails_verification(shop, admin, receiver):
    _endpoint, secret = add_endpoint(admin, shop.account, receiver.url)
    place(shop, DONE_WHEN)
    webhooks.deliver_due()
    [request] = receiver.received
    header = request.headers["Portal-Signature"]
    assert verify(secret, header, request.body)
    assert not verify(secret, header, request.body.replace(b"17339.15", b"1.00"))
    assert not verify(webhook_services.new_secret(), header, request.body)
    timestamp = header.split(",")[0]
    assert not verify(secret, header.replace(timestamp, "t=1000000000"), request.body)
    # The signature is Stripe's scheme: HMAC-SHA256 of "<t>.<body>"
    assert header == webhooks.sign(secret, int(timestamp[2:]), request.body)


def test_only_subscribed_active_endpoints_of_the_account_get_an_event(shop, admin, staff, receiver):
    order_endpoint, _ = add_endpoint(admin, shop.account, receiver.url)
    quotes_only, _ = add_endpoint(
        admin, shop.account, f"{receiver.url}/quotes", events=("quote.answered",)
    )
    disabled, _ = add_endpoint(admin, shop.account, f"{receiver.url}/disabled")
    webhook_services.set_active(admin, disabled, False)
    order = place(shop, DONE_WHEN)
    assert [d.endpoint_id for d in deliveries()] == [order_endpoint.id]
    assert webhooks.deliver_due().delivered == 1
    # Deliveries queued before an endpoint is disabled wait until it is enabled again
    webhook_services.set_active(admin, disabled, True)
    ordering.confirm_order(staff["inside_sales"], order)
    webhook_services.set_active(admin, disabled, False)
    assert webhooks.deliver_due().delivered == 1
    assert [d.status for d in deliveries(disabled)] == ["pending"]
    webhook_services.set_active(admin, disabled, True)
    assert webhooks.deliver_due().delivered == 1
    assert deliveries(quotes_only) == []


def test_an_account_without_endpoints_writes_no_event(shop, staff):
    order = place(shop, DONE_WHEN)
    ordering.confirm_order(staff["inside_sales"], order)
    assert events() == [] and deliveries() == []


def test_a_test_event_goes_to_its_endpoint_only(shop, admin, receiver):
    endpoint, secret = add_endpoint(admin, shop.account, receiver.url)
    add_endpoint(admin, shop.account, f"{receiver.url}/other")
    webhook_services.send_test_event(admin, endpoint)
    webhooks.deliver_due()
    [body] = signed_bodies(receiver, secret)
    assert body["type"] == "webhook.test" and body["account"] == "acme"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 1


def test_a_rolled_secret_signs_the_next_delivery(shop, admin, receiver):
    endpoint, old = add_endpoint(admin, shop.account, receiver.url)
    new = webhook_services.roll_secret(admin, endpoint, endpoint.version)
    assert new != old and new.startswith("whsec_")
    webhook_services.send_test_event(admin, endpoint)
    webhooks.deliver_due()
    [request] = receiver.received
    assert verify(new, request.headers["Portal-Signature"], request.body)
    assert not verify(old, request.headers["Portal-Signature"], request.body)
