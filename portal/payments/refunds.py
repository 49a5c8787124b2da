"""Money back when it is not owed (SECURITY.md 47): an order cancelled or rejected with money on
it owes each part of each payment on its milestones back, once (a Refund per payment and
milestone, unique). Card payments go back through Stripe, with an idempotency key, and count as
refunded when Stripe's `charge.refunded` event says so (card_events); bank remittances wait on
the finance desk until finance records the transfer back.

1. `start_refunds` runs in the cancellation's own transaction (the hook "order.cancelled" that
   ordering.lifecycle.transition runs), so a cancelled order never lacks its refunds; the sweep
   also finds money that reached an order after it was cancelled (a card payment or remittance
   that crossed the cancellation).
2. `request_card_refunds` asks Stripe, after that commit (the hook "order.committed") and again
   from the sweep while Stripe could not be reached.
3. `confirm_refund` (card, from the event) and `record_bank_refund` (finance) take the part off
   the milestone's paid amount and add it to its refunded amount.
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
import stripe
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from portal.accounts.models import KeyAccount, User
from portal.contracts.services import today_for
from portal.core import audit
from portal.core.errors import ServiceError
from portal.core.money import format_money, to_minor
from portal.extensions import db
from portal.ordering.credit import lock_account
from portal.ordering.models import Milestone, Order
from portal.payments.gateway import is_configured, stripe_client
from portal.payments.models import CardPayment, Payment, PaymentAllocation, Refund

# 1. What is owed back


def start_refunds(order: Order, actor: User | None = None) -> list[Refund]:
    """A refund owed for every part of a payment on the cancelled order's milestones that has
    none yet, in the caller's transaction. Takes the account's row lock (PostgreSQL) so that no
    remittance or card payment lands on the order meanwhile."""
    db.session.execute(
        sa.select(KeyAccount.id).where(KeyAccount.id == order.account_id).with_for_update()
    )
    rows = db.session.execute(
        sa.select(PaymentAllocation, Payment, CardPayment.id)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .join(Milestone, Milestone.id == PaymentAllocation.milestone_id)
        .outerjoin(CardPayment, CardPayment.payment_id == Payment.id)
        .outerjoin(
            Refund,
            sa.and_(
                Refund.payment_id == PaymentAllocation.payment_id,
                Refund.milestone_id == PaymentAllocation.milestone_id,
            ),
        )
        .where(Milestone.order_id == order.id, Refund.id.is_(None))
        .order_by(PaymentAllocation.id)
    ).all()
    refunds = []
    for allocation, payment, card_payment_id in rows:
        is_card = payment.method == "card" and card_payment_id is not None
        refund = Refund(
            account_id=order.account_id,
            order_id=order.id,
            milestone_id=allocation.milestone_id,
            payment_id=payment.id,
            card_payment_id=card_payment_id if is_card else None,
            method="card" if is_card else "bank_transfer",
            currency=payment.currency,
            amount=allocation.amount,
            idempotency_key=(
                f"portal-refund-{order.number}-payment-{payment.id}-milestone-"
                f"{allocation.milestone_id}"
                if is_card
                else None
            ),
        )
        db.session.add(refund)
        refunds.append(refund)
        audit.record(
            actor,
            "payment.refund_owed",
            f"order:{order.number}",
            {
                "refund": (None, f"{allocation.amount} {payment.currency}"),
                "payment": (None, payment.reference),
            },
        )
    return refunds


# 2. Card refunds through Stripe


def request_card_refunds(order: Order | None = None) -> int:
    """Ask Stripe to refund the card refunds still owed (of `order`, or all of them), each with
    its own idempotency key, so a retry never refunds twice. Commits each; how many went."""
    if not is_configured():
        return 0
    query = sa.select(Refund).where(Refund.method == "card", Refund.status == "owed")
    if order is not None:
        if order.status != "cancelled":
            return 0
        query = query.where(Refund.order_id == order.id)
    requested = 0
    for refund_id in db.session.scalars(query.with_only_columns(Refund.id).order_by(Refund.id)):
        requested += _request(refund_id)
    return requested


def _request(refund_id: int) -> int:
    refund = db.session.get(Refund, refund_id, populate_existing=True)
    card = db.session.get(CardPayment, refund.card_payment_id)
    try:
        made = stripe_client().v1.refunds.create(
            params={
                "payment_intent": card.stripe_id,
                "amount": to_minor(refund.amount, refund.currency),
                "metadata": {"refund": str(refund.id), "order_id": str(refund.order_id)},
            },
            options={"idempotency_key": refund.idempotency_key},
        )
    except stripe.StripeError as error:
        # Stays owed: the sweep asks again, with the same key.
        refund.failure_message = str(error.user_message or error)[:500]
        db.session.commit()
        return 0
    refund.status = "requested"
    refund.stripe_refund_id = made.id
    refund.failure_message = ""
    db.session.commit()
    return 1


def on_order_committed(order: Order) -> None:
    """After a change of status is stored: a cancelled order's card refunds go to Stripe now
    (should Stripe not answer, the sweep asks again)."""
    if order.status == "cancelled":
        request_card_refunds(order)


# 3. Refunds confirmed


def confirm_refund(refund: Refund, on: date) -> None:
    """The money is back with the customer: off the milestone's paid amount (and the payment's
    allocation), onto its refunded amount. The caller holds the account's lock and commits."""
    refund.status = "refunded"
    refund.refunded_on = on
    take_back(refund.payment_id, refund.milestone_id, refund.amount)


