"""Card payments through Stripe: one PaymentIntent per milestone, confirmed with a card the
buyer enters in Stripe's own element (the portal only ever sees Stripe's ids, SECURITY.md 33),
applied to the milestone only on a verified webhook or a server-side retrieve (SECURITY.md 31).

How a payment goes:
1. `open_card_payment` gives the milestone's PaymentIntent, created once with an idempotency
   key derived from the milestone and the attempt number (SECURITY.md 30). It is reused while
   it is not paid or canceled; a new attempt (the next key) follows only a cancellation.
2. The buyer's browser sets a card up with Stripe (stripe.js `confirmCardSetup`) and posts the
   resulting payment method id; `confirm_card_payment` attaches it to the PaymentIntent and
   confirms it (saving the card for later installments when the buyer consented).
3. Stripe's signed event (`handle_event`) or a retrieve (`sync_card_payment`) moves the card
   payment along CARD_PAYMENT_NEXT, never backwards (SECURITY.md 29), and applies a success
   through `services.apply_payment` under the account's lock, the path remittances take.
   Amount or currency unlike the milestone's: flagged for finance, not applied (32). Each event
   id is stored in the same transaction as its effect (28).
"""

import contextlib
import json
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
import stripe
from flask import current_app
from flask_babel import format_currency
from flask_babel import gettext as _
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import KeyAccount, User
from portal.contracts.services import today_for
from portal.core import audit
from portal.core.db import begin_write, utcnow
from portal.core.errors import ServiceError
from portal.core.money import minor_digits, to_minor
from portal.extensions import db
from portal.ordering.models import Milestone, Order
from portal.ordering.services import lock_account
from portal.payments.models import (
    CARD_PAYMENT_NEXT,
    CardPayment,
    Payment,
    PaymentAllocation,
    SavedCard,
    StripeEvent,
)
from portal.payments.services import apply_payment

#: Orders whose milestones may be paid by card.
CARD_PAYABLE_STATUSES = (
    "pending_approval",
    "submitted",
    "confirmed",
    "released",
    "shipped",
    "delivered",
    "on_hold",
)
#: Stripe's PaymentIntent statuses as the portal's card payment statuses.
INTENT_STATUSES = {
    "requires_payment_method": "open",
    "requires_confirmation": "open",
    "requires_action": "open",
    "requires_capture": "processing",
    "processing": "processing",
    "succeeded": "succeeded",
    "canceled": "canceled",
}
#: The events the webhook acts on; any other verified event is recorded and ignored.
HANDLED_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
)


# Stripe


def is_configured() -> bool:
    config = current_app.config
    return bool(
        config.get("STRIPE_SECRET_KEY")
        and config.get("STRIPE_PUBLISHABLE_KEY")
        and config.get("STRIPE_WEBHOOK_SECRET")
    )


def stripe_client() -> stripe.StripeClient:
    """The official client, at the configured API base (localstripe in the demo and tests).
    Network retries resend the same idempotency key."""
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else None,
        max_network_retries=2,
    )


