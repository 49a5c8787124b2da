"""Verbs on orders: place, approve, move through the lifecycle, release. Each checks, then writes
in one transaction and commits once; what an order consumes (the account's credit, the cart)
is locked first.

Credit: an account's exposure is the unpaid milestone amounts of its open orders. Placing an
order and lifting a credit hold lock the account's row (FOR UPDATE on PostgreSQL, BEGIN
IMMEDIATE on SQLite), so two orders can never both take the last of the credit
(SECURITY.md 36). Orders under a letter of credit are covered by it, not by the credit limit.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_currency, format_date
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import Address, KeyAccount, User
from portal.cart import queries as cart_queries
from portal.cart import services as cart_services
from portal.cart.models import MAX_QUANTITY
from portal.contracts.models import Contract, PaymentTerm
from portal.contracts.pricing import Pricing, explain, price_lines
from portal.contracts.services import Conflict, today_for
from portal.contracts.terms import split
from portal.core import audit
from portal.core.db import begin_write
from portal.core.errors import ServiceError
from portal.core.money import Money
from portal.core.permissions import APPROVER
from portal.extensions import db
from portal.notifications.services import notify
from portal.ordering.models import (
    LetterOfCredit,
    Milestone,
    Order,
    OrderEvent,
    OrderLine,
    OrderNumberCounter,
)

#: The lifecycle of DESIGN.md section 4. An order on hold goes back to where it was held from.
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
#: Orders whose unpaid amounts count against the credit limit.
OPEN_STATUSES = (
    "pending_approval",
    "submitted",
    "confirmed",
    "released",
    "shipped",
    "delivered",
    "on_hold",
)
#: Statuses from which the buyer may still cancel: nothing has been released to production.
BUYER_CANCELLABLE = ("pending_approval", "submitted", "confirmed")
#: The longest a requested delivery date may lie ahead.
MAX_DELIVERY_DAYS = 730


# Placing an order


@dataclass(frozen=True)
class Checkout:
    """What the buyer chose at checkout; prices never come from the form (SECURITY.md 17)."""

    ship_to_address_id: int | None
    po_number: str = ""
    requested_delivery_on: date | None = None
    note: str = ""


@dataclass(frozen=True)
class ScheduleLine:
    label: str
    share_percent: Decimal
    event: str
    days: int
    amount: Money
    due_on: date | None


def schedule(term: PaymentTerm, total: Money, placed_on: date) -> list[ScheduleLine]:
    """The payment schedule `term` makes of `total`: what checkout shows and submit creates.
    Milestones that hang on the order are due from `placed_on`; the others get their dates
    when the shipment or delivery is recorded."""
    amounts = split(total, [m.share_percent for m in term.milestones])
    return [
        ScheduleLine(
            m.label,
            m.share_percent,
            m.event,
            m.days,
            amount,
            placed_on + timedelta(days=m.days) if m.event == "order" else None,
        )
        for m, amount in zip(term.milestones, amounts, strict=True)
    ]


@dataclass
class Preview:
    """What submitting the checkout would make of the cart, or why it cannot be ordered."""

    pricing: Pricing
    problem: str | None = None
    term: PaymentTerm | None = None
    schedule: list[ScheduleLine] = field(default_factory=list)
    needs_approval: bool = False


def preview_checkout(buyer: User, account: KeyAccount) -> Preview:
    """The checkout page: the cart priced, the schedule it would produce, and whether it waits
    for approval; `place_order` refuses the same cases on submit."""
    today = today_for(account)
    pricing = price_lines(account.id, cart_queries.cart_items(buyer.id), today)
    try:
        _check_priced(pricing)
    except ServiceError as error:
        return Preview(pricing, error.message)
    term = contract_term(pricing.terms.id)
    if term is None:
        return Preview(pricing, _no_term_message())
    return Preview(
        pricing,
        term=term,
        schedule=schedule(term, pricing.total, today),
        needs_approval=_exceeds_spending_limit(buyer, pricing.total),
    )


def _no_term_message() -> str:
    return _("Your contract names no payment term yet. Please call the hotline.")


def contract_term(contract_id: int) -> PaymentTerm | None:
    contract = db.session.scalar(
        sa.select(Contract)
        .where(Contract.id == contract_id)
        .options(selectinload(Contract.payment_term).selectinload(PaymentTerm.milestones))
        # A contract or term already in the session (its term changed since) is read afresh.
        .execution_options(populate_existing=True)
    )
    term = contract.payment_term if contract is not None else None
    return term if term is not None and term.milestones else None


def place_order(
    buyer: User,
    account: KeyAccount,
    checkout: Checkout,
    token: str,
    *,
    items: list[tuple[str, int]] | None = None,
    on_behalf_by: User | None = None,
    reason: str = "",
) -> Order:
    """Turn the buyer's cart (or `items`, (SKU, quantity) pairs that staff took down on the
    buyer's behalf) into an order at today's contract prices, or refuse with a message and
    write nothing.

    Staff placing it `on_behalf_by` must say why (`reason`): it is recorded in the order's
    history and the audit trail.

    `token` is the checkout form's one-time token: a repeated submit (double click, retry, two
    concurrent requests) gets the order the first one made (SECURITY.md 35).
    """
    reason = reason.strip()
    if on_behalf_by is not None and not reason:
        raise ServiceError(
            _("Say why you place the order for the buyer, for the order's history."), "reason"
        )
    _lock_account(account.id)
    if (existing := _order_with_token(account.id, token)) is not None:
        return existing
    today = today_for(account)
    from_cart = items is None
    if from_cart:
        items = cart_queries.cart_items(buyer.id)
    pricing = price_lines(account.id, items, today)
    _check_priced(pricing, from_cart)
    term = contract_term(pricing.terms.id)
    if term is None:
        raise ServiceError(_no_term_message())
    address = _checked_address(account, checkout.ship_to_address_id)
    values = _checked_values(account, checkout, today)
    total = pricing.total
    order = Order(
        account_id=account.id,
        number=_next_number(today.year),
        checkout_token=token,
        contract_id=pricing.terms.id,
        status="submitted",
        placed_by_id=buyer.id,
        placed_on_behalf_by_id=on_behalf_by.id if on_behalf_by else None,
        placed_on=today,
        currency=total.currency,
        total_amount=total.amount,
        payment_term_name=term.name,
        needs_letter_of_credit=term.needs_letter_of_credit,
        ship_to_address_id=address.id,
        ship_to=_address_text(address),
        **values,
    )
    if _exceeds_spending_limit(buyer, total):
        order.status = "pending_approval"
    db.session.add(order)
    try:
        db.session.flush()
    except IntegrityError as error:
        return _placed_meanwhile(account.id, token, error)
    _add_lines(order, pricing)
    _add_schedule(order, term, total, today)
    actor = on_behalf_by or buyer
    comment = (
        _(
            "Placed by %(staff)s on behalf of %(buyer)s. Reason: %(reason)s",
            staff=on_behalf_by.name,
            buyer=buyer.name,
            reason=reason,
        )
        if on_behalf_by
        else ""
    )
    _record(order, None, order.status, actor, comment)
    if (excess := credit_excess(order)) is not None:
        _hold(order, actor, _over_credit_text(excess), is_over_credit=True)
        # A change of status the buyer did not choose (and may not see, placed on their
        # behalf): they hear of it like of every later one.
        _tell_buyer(
            order,
            account.slug,
            _(
                "Order %(number)s is on hold: %(reason)s",
                number=order.number,
                reason=order.hold_reason,
            ),
        )
    if from_cart:
        cart_services.empty_cart(buyer.id)
    audit.record(
        actor, "order.place", f"order:{order.number}", {"total": (None, total.amount)}, reason
    )
    if order.status == "pending_approval":
        notify(
            _approvers(account.id, except_user=buyer.id),
            _("Order %(number)s waits for your approval.", number=order.number),
            f"/a/{account.slug}/approvals",
            email="order_approval",
            number=order.number,
            account_name=account.name,
            placed_by=buyer.name,
            total=format_currency(total.amount, total.currency),
            placed_on=format_date(order.placed_on),
        )
    try:
        db.session.commit()
    except IntegrityError as error:
        return _placed_meanwhile(account.id, token, error)
    return order


def _placed_meanwhile(account_id: int, token: str, error: IntegrityError) -> Order:
    """The order a concurrent submit of the same checkout committed in between (should the
    account lock ever be bypassed): the one the buyer placed, whether the clash shows at the
    INSERT (flush) or at commit. Any other integrity error stands."""
    db.session.rollback()
    if (existing := _order_with_token(account_id, token)) is not None:
        return existing
    raise error


def _check_priced(pricing: Pricing, from_cart: bool = True) -> None:
    if not pricing.lines:
        raise ServiceError(_("Your cart is empty.") if from_cart else _("Enter at least one line."))
    if any(not 1 <= line.quantity <= MAX_QUANTITY for line in pricing.lines):
        raise ServiceError(_("Quantities are whole numbers from 1 to %(max)d.", max=MAX_QUANTITY))
    if pricing.terms is None:
        raise ServiceError(explain(pricing.lines[0], None))
    unpriced = [line for line in pricing.lines if not line.has_price]
    if unpriced:
        advice = (
            _("Remove these lines from your cart to order the rest.")
            if from_cart
            else _("Leave these lines out to order the rest.")
        )
        raise ServiceError(
            " ".join(f"{line.sku}: {explain(line, pricing.terms)}" for line in unpriced)
            + " "
            + advice
        )


def _checked_address(account: KeyAccount, address_id: int | None) -> Address:
    address = None
    if address_id is not None:
        address = db.session.scalar(
            sa.select(Address).where(Address.id == address_id, Address.account_id == account.id)
        )
    if address is None:
        raise ServiceError(_("Choose one of your account's addresses."), field="ship_to")
    return address


def _checked_values(account: KeyAccount, checkout: Checkout, today: date) -> dict:
    po_number = checkout.po_number.strip()
    if account.is_po_required and not po_number:
        raise ServiceError(
            _("Your company requires a purchase-order number on every order."), field="po_number"
        )
    wanted = checkout.requested_delivery_on
    if wanted is not None and not today < wanted <= today + timedelta(days=MAX_DELIVERY_DAYS):
        raise ServiceError(
            _("Choose a delivery date after today and within two years."),
            field="requested_delivery_on",
        )
    return {"po_number": po_number, "requested_delivery_on": wanted, "note": checkout.note.strip()}


def _address_text(address: Address) -> str:
    parts = [address.label, address.lines, f"{address.postcode} {address.city}".strip()]
    return "\n".join([*parts, address.country])


def _exceeds_spending_limit(buyer: User, total: Money) -> bool:
    limit = buyer.spending_limit
    if limit is None:
        return False
    # A limit in another currency cannot be compared: someone must approve.
    return limit.currency != total.currency or limit < total


def _add_lines(order: Order, pricing: Pricing) -> None:
    for position, line in enumerate(pricing.lines, start=1):
        db.session.add(
            OrderLine(
                account_id=order.account_id,
                order_id=order.id,
                position=position,
                product_id=line.item.id,
                sku=line.sku,
                name=line.item.name,
                quantity=line.quantity,
                unit_price_amount=line.unit_price.amount,
                list_price_amount=line.list_price.amount if line.list_price else None,
                line_total_amount=line.line_total.amount,
                price_rule_id=line.rule.id if line.rule else None,
                price_explanation=explain(line, pricing.terms),
            )
        )


def _add_schedule(order: Order, term: PaymentTerm, total: Money, today: date) -> None:
    for position, line in enumerate(schedule(term, total, today), start=1):
        db.session.add(
            Milestone(
                account_id=order.account_id,
                order_id=order.id,
                position=position,
                label=line.label,
                share_percent=line.share_percent,
                event=line.event,
                days=line.days,
                currency=line.amount.currency,
                amount=line.amount.amount,
                due_on=line.due_on,
                invoiced_on=today if line.due_on else None,
            )
        )


def _order_with_token(account_id: int, token: str) -> Order | None:
    return db.session.scalar(
        sa.select(Order).where(Order.checkout_token == token, Order.account_id == account_id)
    )


def _next_number(year: int) -> str:
    """NW-<year>-<6 digits>, counted per year; the counter row stays locked until commit."""
    insert = (postgresql.insert if _dialect() == "postgresql" else sqlite.insert)(
        OrderNumberCounter
    )
    db.session.execute(insert.values(year=year, last=0).on_conflict_do_nothing())
    last = db.session.scalar(
        sa.update(OrderNumberCounter)
        .where(OrderNumberCounter.year == year)
        .values(last=OrderNumberCounter.last + 1)
        .returning(OrderNumberCounter.last)
    )
    return f"NW-{year}-{last:06d}"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _lock_account(account_id: int) -> None:
    """Serialise everything that consumes the account's credit (SECURITY.md 36, 38)."""
    begin_write(db.session)
    db.session.execute(
        sa.select(KeyAccount.id).where(KeyAccount.id == account_id).with_for_update()
    )