def take_back(payment_id: int, milestone_id: int, amount: Decimal) -> Decimal:
    """Take `amount` off a payment's allocation to a milestone: the milestone's `paid_amount`
    stays the sum of its allocations, and its `refunded_amount` grows. What was taken."""
    allocation = db.session.scalar(
        sa.select(PaymentAllocation).where(
            PaymentAllocation.payment_id == payment_id,
            PaymentAllocation.milestone_id == milestone_id,
        )
    )
    if allocation is None:
        return Decimal(0)
    milestone = db.session.get(Milestone, milestone_id, populate_existing=True)
    amount = min(amount, allocation.amount)
    milestone.paid_amount = milestone.paid_amount - amount
    milestone.refunded_amount = milestone.refunded_amount + amount
    if amount == allocation.amount:
        db.session.delete(allocation)
    else:
        allocation.amount = allocation.amount - amount
    payment = db.session.get(Payment, payment_id)
    payment.note = (payment.note + "\n" if payment.note else "") + _(
        "Refunded %(amount)s.", amount=format_money(amount, payment.currency)
    )
    return amount


def record_bank_refund(actor: User, refund: Refund, reference: str, sent_on: date) -> None:
    """Finance sent a remittance's part back by bank transfer: the refund is done."""
    reference = " ".join(reference.split()).upper()
    if not reference or len(reference) > 60:
        raise ServiceError(
            _("Give the bank's reference of the transfer back, in at most 60 characters."),
            "reference",
        )
    account = db.session.get(KeyAccount, refund.account_id)
    if sent_on > today_for(account):
        raise ServiceError(_("The date sent cannot lie in the future."), "sent_on")
    lock_account(refund.account_id)
    db.session.refresh(refund)
    if refund.method != "bank_transfer" or refund.status != "owed":
        raise ServiceError(_("This refund is not waiting for a bank transfer."))
    refund.reference = reference
    refund.recorded_by_id = actor.id
    confirm_refund(refund, sent_on)
    audit.record(
        actor,
        "payment.refund_sent",
        f"account:{account.slug}",
        {"refund": (None, f"{refund.amount} {refund.currency}"), "reference": (None, reference)},
    )
    db.session.commit()


# The sweep, and what pages show


def status_label(status: str) -> str:
    return {
        "owed": _("refund owed"),
        "requested": _("refund under way"),
        "refunded": _("refunded"),
    }[status]


def sweep_refunds() -> str:
    """Every minute: refunds owed for money that reached a cancelled order after it was
    cancelled, and card refunds that Stripe did not take yet."""
    missed = db.session.scalars(
        sa.select(Order)
        .join(Milestone, Milestone.order_id == Order.id)
        .join(PaymentAllocation, PaymentAllocation.milestone_id == Milestone.id)
        .outerjoin(
            Refund,
            sa.and_(
                Refund.payment_id == PaymentAllocation.payment_id,
                Refund.milestone_id == PaymentAllocation.milestone_id,
            ),
        )
        .where(Order.status == "cancelled", Refund.id.is_(None))
        .distinct()
    ).all()
    started = 0
    for order in missed:
        lock_account(order.account_id)
        started += len(start_refunds(db.session.get(Order, order.id, populate_existing=True)))
        db.session.commit()
    requested = request_card_refunds()
    return f"{started} refunds started, {requested} asked of Stripe"


def refunds_of_order(order: Order) -> list[Refund]:
    """The order's refunds, oldest first, with their milestones: one statement."""
    return list(
        db.session.scalars(
            sa.select(Refund)
            .join(Refund.milestone)
            .options(contains_eager(Refund.milestone))
            .where(Refund.order_id == order.id)
            .order_by(Refund.id)
        )
    )


def refunds_owed() -> list[Refund]:
    """Refunds not done yet, for the finance desk: bank transfers to send, card refunds that
    Stripe has not taken or confirmed. Oldest first, one statement."""
    return list(
        db.session.scalars(
            sa.select(Refund)
            .join(Refund.order)
            .join(Order.account)
            .options(contains_eager(Refund.order).contains_eager(Order.account))
            .where(Refund.status != "refunded")
            .order_by(Refund.id)
            .limit(200)
        )
    )