def _as_dict(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


# Which milestones may be paid by card


def payable_refusal(milestone: Milestone, order: Order) -> str | None:
    """Why the milestone cannot be paid by card now, or None when it can: it must have
    fallen due (its invoice issued: deposit, installment, prepayment, a net-term amount),
    be unpaid, and belong to an open order that no letter of credit pays."""
    if order.needs_letter_of_credit:
        return _("This payment is covered by a letter of credit, not by card.")
    if order.status not in CARD_PAYABLE_STATUSES:
        return _("Order %(number)s is closed to payments.", number=order.number)
    if milestone.is_paid:
        return _(
            "%(label)s of order %(number)s is paid.", label=milestone.label, number=order.number
        )
    if milestone.due_on is None:
        return _("%(label)s is not due yet.", label=milestone.label)
    return None


def card_payment_link(milestone: Milestone) -> str | None:
    """The "Pay by card" address for a milestone on the buyer's pages, or None. A template
    global: the invoices page calls it per row; the pay page checks everything again."""
    from flask import request, url_for

    if not is_configured() or milestone.is_paid or milestone.due_on is None:
        return None
    order = sa_inspect(milestone).attrs.order.loaded_value
    if isinstance(order, Order) and payable_refusal(milestone, order) is not None:
        return None
    # The buyer's pages carry the account's slug; another page looks it up.
    slug = (request.view_args or {}).get("slug")
    if slug is None:
        slug = db.session.scalar(
            sa.select(KeyAccount.slug).where(KeyAccount.id == milestone.account_id)
        )
    return url_for("payments.pay_by_card", slug=slug, milestone_id=milestone.id)


def milestone_of_account_or_404(account: KeyAccount, milestone_id: int) -> tuple[Milestone, Order]:
    from flask import abort

    row = db.session.execute(
        sa.select(Milestone, Order)
        .join(Order, Order.id == Milestone.order_id)
        .where(Milestone.id == milestone_id, Milestone.account_id == account.id)
    ).first()
    if row is None:
        abort(404)
    return row[0], row[1]


# 1. The milestone's PaymentIntent


def idempotency_key(milestone: Milestone, order: Order, attempt: int) -> str:
    """The same for every retry of one attempt, different for the next attempt."""
    return f"portal-{order.number}-milestone-{milestone.id}-attempt-{attempt}"


def current_card_payment(milestone_id: int) -> CardPayment | None:
    """The milestone's latest attempt."""
    return db.session.scalar(
        sa.select(CardPayment)
        .where(CardPayment.milestone_id == milestone_id)
        .order_by(CardPayment.attempt.desc())
        .limit(1)
    )


def open_card_payment(buyer: User | None, milestone: Milestone, order: Order) -> CardPayment:
    """The milestone's PaymentIntent for its unpaid amount: the current one while it can
    still be paid, else a new attempt. Stripe is called before anything is written, with the
    attempt's key, so a retry after a failure anywhere asks Stripe for the same intent."""
    if (refusal := payable_refusal(milestone, order)) is not None:
        raise ServiceError(refusal)
    unpaid = milestone.amount - milestone.paid_amount
    current = current_card_payment(milestone.id)
    if current is not None:
        if current.status in ("processing", "succeeded"):
            return current
        if current.status == "open" and current.amount == unpaid:
            return current
        if current.status in ("open", "failed"):
            # Part was paid by transfer meanwhile (this intent asks for too much), or the
            # card was declined: the next attempt starts afresh.
            _cancel_intent(current)
    attempt = 1 if current is None else current.attempt + 1
    key = idempotency_key(milestone, order, attempt)
    try:
        intent = stripe_client().v1.payment_intents.create(
            params={
                "amount": to_minor(unpaid, milestone.currency),
                "currency": milestone.currency.lower(),
                "payment_method_types": ["card"],
                "metadata": {
                    "milestone_id": str(milestone.id),
                    "order": order.number,
                    "payment": milestone.label,
                },
            },
            options={"idempotency_key": key},
        )
    except stripe.StripeError:
        raise ServiceError(
            _("Card payments are not available just now; nothing was charged. Try again later.")
        ) from None
    card = CardPayment(
        account_id=milestone.account_id,
        milestone_id=milestone.id,
        attempt=attempt,
        stripe_id=intent.id,
        idempotency_key=key,
        amount=unpaid,
        currency=milestone.currency,
        status=INTENT_STATUSES.get(intent.status, "open"),
        started_by_id=buyer.id if buyer is not None else None,
    )
    begin_write(db.session)  # the pay page is a GET: it reads without the write lock
    db.session.add(card)
    try:
        db.session.commit()
    except IntegrityError:
        # A double click: the other request stored this attempt first (and real Stripe gave
        # both the same intent for the same key).
        db.session.rollback()
        stored = current_card_payment(milestone.id)
        if stored is None:
            raise
        return stored
    return card


def _cancel_intent(card: CardPayment) -> None:
    # Already paid or canceled at Stripe: its own event says which.
    with contextlib.suppress(stripe.InvalidRequestError):
        stripe_client().v1.payment_intents.cancel(card.stripe_id)
    begin_write(db.session)
    card.status = "canceled"
    db.session.commit()


def client_secret(card: CardPayment) -> str:
    """For stripe.js to finish an action (3-D Secure) on the buyer's side."""
    return stripe_client().v1.payment_intents.retrieve(card.stripe_id).client_secret


def setup_secret() -> str:
    """A SetupIntent's client secret: stripe.js confirms the buyer's card with it, in Stripe's
    element, and hands the portal only the resulting payment method id."""
    return stripe_client().v1.setup_intents.create(params={"usage": "off_session"}).client_secret


# 2. Confirming with the buyer's card


@dataclass(frozen=True)
class Confirmation:
    card: CardPayment
    #: Stripe needs the buyer (3-D Secure): stripe.js finishes with this intent's secret.
    needs_action: bool


def confirm_card_payment(
    buyer: User,
    card: CardPayment,
    *,
    payment_method_id: str | None = None,
    saved_card: SavedCard | None = None,
    save_card: bool = False,
) -> Confirmation:
    """Attach the buyer's card to the milestone's intent and confirm it. Saving the card
    needs the buyer's consent (`save_card`), recorded with who and when."""
    if card.status not in ("open", "failed"):
        raise ServiceError(_("This payment is under way already."))
    if saved_card is not None:
        if not saved_card.is_active or saved_card.account_id != card.account_id:
            raise ServiceError(_("Choose one of your account's saved cards."))
        params = {
            "payment_method": saved_card.stripe_payment_method_id,
            "customer": saved_card.stripe_customer_id,
        }
    elif payment_method_id and payment_method_id.startswith("pm_") and len(payment_method_id) < 255:
        params = {"payment_method": payment_method_id}
    else:
        raise ServiceError(_("Enter your card in the card box, then pay."))
    client = stripe_client()
    try:
        if save_card and saved_card is None:
            saved = save_payment_method(buyer, card.account_id, payment_method_id)
            params["customer"] = saved.stripe_customer_id
        client.v1.payment_intents.update(card.stripe_id, params=params)
        intent = client.v1.payment_intents.confirm(card.stripe_id)
    except stripe.CardError as error:
        card.status = _advance(card.status, "failed")
        card.failure_message = error.user_message or _("The card was declined.")
        db.session.commit()
        raise ServiceError(card.failure_message) from None
    except stripe.StripeError:
        raise ServiceError(
            _("The card payment could not be started; nothing was charged. Try again.")
        ) from None
    if intent.status == "processing":
        card.status = _advance(card.status, "processing")
    card.failure_message = ""
    if saved_card is not None:
        card.saved_card_id = saved_card.id
    db.session.commit()
    return Confirmation(card, needs_action=intent.status == "requires_action")


def save_payment_method(buyer: User, account_id: int, payment_method_id: str) -> SavedCard:
    """Keep the buyer's card (Stripe's ids, brand, last four digits, expiry) for the account's
    later installments: attached to the account's Stripe customer, with the consent recorded."""
    client = stripe_client()
    customer_id = db.session.scalar(
        sa.select(SavedCard.stripe_customer_id)
        .where(SavedCard.account_id == account_id)
        .order_by(SavedCard.id.desc())
        .limit(1)
    )
    if customer_id is None:
        account = db.session.get(KeyAccount, account_id)
        customer_id = client.v1.customers.create(
            params={"name": account.name, "metadata": {"account": account.slug}}
        ).id
    method = client.v1.payment_methods.attach(payment_method_id, params={"customer": customer_id})
    details = _as_dict(method).get("card") or {}
    # One saved card per account: a newer one replaces the older ones.
    for older in db.session.scalars(
        sa.select(SavedCard).where(SavedCard.account_id == account_id, SavedCard.is_active)
    ):
        older.is_active = False
    saved = SavedCard(
        account_id=account_id,
        stripe_customer_id=customer_id,
        stripe_payment_method_id=method.id,
        brand=str(details.get("brand") or "card")[:30],
        last4=str(details.get("last4") or "")[:4],
        exp_month=int(details.get("exp_month") or 0),
        exp_year=int(details.get("exp_year") or 0),
        consented_by_id=buyer.id,
        consented_at=utcnow(),
    )
    db.session.add(saved)
    db.session.flush()
    audit.record(
        buyer,
        "payment.card_saved",
        f"saved_card:{saved.id}",
        {"card": (None, f"{saved.brand} {saved.last4}")},
        "The buyer consented to charges on due dates.",
    )
    return saved


def saved_cards_of(account_id: int) -> list[SavedCard]:
    return list(
        db.session.scalars(
            sa.select(SavedCard)
            .where(SavedCard.account_id == account_id, SavedCard.is_active)
            .order_by(SavedCard.id.desc())
        )
    )


def remove_saved_card(buyer: User, saved: SavedCard) -> None:
    """The buyer withdraws consent: no more charges on due dates with this card."""
    saved.is_active = False
    # Inactive here is what stops the charges; Stripe's copy may be detached later.
    with contextlib.suppress(stripe.StripeError):
        stripe_client().v1.payment_methods.detach(saved.stripe_payment_method_id)
    audit.record(
        buyer, "payment.card_removed", f"saved_card:{saved.id}", {"is_active": (True, False)}
    )
    db.session.commit()


# 3. Events and retrieves: what the payment really is


def verified_event(payload: bytes, signature: str | None) -> dict:
    """The event in the raw body when its signature is good and fresh (SECURITY.md 27);
    ValueError otherwise."""
    config = current_app.config
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature or "",
            config["STRIPE_WEBHOOK_SECRET"],
            config["STRIPE_WEBHOOK_TOLERANCE"],
        )
        # stripe-python refuses old timestamps only; one from the future is as suspect.
        stamp = int(dict(p.split("=", 1) for p in signature.split(",") if "=" in p)["t"])
        if stamp > time.time() + config["STRIPE_WEBHOOK_TOLERANCE"]:
            raise ValueError("timestamp in the future")
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError, KeyError) as error:
        raise ValueError(str(error)) from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise ValueError("not an event")
    return event


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
    intent = _as_dict(stripe_client().v1.payment_intents.retrieve(card.stripe_id))
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