#: For other domains (payments records remittances under the same lock), before any change.
lock_account = _lock_account


def _approvers(account_id: int, except_user: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(User.id).where(
                User.account_id == account_id,
                User.role == APPROVER,
                User.is_active.is_(True),
                User.id != except_user,
            )
        )
    )


# Credit


def exposure(account_id: int, currency: str, *, excluding: int | None = None) -> Money:
    """The unpaid milestone amounts of the account's open orders that hold credit."""
    query = (
        sa.select(sa.func.coalesce(sa.func.sum(Milestone.amount - Milestone.paid_amount), 0))
        .join(Order, Order.id == Milestone.order_id)
        .where(
            Order.account_id == account_id,
            Order.status.in_(OPEN_STATUSES),
            Order.currency == currency,
            Order.is_over_credit.is_(False),
            Order.needs_letter_of_credit.is_(False),
        )
    )
    if excluding is not None:
        query = query.where(Order.id != excluding)
    amount = db.session.scalar(query)
    return Money(Decimal(amount) if not isinstance(amount, Decimal) else amount, currency)


def credit_excess(order: Order) -> Money | None:
    """By how much the order's unpaid amount takes the account past its credit limit; None
    when it fits, or when a letter of credit covers the order instead."""
    if order.needs_letter_of_credit:
        return None
    contract = db.session.get(Contract, order.contract_id)
    unpaid = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Milestone.amount - Milestone.paid_amount), 0)).where(
            Milestone.order_id == order.id
        )
    )
    others = exposure(order.account_id, order.currency, excluding=order.id)
    needed = others.amount + Decimal(unpaid) - contract.credit_limit_amount
    return Money(needed, order.currency) if needed > 0 else None


