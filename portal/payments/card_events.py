"""What a card payment really is: Stripe's signed events (`handle_event`) and server-side
retrieves (`sync_card_payment`) move a card payment along CARD_PAYMENT_NEXT, never backwards
(SECURITY.md 29), and apply a success to its milestone through `services.apply_payment` under
the account's lock, the path remittances take. Amount or currency unlike the milestone's:
flagged for finance, not applied (32). Each event id is stored in the same transaction as its
effect (28)."""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import KeyAccount
from portal.contracts.services import today_for
from portal.contracts.terms import term_text
from portal.core import audit
from portal.core.db import begin_write
from portal.core.money import format_money, minor_digits, to_minor
from portal.extensions import db
from portal.ordering.credit import lock_account
from portal.ordering.models import Milestone, Order
from portal.payments.gateway import INTENT_STATUSES, as_dict, stripe_client
from portal.payments.models import (
    CARD_PAYMENT_NEXT,
    CardPayment,
    Payment,
    Refund,
    StripeEvent,
)
from portal.payments.refunds import confirm_refund, start_refunds, take_back
from portal.payments.services import apply_payment

#: The events the webhook acts on; any other verified event is recorded and ignored.
HANDLED_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
)


@dataclass(frozen=True)
class IntentState:
    """What Stripe says of a PaymentIntent, from an event or a retrieve."""

    intent_id: str
    status: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    refunded_minor: int | None = None
    failure: str = ""


def state_of_event(event: dict) -> IntentState | None:
    kind = event.get("type")
    obj = (event.get("data") or {}).get("object") or {}
    if kind not in HANDLED_EVENTS or not isinstance(obj, dict):
        return None
    if kind == "charge.refunded":
        if not obj.get("payment_intent"):
            return None
        return IntentState(
            intent_id=obj["payment_intent"],
            status="refunded",
            amount_minor=obj.get("amount"),
            currency=obj.get("currency"),
            refunded_minor=obj.get("amount_refunded") or obj.get("amount"),
        )
    status = {
        "payment_intent.succeeded": "succeeded",
        "payment_intent.processing": "processing",
        "payment_intent.payment_failed": "failed",
        "payment_intent.canceled": "canceled",
    }[kind]
    error = obj.get("last_payment_error") or {}
    return IntentState(
        intent_id=obj.get("id") or "",
        status=status,
        amount_minor=_received(obj),
        currency=obj.get("currency"),
        failure=(error.get("message") or "") if isinstance(error, dict) else "",
    )


def _received(intent: dict) -> int | None:
    """What a PaymentIntent took: amount_received (localstripe leaves it out: then amount)."""
    received = intent.get("amount_received")
    return received if received is not None else intent.get("amount")


def handle_event(event: dict) -> str:
    """Act on a verified event once: its id is stored in the same transaction as the
    effect, under the account's lock, so a second delivery (also a concurrent one) finds it
    and changes nothing. Returns what happened, for the response and the log."""
    state = state_of_event(event)
    card = None
    if state is not None:
        card = db.session.scalar(
            sa.select(CardPayment).where(CardPayment.stripe_id == state.intent_id)
        )
    if card is not None:
        lock_account(card.account_id)
    else:
        begin_write(db.session)
    if db.session.get(StripeEvent, event["id"]) is not None:
        db.session.rollback()
        return "duplicate"
    db.session.add(StripeEvent(id=event["id"], type=str(event.get("type"))[:100]))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    outcome = "ignored" if card is None else _apply(card, state)
    db.session.commit()
    return outcome


def sync_card_payment(card: CardPayment) -> CardPayment:
    """Ask Stripe how the payment stands (a server-side retrieve, SECURITY.md 31) and apply
    it as an event would be. The return page calls this: what the browser says counts for
    nothing."""
    intent = as_dict(stripe_client().v1.payment_intents.retrieve(card.stripe_id))
    status = INTENT_STATUSES.get(intent.get("status"), "open")
    if status == "open" and intent.get("last_payment_error"):
        status = "failed"
    state = IntentState(
        intent_id=card.stripe_id,
        status=status,
        amount_minor=_received(intent),
        currency=intent.get("currency"),
        failure=(intent.get("last_payment_error") or {}).get("message") or "",
    )
    lock_account(card.account_id)
    _apply(card, state)
    db.session.commit()
    return card


def advance(current: str, to: str) -> str:
    return to if to == current or to in CARD_PAYMENT_NEXT[current] else current


