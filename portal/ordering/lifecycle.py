"""The order lifecycle of DESIGN.md section 4 as data: every status and status set, the allowed
moves, their labels, and `transition`, the one way an order changes status (each move recorded
in its history, the buyer told).

Everything else asks here: the order table's check constraint, credit, the release gate, the
order desk and payments. This module imports no ordering model (the models import it).
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from portal.contracts.terms import term_text
from portal.core.dates import format_day
from portal.core.errors import ServiceError
from portal.core.hooks import run_hook
from portal.core.invoice_numbers import invoice_number
from portal.core.money import format_money
from portal.extensions import db
from portal.notifications.services import later, notify, settle

#: An order on hold goes back to where it was held from.
ALLOWED_TRANSITIONS = {
    "pending_approval": {"submitted", "on_hold", "cancelled"},
    "submitted": {"confirmed", "on_hold", "cancelled"},
    "confirmed": {"released", "on_hold", "cancelled"},
    "released": {"shipped", "on_hold", "cancelled"},
    "shipped": {"delivered"},
    "delivered": {"closed"},
    "on_hold": {"pending_approval", "submitted", "confirmed", "released", "cancelled"},
    "closed": set(),
    "cancelled": set(),
}
#: Every status, in the lifecycle's order (the orders table's check constraint).
ORDER_STATUSES = (
    "pending_approval",
    "submitted",
    "confirmed",
    "released",
    "shipped",
    "delivered",
    "closed",
    "cancelled",
    "on_hold",
)
#: Orders still in play: their unpaid amounts count against the credit limit.
OPEN_STATUSES = tuple(s for s in ORDER_STATUSES if s not in ("closed", "cancelled"))
#: Orders whose milestones are owed, so open to payment (by card, remittance or the saved-card
#: run): placed and approved, not yet closed or cancelled. An order on hold is payable unless it
#: was held while waiting for approval (`is_payable`); nothing is owed before an approver says yes
#: (SECURITY.md 47).
PAYABLE_STATUSES = ("submitted", "confirmed", "released", "shipped", "delivered", "on_hold")
#: Statuses from which the buyer may still cancel: nothing has been released to production.
BUYER_CANCELLABLE = ("pending_approval", "submitted", "confirmed")
#: Once an order is here, nothing keeps it from release any more.
PAST_THE_GATE = ("released", "shipped", "delivered", "closed", "cancelled")


def status_label(status: str) -> str:
    return {
        "pending_approval": _("waiting for approval"),
        "submitted": _("submitted"),
        "confirmed": _("confirmed"),
        "released": _("released to production"),
        "shipped": _("shipped"),
        "delivered": _("delivered"),
        "closed": _("closed"),
        "cancelled": _("cancelled"),
        "on_hold": _("on hold"),
    }[status]


def event_label(event) -> str:
    """A step of an order's history in words: what was done where the status alone does not
    say it (an approval, a rejection), else the status it moved to."""
    if event.action == "approved":
        return _("approved")
    if event.action == "rejected":
        return _("rejected")
    return status_label(event.to_status)


def approval_topic(order) -> str:
    """What the notices asking someone to decide the order are about (Notice.about)."""
    return f"approval:{order.number}"


def is_waiting_for_approval(order) -> bool:
    """Waiting for an approver, also while held from there."""
    return order.status == "pending_approval" or (
        order.status == "on_hold" and order.held_from_status == "pending_approval"
    )


def is_payable(order) -> bool:
    """Whether the order's milestones are owed now (SECURITY.md 47)."""
    return order.status in PAYABLE_STATUSES and not is_waiting_for_approval(order)


def payable_clause(order_model):
    """`is_payable` as a WHERE clause on `order_model` (the Order class, which this module may
    not import)."""
    return sa.and_(
        order_model.status.in_(PAYABLE_STATUSES),
        sa.or_(
            order_model.status != "on_hold",
            order_model.held_from_status.is_(None),
            order_model.held_from_status != "pending_approval",
        ),
    )