def _over_credit_text(excess: Money) -> str:
    return _(
        "Exceeds available credit by %(amount)s.",
        amount=format_currency(excess.amount, excess.currency),
    )


def set_credit_hold(actor: User, account: KeyAccount, on_hold: bool, reason: str) -> None:
    """Finance puts an account on credit hold (no release) or lifts it, saying why."""
    if not reason.strip():
        raise ServiceError(_("Say why, for the account's staff and the audit trail."), "reason")
    changes = audit.diff(account, {"is_on_credit_hold": on_hold, "credit_hold_reason": reason})
    audit.record(actor, "account.credit_hold", f"account:{account.slug}", changes, reason)
    db.session.commit()


# The lifecycle


def transition(order: Order, to: str, actor: User | None, comment: str = "") -> None:
    """The one way an order changes status: allowed moves only, each recorded."""
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
    _record(order, order.status, to, actor, comment)
    order.status = to


def _record(order: Order, from_status, to_status, actor, comment="") -> None:
    db.session.add(
        OrderEvent(
            account_id=order.account_id,
            order_id=order.id,
            from_status=from_status,
            to_status=to_status,
            actor_id=actor.id if actor else None,
            comment=comment,
        )
    )


def _hold(order: Order, actor, reason: str, *, is_over_credit: bool = False) -> None:
    held_from = order.status
    transition(order, "on_hold", actor, reason)
    order.held_from_status = held_from
    order.hold_reason = reason
    order.is_over_credit = is_over_credit