def _apply(card: CardPayment, state: IntentState) -> str:
    """Move the card payment to what Stripe says, if that is forward; apply a success to its
    milestone, reverse a refund. The caller holds the account's lock and commits."""
    db.session.refresh(card)
    if state.status == "refunded":
        return _refund(card, state)
    if state.status == "open" or state.status == card.status:
        return "unchanged"
    if state.status not in CARD_PAYMENT_NEXT[card.status]:
        return f"ignored: {card.status} does not go back to {state.status}"
    card.status = state.status
    if state.status == "failed":
        card.failure_message = state.failure or _("The card was declined.")
        return "failed"
    if state.status == "succeeded":
        return _succeed(card, state)
    return state.status


def _succeed(card: CardPayment, state: IntentState) -> str:
    milestone = db.session.scalar(
        sa.select(Milestone)
        .where(Milestone.id == card.milestone_id)
        .execution_options(populate_existing=True)
    )
    if (reason := _mismatch(card, milestone, state)) is not None:
        card.flagged_reason = reason
        audit.record(None, "payment.card_flagged", f"card_payment:{card.id}", reason=reason)
        return "flagged"
    # A refund that overtook the success event: only what Stripe kept pays the milestone.
    kept = card.amount - card.refunded_amount
    if kept <= 0:
        return "unchanged"
    account = db.session.get(KeyAccount, card.account_id)
    payment = Payment(
        account_id=card.account_id,
        method="card",
        currency=card.currency,
        amount=kept,
        received_on=today_for(account),
        reference=card.stripe_id[:60],
        note=_("Card payment %(id)s through Stripe.", id=card.stripe_id),
    )
    db.session.add(payment)
    db.session.flush()
    apply_payment(payment, [(milestone, kept)])
    card.payment_id = payment.id
    card.failure_message = ""
    order = db.session.get(Order, milestone.order_id)
    if order.status == "cancelled":
        # Paid while it was being cancelled: the money goes back (the sweep asks Stripe).
        start_refunds(order)
    audit.record(
        None,
        "payment.card",
        f"account:{account.slug}",
        {"payment": (None, card.stripe_id), f"milestone:{milestone.id}": (None, kept)},
    )
    return "applied"


def _mismatch(card: CardPayment, milestone: Milestone, state: IntentState) -> str | None:
    """Why the succeeded payment must not be applied, or None (SECURITY.md 32)."""
    currency = (state.currency or "").upper()
    if currency != card.currency or currency != milestone.currency:
        return _(
            "Stripe took %(currency)s; %(label)s is in %(expected)s.",
            currency=currency or "?",
            label=term_text(milestone.label),
            expected=milestone.currency,
        )
    if state.amount_minor != to_minor(card.amount, card.currency):
        taken = Decimal(state.amount_minor or 0).scaleb(-minor_digits(card.currency))
        return _(
            "Stripe took %(taken)s; the payment asked for %(amount)s.",
            taken=format_money(taken, card.currency),
            amount=format_money(card.amount, card.currency),
        )
    unpaid = milestone.amount - milestone.paid_amount
    if card.amount > unpaid:
        return _(
            "%(label)s has only %(unpaid)s unpaid (paid otherwise meanwhile); Stripe took "
            "%(amount)s.",
            label=term_text(milestone.label),
            unpaid=format_money(unpaid, card.currency),
            amount=format_money(card.amount, card.currency),
        )
    return None


def _refund(card: CardPayment, state: IntentState) -> str:
    """Reflect a (partial or full) refund: what was refunded since comes off the payment's
    allocation (the milestone is owed it again, unless its order was cancelled) and the
    portal's refunds of this card payment are confirmed (SECURITY.md 47)."""
    if card.status == "canceled":
        return "ignored"
    refunded = Decimal(state.refunded_minor or 0).scaleb(-minor_digits(card.currency))
    refunded = min(refunded, card.amount)
    if refunded <= card.refunded_amount:
        return "unchanged"
    delta = refunded - card.refunded_amount
    card.refunded_amount = refunded
    if refunded >= card.amount:
        card.status = "refunded"
    account = db.session.get(KeyAccount, card.account_id)
    for refund in db.session.scalars(
        sa.select(Refund)
        .where(Refund.card_payment_id == card.id, Refund.status != "refunded")
        .order_by(Refund.id)
    ):
        if refund.amount > delta:
            break
        delta -= refund.amount
        confirm_refund(refund, today_for(account))
    if card.payment_id is not None and delta > 0:
        # A refund made at Stripe itself, not one the portal asked for.
        take_back(card.payment_id, card.milestone_id, delta)
    audit.record(
        None,
        "payment.card_refunded",
        f"card_payment:{card.id}",
        {"refunded_amount": (None, refunded)},
    )
    return "refunded"