def _advance(current: str, to: str) -> str:
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
            label=milestone.label,
            expected=milestone.currency,
        )
    if state.amount_minor != to_minor(card.amount, card.currency):
        taken = Decimal(state.amount_minor or 0).scaleb(-minor_digits(card.currency))
        return _(
            "Stripe took %(taken)s; the payment asked for %(amount)s.",
            taken=format_currency(taken, card.currency),
            amount=format_currency(card.amount, card.currency),
        )
    unpaid = milestone.amount - milestone.paid_amount
    if card.amount > unpaid:
        return _(
            "%(label)s has only %(unpaid)s unpaid (paid otherwise meanwhile); Stripe took "
            "%(amount)s.",
            label=milestone.label,
            unpaid=format_currency(unpaid, card.currency),
            amount=format_currency(card.amount, card.currency),
        )
    return None


def _refund(card: CardPayment, state: IntentState) -> str:
    """Reflect a (partial or full) refund: the allocation shrinks by what was refunded since,
    and the milestone is open again for that much."""
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
    if card.payment_id is not None:
        _reverse(card.payment_id, card.milestone_id, delta)
    audit.record(
        None,
        "payment.card_refunded",
        f"card_payment:{card.id}",
        {"refunded_amount": (None, refunded)},
    )
    return "refunded"