def _finish(order: Order, text: str) -> None:
    """Tell the buyer who placed it (a notice and an e-mail), and commit; a stale order is a
    conflict. Every change of status after placing goes through here."""
    _tell_buyer(order, _slug(order), text)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict() from None


def _tell_buyer(order: Order, slug: str, text: str) -> None:
    """A notice and an e-mail to the buyer who placed the order, in the caller's transaction."""
    notify(
        [order.placed_by_id],
        text,
        f"/a/{slug}/orders/{order.number}",
        email="order_status",
        number=order.number,
        status=status_label(order.status),
        total=format_currency(order.total_amount, order.currency),
    )


def _slug(order: Order) -> str:
    return db.session.scalar(sa.select(KeyAccount.slug).where(KeyAccount.id == order.account_id))


def decide_order(actor: User, order: Order, approve: bool, comment: str) -> None:
    """An approver of the same account approves or rejects an order above the buyer's limit;
    nobody decides their own order (SECURITY.md 19)."""
    if order.status != "pending_approval":
        raise ServiceError(_("This order is not waiting for approval."))
    if actor.role != APPROVER or actor.account_id != order.account_id:
        raise ServiceError(_("Only an approver of the account decides its orders."))
    if actor.id == order.placed_by_id:
        raise ServiceError(_("Nobody approves or rejects their own order."))
    if not comment.strip():
        raise ServiceError(_("Say why, for the buyer and the order history."), field="comment")
    order.decided_by_id = actor.id
    order.decision_comment = comment.strip()
    if approve:
        transition(order, "submitted", actor, comment.strip())
        text = _("Order %(number)s was approved.", number=order.number)
    else:
        transition(order, "cancelled", actor, comment.strip())
        order.cancel_reason = _(
            "Rejected by %(name)s: %(comment)s", name=actor.name, comment=comment.strip()
        )
        text = _("Order %(number)s was rejected.", number=order.number)
    _finish(order, text)