def waiting_for_approval_clause(order_model):
    """`is_waiting_for_approval` as a WHERE clause on `order_model` (the Order class)."""
    return sa.or_(
        order_model.status == "pending_approval",
        sa.and_(
            order_model.status == "on_hold", order_model.held_from_status == "pending_approval"
        ),
    )


def approve_while_held(order, actor, comment: str) -> None:
    """An order held while it waited for approval (over the credit limit) is approved: it
    stays held, and lifting the hold now takes it on, not back to waiting. Recorded as a step
    of its history; its deciders' notices go."""
    record(order, order.status, order.status, actor, comment, "approved")
    settle(approval_topic(order))
    order.held_from_status = "submitted"


def can_buyer_cancel(order) -> bool:
    return order.status in BUYER_CANCELLABLE or (
        order.status == "on_hold" and order.held_from_status in BUYER_CANCELLABLE
    )


def transition(order, to: str, actor, comment: str = "", action: str | None = None) -> None:
    """The one way an order changes status: allowed moves only, each recorded (with `action`,
    what was done, where the status alone does not say it). An order that stops waiting for
    approval takes its deciders' notices with it."""
    if to not in ALLOWED_TRANSITIONS[order.status]:
        raise ServiceError(
            _(
                "An order that is %(status)s cannot become %(to)s.",
                status=status_label(order.status),
                to=status_label(to),
            )
        )
    if order.status == "on_hold" and to != "cancelled" and to != order.held_from_status:
        raise ServiceError(_("A hold is lifted back to where the order was."))
    record(order, order.status, to, actor, comment, action)
    if is_waiting_for_approval(order) and to in ("submitted", "cancelled"):
        settle(approval_topic(order))
    order.status = to
    if to == "cancelled":
        # Money received for it goes back (payments.refunds), in this transaction.
        run_hook("order.cancelled", order=order, actor=actor)


def record(
    order, from_status: str | None, to_status: str, actor, comment: str = "", action=None
) -> None:
    """A step of the order's history (`from_status` None: it was placed). A change of status
    runs the hook "order.status_changed" (the customer's webhooks, portal.api)."""
    db.session.add(order.history_step(from_status, to_status, actor, comment, action))
    if from_status != to_status:
        run_hook("order.status_changed", order=order, from_status=from_status, to_status=to_status)


def hold(order, actor, reason: str, *, is_over_credit: bool = False) -> None:
    """Put the order on hold, remembering where it goes back to when the hold is lifted."""
    held_from = order.status
    transition(order, "on_hold", actor, reason)
    order.held_from_status = held_from
    order.hold_reason = reason
    order.is_over_credit = is_over_credit


def tell_buyer(order, slug: str, text: LazyString) -> None:
    """A notice and an e-mail to the buyer who placed the order, in the caller's transaction:
    every change of status after placing, and a hold at placing."""
    notify(
        [order.placed_by_id],
        text,
        f"/a/{slug}/orders/{order.number}",
        email="order_status",
        number=order.number,
        status=later(status_label, order.status),
        total=later(format_money, order.total_amount, order.currency),
    )


def tell_invoices_issued(order, slug: str, milestones) -> None:
    """A notice and an e-mail to the buyer who placed the order for each of `milestones` that
    was just invoiced (it fell due), in the caller's transaction. A milestone is invoiced once:
    when the event it hangs on happens (placing or approval, shipment, delivery). Each runs the
    hook "invoice.issued" (the customer's webhooks, portal.api)."""
    for milestone in milestones:
        run_hook("invoice.issued", order=order, milestone=milestone)
        number = invoice_number(order.number, milestone.position)
        due_amount = milestone.amount - milestone.paid_amount
        amount = later(format_money, due_amount, milestone.currency)
        due_on = later(format_day, milestone.due_on)
        notify(
            [order.placed_by_id],
            _l(
                "Invoice %(invoice)s of %(amount)s issued, due on %(date)s.",
                invoice=number,
                amount=amount,
                date=due_on,
            ),
            f"/a/{slug}/invoices/{number}",
            email="invoice_issued",
            invoice=number,
            label=later(term_text, milestone.label),
            order_number=order.number,
            amount=amount,
            due_amount=due_amount,
            currency=milestone.currency,
            due_on=due_on,
        )