def _reverse(payment_id: int, milestone_id: int, amount: Decimal) -> None:
    """Take `amount` back off a payment's allocation to a milestone: the milestone's
    `paid_amount` stays the sum of its allocations."""
    allocation = db.session.scalar(
        sa.select(PaymentAllocation).where(
            PaymentAllocation.payment_id == payment_id,
            PaymentAllocation.milestone_id == milestone_id,
        )
    )
    milestone = db.session.get(Milestone, milestone_id, populate_existing=True)
    if allocation is None:
        return
    amount = min(amount, allocation.amount)
    milestone.paid_amount = milestone.paid_amount - amount
    if amount == allocation.amount:
        db.session.delete(allocation)
    else:
        allocation.amount = allocation.amount - amount
    payment = db.session.get(Payment, payment_id)
    payment.note = (payment.note + "\n" if payment.note else "") + _(
        "Refunded %(amount)s.", amount=format_currency(amount, payment.currency)
    )


# For finance


def flagged_card_payments() -> list[tuple[CardPayment, Milestone, Order, KeyAccount]]:
    """Succeeded card payments that were not applied, for the finance desk."""
    rows = db.session.execute(
        sa.select(CardPayment, Milestone, Order, KeyAccount)
        .join(Milestone, Milestone.id == CardPayment.milestone_id)
        .join(Order, Order.id == Milestone.order_id)
        .join(KeyAccount, KeyAccount.id == CardPayment.account_id)
        .where(CardPayment.flagged_reason != "", CardPayment.status == "succeeded")
        .order_by(CardPayment.updated_at.desc())
        .limit(100)
    ).all()
    return [tuple(row) for row in rows]