def confirm_order(actor: User, order: Order) -> None:
    transition(order, "confirmed", actor)
    _finish(order, _("Order %(number)s was confirmed.", number=order.number))


def hold_order(actor: User, order: Order, reason: str) -> None:
    if not reason.strip():
        raise ServiceError(_("Say why the order is held; the buyer sees it."), field="comment")
    _hold(order, actor, reason.strip())
    _finish(
        order,
        _("Order %(number)s is on hold: %(reason)s", number=order.number, reason=reason.strip()),
    )


def resume_order(actor: User, order: Order, comment: str = "") -> None:
    """Lift a hold; an order held for credit resumes only if it fits the limit now."""
    if order.status != "on_hold":
        raise ServiceError(_("This order is not on hold."))
    if order.is_over_credit:
        _lock_account(order.account_id)
        db.session.refresh(order)
        if (excess := credit_excess(order)) is not None:
            raise ServiceError(_over_credit_text(excess))
        order.is_over_credit = False
    transition(order, order.held_from_status, actor, comment.strip())
    order.held_from_status = None
    order.hold_reason = ""
    _finish(order, _("Order %(number)s is no longer on hold.", number=order.number))


def release_order(actor: User, order: Order) -> None:
    """Release to production: refused while any condition of the release gate blocks."""
    _lock_account(order.account_id)
    db.session.refresh(order)
    if order.status != "confirmed":
        raise ServiceError(_("Only a confirmed order can be released."))
    blocking = release_blockers(order)
    if blocking:
        raise ServiceError(" ".join(blocking))
    transition(order, "released", actor)
    _finish(order, _("Order %(number)s was released to production.", number=order.number))


def ship_order(actor: User, order: Order, carrier: str, tracking_number: str) -> None:
    if not carrier.strip() or not tracking_number.strip():
        raise ServiceError(_("Give the carrier and the tracking number."), field="tracking_number")
    transition(order, "shipped", actor)
    order.carrier = carrier.strip()
    order.tracking_number = tracking_number.strip()
    _set_due_dates(order, "shipment", today_for(_account(order)))
    _finish(order, _("Order %(number)s has shipped.", number=order.number))


def deliver_order(actor: User, order: Order) -> None:
    transition(order, "delivered", actor)
    _set_due_dates(order, "delivery", today_for(_account(order)))
    _finish(order, _("Order %(number)s was delivered.", number=order.number))


def close_order(actor: User, order: Order) -> None:
    unpaid = [m for m in _milestones(order) if not m.is_paid]
    if unpaid:
        raise ServiceError(
            " ".join(_not_paid_text(m) for m in unpaid) + " " + _("Close it once it is paid.")
        )
    transition(order, "closed", actor)
    _finish(order, _("Order %(number)s is closed.", number=order.number))


