"""The events an account's webhooks receive, written in the transaction of the change itself.

The lower domains run a hook where the change happens (ordering.lifecycle.record,
ordering.lifecycle.tell_invoices_issued, payments.services.apply_payment,
quotes.review._send_if_ready); `subscribe_all` makes each hook write one WebhookEvent and one
pending WebhookDelivery per active endpoint of the account subscribed to its type. A change
that is rolled back takes its event and deliveries with it; a committed one is delivered at
least once (portal.api.webhooks).

Every payload is a JSON object with these fields, whose names do not change:

    id        "evt_..."; the same on every delivery and redelivery of the event
    type      one of models.EVENT_TYPES, or "webhook.test"
    created   when it happened, seconds since 1970-01-01 UTC
    account   the account's slug
    data      the object, by type:

order.status_changed
    {"order": {"number", "status", "previous_status" (null when the order was just placed),
     "po_number", "placed_on" (YYYY-MM-DD), "total": {"amount", "currency"}}}
invoice.issued
    {"invoice": {"number", "order_number", "due_on", "amount": {...}, "amount_due": {...}}}
payment.received
    {"payment": {"reference", "method", "received_on", "amount": {...},
     "invoices": [{"number", "order_number", "amount": {...}}, ...]}}
quote.answered
    {"quote": {"number", "version", "status", "valid_until" (or null), "total": {...}}}
webhook.test
    {"message": "..."}

An amount is {"amount": "17339.15", "currency": "CNY"}: a decimal string in the currency's
minor unit, never a float. Statuses are the portal's codes (ordering.lifecycle.ORDER_STATUSES).
"""

import json
import secrets
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask

from portal.accounts.models import KeyAccount
from portal.api.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint, WebhookEvent
from portal.core.db import utcnow
from portal.core.hooks import subscribe
from portal.core.invoice_numbers import invoice_number
from portal.core.money import plain
from portal.extensions import db
from portal.ordering.models import Order


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def money(amount: Decimal | None, currency: str) -> dict | None:
    if amount is None:
        return None
    return {"amount": plain(amount, currency), "currency": currency}


def day(value) -> str | None:
    return value.isoformat() if value is not None else None


def subscribed_endpoints(account_id: int, event_type: str) -> list[WebhookEndpoint]:
    """The account's active endpoints that subscribe to `event_type`: one statement."""
    endpoints = db.session.scalars(
        sa.select(WebhookEndpoint)
        .where(WebhookEndpoint.account_id == account_id, WebhookEndpoint.is_active.is_(True))
        .order_by(WebhookEndpoint.id)
    )
    return [e for e in endpoints if event_type in e.events]


def build_event(account_id: int, event_type: str, data: dict) -> WebhookEvent:
    """An event with its payload, added to the session (the caller queues its deliveries)."""
    slug = db.session.scalar(sa.select(KeyAccount.slug).where(KeyAccount.id == account_id))
    now = utcnow()
    public_id = new_event_id()
    payload = {
        "id": public_id,
        "type": event_type,
        "created": int(now.timestamp()),
        "account": slug,
        "data": data,
    }
    event = WebhookEvent(
        account_id=account_id,
        public_id=public_id,
        type=event_type,
        payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        created_at=now,
    )
    db.session.add(event)
    return event


def emit(account_id: int, event_type: str, data: dict) -> WebhookEvent | None:
    """In the caller's transaction: the event, and a pending delivery to each endpoint of the
    account that subscribes to it (None, and nothing written, when none does)."""
    assert event_type in EVENT_TYPES, event_type
    endpoints = subscribed_endpoints(account_id, event_type)
    if not endpoints:
        return None
    event = build_event(account_id, event_type, data)
    db.session.flush()
    for endpoint in endpoints:
        db.session.add(
            WebhookDelivery(account_id=account_id, event_id=event.id, endpoint_id=endpoint.id)
        )
    return event


# --- the hooks of the lower domains ---


def order_status_changed(order, from_status: str | None, to_status: str, **_ignored) -> None:
    if from_status == to_status:
        return
    data = {
        "order": {
            "number": order.number,
            "status": to_status,
            "previous_status": from_status,
            "po_number": order.po_number,
            "placed_on": day(order.placed_on),
            "total": money(order.total_amount, order.currency),
        }
    }
    emit(order.account_id, "order.status_changed", data)


def invoice_issued(order, milestone, **_ignored) -> None:
    data = {
        "invoice": {
            "number": invoice_number(order.number, milestone.position),
            "order_number": order.number,
            "due_on": day(milestone.due_on),
            "amount": money(milestone.amount, milestone.currency),
            "amount_due": money(milestone.amount - milestone.paid_amount, milestone.currency),
        }
    }
    emit(order.account_id, "invoice.issued", data)


def payment_received(payment, parts, **_ignored) -> None:
    numbers = dict(
        db.session.execute(
            sa.select(Order.id, Order.number).where(
                Order.id.in_({milestone.order_id for milestone, _part in parts})
            )
        ).all()
    )
    data = {
        "payment": {
            "reference": payment.reference,
            "method": payment.method,
            "received_on": day(payment.received_on),
            "amount": money(payment.amount, payment.currency),
            "invoices": [
                {
                    "number": invoice_number(numbers[milestone.order_id], milestone.position),
                    "order_number": numbers[milestone.order_id],
                    "amount": money(part, payment.currency),
                }
                for milestone, part in parts
            ],
        }
    }
    emit(payment.account_id, "payment.received", data)


def quote_answered(quote, version, **_ignored) -> None:
    data = {
        "quote": {
            "number": quote.number,
            "version": version.number,
            "status": quote.status,
            "valid_until": day(version.valid_until),
            "total": money(version.total_amount, quote.currency),
        }
    }
    emit(quote.account_id, "quote.answered", data)


#: hook name (run by the lower domain) -> handler.
HOOKS = {
    "order.status_changed": order_status_changed,
    "invoice.issued": invoice_issued,
    "payment.received": payment_received,
    "quote.answered": quote_answered,
}


def subscribe_all(app: Flask) -> None:
    for name, handler in HOOKS.items():
        subscribe(app, name, handler)
