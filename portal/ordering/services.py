"""Verbs on placed orders: the approver's decision and the order desk's moves through the
lifecycle (confirm, hold, resume, release, ship, deliver, close, cancel). Each checks, moves the
order through `lifecycle.transition`, tells the buyer and commits once; a stale order (another
member of staff moved it meanwhile) is a conflict. Placing an order is `placement.place_order`.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import KeyAccount, User
from portal.contracts.services import Conflict, today_for
from portal.core import audit
from portal.core.errors import ServiceError
from portal.core.hooks import run_hook
from portal.core.inputs import plain_width
from portal.extensions import db
from portal.ordering import approvals
from portal.ordering.credit import credit_excess, lock_account, over_credit_text
from portal.ordering.gate import not_paid_text, release_blockers
from portal.ordering.lifecycle import (
    approve_while_held,
    can_buyer_cancel,
    hold,
    is_waiting_for_approval,
    tell_buyer,
    tell_invoices_issued,
    transition,
)
from portal.ordering.models import Milestone, Order
from portal.ordering.permissions import can_decide


def _finish(order: Order, text: LazyString) -> None:
    """Tell the buyer who placed it (a notice and an e-mail), and commit; a stale order is a
    conflict. Every change of status after placing goes through here."""
    tell_buyer(order, _slug(order), text)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict() from None
    # What is done once the change is safely stored (payments asks Stripe for refunds).
    run_hook("order.committed", order=order)


def _slug(order: Order) -> str:
    return db.session.scalar(sa.select(KeyAccount.slug).where(KeyAccount.id == order.account_id))


def decide_order(actor: User, order: Order, approve: bool, comment: str) -> None:
    """Whoever the rule of `approvals` names approves or rejects an order above its buyer's
    limit, with a comment for the buyer and the history; nobody decides an order they placed
    or took down (SECURITY.md 19). Northwind's staff record the account's decision."""
    if not is_waiting_for_approval(order):
        raise ServiceError(_("This order is not waiting for approval."))
    if actor.id in (order.placed_by_id, order.placed_on_behalf_by_id):
        raise ServiceError(_("Nobody approves or rejects their own order."))
    deciders = approvals.deciders(order)
    if not can_decide(actor, order, deciders):
        raise ServiceError(approvals.refusal(deciders))
    comment = comment.strip()
    if not comment:
        raise ServiceError(_("Say why, for the buyer and the order history."), field="comment")
    order.decided_by_id = actor.id
    order.decision_comment = comment
    if approve:
        if order.status == "on_hold":  # over the credit limit: approved, and still held
            approve_while_held(order, actor, comment)
            text = _l(
                "Order %(number)s was approved; it stays on hold: %(reason)s",
                number=order.number,
                reason=order.hold_reason,
            )
        else:
            transition(order, "submitted", actor, comment, action="approved")
            text = _l("Order %(number)s was approved.", number=order.number)
        _set_due_dates(order, "order", today_for(_account(order)))
    else:
        transition(order, "cancelled", actor, comment, action="rejected")
        order.cancel_reason = _(
            "Rejected by %(name)s: %(comment)s", name=actor.name, comment=comment
        )
        text = _l("Order %(number)s was rejected.", number=order.number)
    audit.record(
        actor,
        "order.approve" if approve else "order.reject",
        f"order:{order.number}",
        {"status": ("pending_approval", order.status)},
        comment,
    )
    _finish(order, text)


def confirm_order(actor: User, order: Order) -> None:
    transition(order, "confirmed", actor)
    _finish(order, _l("Order %(number)s was confirmed.", number=order.number))


def hold_order(actor: User, order: Order, reason: str) -> None:
    if not reason.strip():
        raise ServiceError(_("Say why the order is held; the buyer sees it."), field="comment")
    hold(order, actor, reason.strip())
    _finish(
        order,
        _l("Order %(number)s is on hold: %(reason)s", number=order.number, reason=reason.strip()),
    )


def resume_order(actor: User, order: Order, comment: str = "") -> None:
    """Lift a hold; an order held for credit resumes only if it fits the limit now."""
    if order.status != "on_hold":
        raise ServiceError(_("This order is not on hold."))
    if order.is_over_credit:
        lock_account(order.account_id)
        db.session.refresh(order)
        if (excess := credit_excess(order)) is not None:
            raise ServiceError(over_credit_text(excess))
        order.is_over_credit = False
    transition(order, order.held_from_status, actor, comment.strip())
    order.held_from_status = None
    order.hold_reason = ""
    approvals.tell_deciders(order)  # waiting for approval again: asked now, if not before
    _finish(order, _l("Order %(number)s is no longer on hold.", number=order.number))


def release_order(actor: User, order: Order) -> None:
    """Release to production: refused while any condition of the release gate blocks."""
    lock_account(order.account_id)
    db.session.refresh(order)
    if order.status != "confirmed":
        raise ServiceError(_("Only a confirmed order can be released."))
    blocking = release_blockers(order)
    if blocking:
        raise ServiceError(" ".join(blocking))
    transition(order, "released", actor)
    _finish(order, _l("Order %(number)s was released to production.", number=order.number))


def ship_order(actor: User, order: Order, carrier: str, tracking_number: str) -> None:
    if not carrier.strip() or not tracking_number.strip():
        raise ServiceError(_("Give the carrier and the tracking number."), field="tracking_number")
    transition(order, "shipped", actor)
    order.carrier = carrier.strip()
    order.tracking_number = plain_width(tracking_number).strip()  # a code: plain width
    _set_due_dates(order, "shipment", today_for(_account(order)))
    _finish(order, _l("Order %(number)s has shipped.", number=order.number))


def deliver_order(actor: User, order: Order) -> None:
    transition(order, "delivered", actor)
    _set_due_dates(order, "delivery", today_for(_account(order)))
    _finish(order, _l("Order %(number)s was delivered.", number=order.number))


def close_order(actor: User, order: Order) -> None:
    unpaid = [m for m in _milestones(order) if not m.is_paid]
    if unpaid:
        raise ServiceError(
            " ".join(not_paid_text(m) for m in unpaid) + " " + _("Close it once it is paid.")
        )
    transition(order, "closed", actor)
    _finish(order, _l("Order %(number)s is closed.", number=order.number))


def cancel_order(actor: User, order: Order, reason: str) -> None:
    """Staff cancel with a reason; a buyer of the account only before release."""
    if not reason.strip():
        raise ServiceError(_("Say why the order is cancelled."), field="comment")
    if order.status == "cancelled":
        raise ServiceError(_("This order is cancelled already."))
    if actor.is_buyer_side and not can_buyer_cancel(order):
        raise ServiceError(_("Once released to production, an order is cancelled by our staff."))
    transition(order, "cancelled", actor, reason.strip())
    order.cancel_reason = reason.strip()
    _finish(order, _l("Order %(number)s was cancelled.", number=order.number))


def _account(order: Order) -> KeyAccount:
    return db.session.get(KeyAccount, order.account_id)


def _milestones(order: Order) -> list[Milestone]:
    return list(
        db.session.scalars(
            sa.select(Milestone).where(Milestone.order_id == order.id).order_by(Milestone.position)
        )
    )


def _set_due_dates(order: Order, event: str, on: date) -> None:
    """The event happened: the milestones hanging on it fall due, and their invoices go out."""
    issued = [m for m in _milestones(order) if m.event == event]
    for milestone in issued:
        milestone.due_on = on + timedelta(days=milestone.days)
        milestone.invoiced_on = on
    tell_invoices_issued(order, _slug(order), issued)