def cancel_order(actor: User, order: Order, reason: str) -> None:
    """Staff cancel with a reason; a buyer of the account only before release."""
    if not reason.strip():
        raise ServiceError(_("Say why the order is cancelled."), field="comment")
    if actor.is_buyer_side and not can_buyer_cancel(order):
        raise ServiceError(_("Once released to production, an order is cancelled by our staff."))
    transition(order, "cancelled", actor, reason.strip())
    order.cancel_reason = reason.strip()
    _finish(order, _("Order %(number)s was cancelled.", number=order.number))


def can_buyer_cancel(order: Order) -> bool:
    return order.status in BUYER_CANCELLABLE or (
        order.status == "on_hold" and order.held_from_status in BUYER_CANCELLABLE
    )


def _account(order: Order) -> KeyAccount:
    return db.session.get(KeyAccount, order.account_id)


def _milestones(order: Order) -> list[Milestone]:
    return list(
        db.session.scalars(
            sa.select(Milestone).where(Milestone.order_id == order.id).order_by(Milestone.position)
        )
    )


def _set_due_dates(order: Order, event: str, on: date) -> None:
    for milestone in _milestones(order):
        if milestone.event == event:
            milestone.due_on = on + timedelta(days=milestone.days)
            milestone.invoiced_on = on


# The release gate


def release_blockers(order: Order) -> list[str]:
    """Every condition that still keeps the order from release, in words; empty: it may go.

    The one place the gate of DESIGN.md section 4 is evaluated (through `release_blockers_of`).
    """
    return release_blockers_of([order])[order.id]


#: Once an order is here, nothing keeps it from release any more.
_PAST_THE_GATE = ("released", "shipped", "delivered", "closed", "cancelled")


def release_blockers_of(orders: list[Order]) -> dict[int, list[str]]:
    """`release_blockers` for many orders at once, in a constant number of queries (for pages
    that list orders with their blocking conditions): {order id: blocking conditions}."""
    waiting = [order for order in orders if order.status not in _PAST_THE_GATE]
    blockers: dict[int, list[str]] = {order.id: [] for order in orders}
    if not waiting:
        return blockers
    order_ids = [order.id for order in waiting]
    account_ids = {order.account_id for order in waiting}
    accounts = {
        a.id: a
        for a in db.session.scalars(sa.select(KeyAccount).where(KeyAccount.id.in_(account_ids)))
    }
    contract_ids = {order.contract_id for order in waiting}
    contracts = {
        c.id: c
        for c in db.session.scalars(sa.select(Contract).where(Contract.id.in_(contract_ids)))
    }
    milestones: dict[int, list[Milestone]] = {order_id: [] for order_id in order_ids}
    for milestone in db.session.scalars(
        sa.select(Milestone)
        .where(Milestone.order_id.in_(order_ids))
        .order_by(Milestone.order_id, Milestone.position)
    ):
        milestones[milestone.order_id].append(milestone)
    letters: dict[int, list[LetterOfCredit]] = {order_id: [] for order_id in order_ids}
    if any(order.needs_letter_of_credit for order in waiting):
        for letter in db.session.scalars(
            sa.select(LetterOfCredit)
            .where(LetterOfCredit.order_id.in_(order_ids))
            .order_by(LetterOfCredit.id)
        ):
            letters[letter.order_id].append(letter)
    exposures = _exposures(account_ids)
    for order in waiting:
        blockers[order.id] = _blockers(
            order,
            accounts[order.account_id],
            contracts[order.contract_id],
            milestones[order.id],
            letters[order.id],
            exposures.get((order.account_id, order.currency), Decimal(0)),
        )
    return blockers


def _exposures(account_ids) -> dict[tuple[int, str], Decimal]:
    """`exposure` of each account in each currency, in one query."""
    rows = db.session.execute(
        sa.select(
            Order.account_id,
            Order.currency,
            sa.func.coalesce(sa.func.sum(Milestone.amount - Milestone.paid_amount), 0),
        )
        .join(Order, Order.id == Milestone.order_id)
        .where(
            Order.account_id.in_(account_ids),
            Order.status.in_(OPEN_STATUSES),
            Order.is_over_credit.is_(False),
            Order.needs_letter_of_credit.is_(False),
        )
        .group_by(Order.account_id, Order.currency)
    )
    return {(account_id, currency): Decimal(amount) for account_id, currency, amount in rows}