# Installments charged on their due dates


@dataclass
class ChargeRun:
    charged: int = 0
    failed: int = 0
    skipped: int = 0


def due_for_saved_cards(on: date | None = None) -> list[tuple[Milestone, Order, SavedCard]]:
    """Milestones due by today (each account's own today, or `on`), unpaid, of open orders not
    under a letter of credit, of accounts with an active saved card."""
    rows = db.session.execute(
        sa.select(Milestone, Order, SavedCard, KeyAccount)
        .join(Order, Order.id == Milestone.order_id)
        .join(SavedCard, sa.and_(SavedCard.account_id == Order.account_id, SavedCard.is_active))
        .join(KeyAccount, KeyAccount.id == Order.account_id)
        .where(
            Milestone.due_on.is_not(None),
            Milestone.paid_amount < Milestone.amount,
            Order.status.in_(CARD_PAYABLE_STATUSES),
            Order.needs_letter_of_credit.is_(False),
        )
        .order_by(Milestone.due_on, Milestone.id)
    ).all()
    return [
        (milestone, order, saved)
        for milestone, order, saved, account in rows
        if milestone.due_on <= (on or today_for(account))
    ]


def charge_saved_cards(on: date | None = None) -> ChargeRun:
    """Charge each due installment to its account's saved card, off session, once: a
    milestone with a payment under way or paid is skipped; a declined card is recorded as
    failed (the buyer pays on the invoices page) and not retried by the next run."""
    run = ChargeRun()
    for milestone, order, saved in due_for_saved_cards(on):
        current = current_card_payment(milestone.id)
        if current is not None and (
            current.status in ("processing", "succeeded")
            or (current.status == "failed" and current.saved_card_id == saved.id)
        ):
            run.skipped += 1
            continue
        try:
            _charge_off_session(milestone, order, saved, current)
            run.charged += 1
        except ServiceError:
            run.failed += 1
    return run


def _charge_off_session(
    milestone: Milestone, order: Order, saved: SavedCard, current: CardPayment | None
) -> None:
    if current is not None and current.status in ("open", "failed"):
        _cancel_intent(current)
    attempt = 1 if current is None else current.attempt + 1
    key = idempotency_key(milestone, order, attempt)
    unpaid = milestone.amount - milestone.paid_amount
    card = CardPayment(
        account_id=milestone.account_id,
        milestone_id=milestone.id,
        attempt=attempt,
        idempotency_key=key,
        amount=unpaid,
        currency=milestone.currency,
        saved_card_id=saved.id,
    )
    try:
        intent = stripe_client().v1.payment_intents.create(
            params={
                "amount": to_minor(unpaid, milestone.currency),
                "currency": milestone.currency.lower(),
                "customer": saved.stripe_customer_id,
                "payment_method": saved.stripe_payment_method_id,
                "confirm": True,
                "off_session": True,
                "metadata": {"milestone_id": str(milestone.id), "order": order.number},
            },
            options={"idempotency_key": key},
        )
    except stripe.CardError as error:
        intent = getattr(error.error, "payment_intent", None) if error.error else None
        card.stripe_id = getattr(intent, "id", None) or f"declined-{key}"
        card.status = "failed"
        card.failure_message = error.user_message or _("The card was declined.")
        db.session.add(card)
        db.session.commit()
        raise ServiceError(card.failure_message) from None
    except stripe.StripeError:
        raise ServiceError(_("Stripe could not be reached; the next run tries again.")) from None
    card.stripe_id = intent.id
    db.session.add(card)
    db.session.commit()
    # Applied as every payment is: from what Stripe says when asked (or its event).
    sync_card_payment(card)
