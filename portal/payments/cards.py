"""Card payments through Stripe: one PaymentIntent per milestone, confirmed with a card the
buyer enters in Stripe's own element (the portal only ever sees Stripe's ids, SECURITY.md 33),
applied to the milestone only on a verified webhook or a server-side retrieve (SECURITY.md 31,
card_events.py).

How a payment goes:
1. `open_card_payment` gives the milestone's PaymentIntent, created once with an idempotency
   key derived from the milestone and the attempt number (SECURITY.md 30). It is reused while
   it is not paid or canceled; a new attempt (the next key) follows only a cancellation.
2. The buyer's browser sets a card up with Stripe (stripe.js `confirmCardSetup`) and posts the
   resulting payment method id; `confirm_card_payment` attaches it to the PaymentIntent and
   confirms it (saving the card for later installments when the buyer consented).
3. Stripe's event or a retrieve says what became of it (card_events.py).
Installments due on accounts with a saved card are charged off session by `charge_saved_cards`.
"""

import contextlib
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import stripe
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import KeyAccount, User
from portal.contracts.terms import term_text
from portal.core import audit
from portal.core.db import begin_write, utcnow
from portal.core.errors import ServiceError
from portal.core.money import to_minor
from portal.extensions import db
from portal.ordering.lifecycle import is_payable, status_label
from portal.ordering.models import Milestone, Order
from portal.payments.card_events import advance, sync_card_payment
from portal.payments.gateway import INTENT_STATUSES, as_dict, is_configured, stripe_client
from portal.payments.models import CardPayment, SavedCard
from portal.payments.queries import current_card_payment, due_for_saved_cards

# Which milestones may be paid by card


def payable_refusal(milestone: Milestone, order: Order) -> str | None:
    """Why the milestone cannot be paid by card now, or None when it can: it must have
    fallen due (its invoice issued: deposit, installment, prepayment, a net-term amount),
    be unpaid, and belong to an open order that no letter of credit pays."""
    if order.needs_letter_of_credit:
        return _("This payment is covered by a letter of credit, not by card.")
    if not is_payable(order):
        return _(
            "Order %(number)s is %(status)s: nothing is owed on it now.",
            number=order.number,
            status=status_label(order.status),
        )
    if milestone.is_paid:
        return _(
            "%(label)s of order %(number)s is paid.",
            label=term_text(milestone.label),
            number=order.number,
        )
    if milestone.due_on is None:
        return _("%(label)s is not due yet.", label=milestone.label)
    return None


def card_payment_link(milestone: Milestone, order: Order) -> str | None:
    """The "Pay by card" address for a milestone of `order` on the buyer's pages, or None when
    paying it by card would not work (SECURITY.md 47); the pay page checks everything again."""
    from flask import request, url_for

    if not is_configured() or payable_refusal(milestone, order) is not None:
        return None
    # The buyer's pages carry the account's slug; another page looks it up.
    slug = (request.view_args or {}).get("slug")
    if slug is None:
        slug = db.session.scalar(
            sa.select(KeyAccount.slug).where(KeyAccount.id == milestone.account_id)
        )
    return url_for("payments.pay_by_card", slug=slug, milestone_id=milestone.id)


# 1. The milestone's PaymentIntent


def card_payment_links(order: Order | None, milestones) -> dict[int, str]:
    """Milestone id -> its "Pay by card" address, for those of `milestones` payable by card
    now: what the invoices page (each milestone with its order loaded, `order` None) and the
    buyer's order page (the milestones of `order`) show."""
    links = {}
    for milestone in milestones:
        link = card_payment_link(milestone, order or milestone.order)
        if link is not None:
            links[milestone.id] = link
    return links


def idempotency_key(milestone: Milestone, order: Order, attempt: int) -> str:
    """The same for every retry of one attempt, different for the next attempt."""
    return f"portal-{order.number}-milestone-{milestone.id}-attempt-{attempt}"


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
        card.status = advance(card.status, "failed")
        card.failure_message = error.user_message or _("The card was declined.")
        db.session.commit()
        raise ServiceError(card.failure_message) from None
    except stripe.StripeError:
        raise ServiceError(
            _("The card payment could not be started; nothing was charged. Try again.")
        ) from None
    if intent.status == "processing":
        card.status = advance(card.status, "processing")
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
    details = as_dict(method).get("card") or {}
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


# Installments charged on their due dates


@dataclass
class ChargeRun:
    charged: int = 0
    failed: int = 0
    skipped: int = 0


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