def _holds_credit(order: Order) -> bool:
    """Whether the order's unpaid amounts count in `exposure`."""
    return (
        order.status in OPEN_STATUSES
        and not order.is_over_credit
        and not order.needs_letter_of_credit
    )


def _blockers(
    order: Order,
    account: KeyAccount,
    contract: Contract,
    milestones: list[Milestone],
    letters: list[LetterOfCredit],
    account_exposure: Decimal,
) -> list[str]:
    today = today_for(account)
    blocking = []
    if not contract.is_in_force(today):
        if contract.valid_to < today:
            blocking.append(
                _(
                    "Contract %(number)s expired on %(date)s.",
                    number=contract.number,
                    date=format_date(contract.valid_to),
                )
            )
        else:
            blocking.append(_("Contract %(number)s is not in force.", number=contract.number))
    if order.status == "pending_approval" or (
        order.status == "on_hold" and order.held_from_status == "pending_approval"
    ):
        blocking.append(_("Waiting for approval by an approver of your company."))
    if account.is_on_credit_hold:
        blocking.append(
            _("The account is on credit hold: %(reason)s", reason=account.credit_hold_reason)
        )
    if order.needs_letter_of_credit:
        blocking.extend(_letter_of_credit_blockers(order, letters, today))
    else:
        blocking.extend(
            _not_paid_text(m) for m in milestones if m.is_due_at_order and not m.is_paid
        )
        # credit_excess, from what is loaded: the others' exposure plus this order's unpaid.
        unpaid = sum((m.amount - m.paid_amount for m in milestones), Decimal(0))
        others = account_exposure - (unpaid if _holds_credit(order) else Decimal(0))
        needed = others + unpaid - contract.credit_limit_amount
        if needed > 0:
            blocking.append(_over_credit_text(Money(needed, order.currency)))
    if order.status == "on_hold" and not order.is_over_credit:
        blocking.append(_("On hold: %(reason)s", reason=order.hold_reason))
    return blocking


def _letter_of_credit_blockers(
    order: Order, letters: list[LetterOfCredit], today: date
) -> list[str]:
    """Nothing when one registered letter of credit for the order is unexpired, in the
    order's currency, covers its total and still allows shipment; otherwise what fails, for
    each one registered."""
    failures = [_letter_of_credit_failures(order, letter, today) for letter in letters]
    if any(not failed for failed in failures):
        return []
    total = format_currency(order.total_amount, order.currency)
    if not letters:
        return [_("No registered letter of credit covers %(amount)s.", amount=total)]
    return [text for failed in failures for text in failed]


def _letter_of_credit_failures(order: Order, letter: LetterOfCredit, today: date) -> list[str]:
    failed = []
    if letter.expires_on < today:
        failed.append(
            _(
                "Letter of credit %(number)s expired on %(date)s.",
                number=letter.number,
                date=format_date(letter.expires_on),
            )
        )
    if letter.currency != order.currency:
        failed.append(
            _(
                "Letter of credit %(number)s is in %(currency)s; the order is in %(order)s.",
                number=letter.number,
                currency=letter.currency,
                order=order.currency,
            )
        )
    elif letter.amount < order.total_amount:
        failed.append(
            _(
                "Letter of credit %(number)s covers only %(amount)s of %(total)s.",
                number=letter.number,
                amount=format_currency(letter.amount, letter.currency),
                total=format_currency(order.total_amount, order.currency),
            )
        )
    if letter.latest_shipment_on < today:
        failed.append(
            _(
                "The latest shipment date of letter of credit %(number)s, %(date)s, has passed.",
                number=letter.number,
                date=format_date(letter.latest_shipment_on),
            )
        )
    return failed


def _not_paid_text(milestone: Milestone) -> str:
    unpaid = milestone.unpaid
    return _(
        "%(label)s of %(amount)s not paid.",
        label=milestone.label,
        amount=format_currency(unpaid.amount, unpaid.currency),
    )


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
