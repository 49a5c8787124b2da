"""Reads of orders, loaded with what their pages show, limited to what the viewer may see.

Buyer-side requests are confined to their own account centrally (core.db.apply_account_scope),
so another account's order number simply finds nothing and the view answers 404.
"""

from datetime import date

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import KeyAccount, User
from portal.core.pagination import Page, paginate
from portal.extensions import db
from portal.ordering import approvals
from portal.ordering.lifecycle import waiting_for_approval_clause
from portal.ordering.models import Order, OrderEvent
from portal.ordering.permissions import can_decide

_DETAILS = (
    joinedload(Order.account),
    joinedload(Order.contract),
    joinedload(Order.placed_by),
    joinedload(Order.placed_on_behalf_by),
    joinedload(Order.decided_by),
    selectinload(Order.lines),
    selectinload(Order.milestones),
    selectinload(Order.events).joinedload(OrderEvent.actor),
)


def order_or_404(number: str, *, account_id: int | None = None, with_details: bool = False):
    """The order with this number as the current viewer may see it (within `account_id` when
    given, as on a buyer's /a/<slug>/ pages), or 404."""
    query = sa.select(Order).where(Order.number == number)
    if account_id is not None:
        query = query.where(Order.account_id == account_id)
    if with_details:
        query = query.options(*_DETAILS)
    order = db.session.scalar(query)
    if order is None:
        abort(404)
    return order


# Buyer side


#: Orders on one page of a buyer's order history.
BUYER_PER_PAGE = 20


def orders_of(
    account_id: int,
    *,
    status: str | None = None,
    placed_by_id: int | None = None,
    page: int = 1,
    per_page: int = BUYER_PER_PAGE,
) -> Page:
    """One page of the account's orders, newest first, with who placed them: two statements
    however many orders there are."""
    where = _account_orders_where(account_id, status, placed_by_id)
    query = account_orders(account_id, status=status, placed_by_id=placed_by_id)
    query = query.order_by(Order.id.desc())
    return paginate(query, sa.select(sa.func.count(Order.id)).where(*where), page, per_page)


def account_orders(
    account_id: int, *, status: str | None = None, placed_by_id: int | None = None
) -> sa.Select:
    """The account's orders (of one status, placed by one user, when given) with who placed
    them, unordered and unlimited: the order history's page and the API's cursor pages."""
    return (
        sa.select(Order)
        .where(*_account_orders_where(account_id, status, placed_by_id))
        .options(joinedload(Order.placed_by))
    )


def _account_orders_where(account_id: int, status: str | None, placed_by_id: int | None) -> list:
    where = [Order.account_id == account_id]
    if status is not None:
        where.append(Order.status == status)
    if placed_by_id is not None:
        where.append(Order.placed_by_id == placed_by_id)
    return where


def waiting_for_approval(account_id: int) -> list[Order]:
    """The account's orders waiting for approval (also while held from there: an approver
    decides while credit is settled), oldest first, with who placed them."""
    return list(
        db.session.scalars(
            sa.select(Order)
            .where(Order.account_id == account_id, waiting_for_approval_clause(Order))
            .options(joinedload(Order.placed_by))
            .order_by(Order.id)
        )
    )


def orders_to_decide(user: User) -> list[Order]:
    """The orders `user` may decide now (ordering.approvals says who decides which), oldest
    first, with who placed them: never their own (SECURITY.md 19). The approvals and landing
    pages list these; the decision itself is refused again by the service."""
    waiting = waiting_for_approval(user.account_id)
    deciders = approvals.deciders_of(waiting)
    return [order for order in waiting if can_decide(user, order, deciders.get(order.id))]


def own_orders_awaiting_approval(user: User) -> list[Order]:
    """The user's own orders waiting for someone else's approval, oldest first."""
    return [o for o in waiting_for_approval(user.account_id) if o.placed_by_id == user.id]


# Staff side

#: Orders on one page of the staff order desk.
STAFF_PER_PAGE = 50


def staff_orders(
    *,
    status: str | None = None,
    account_slug: str | None = None,
    placed_from: date | None = None,
    placed_to: date | None = None,
    page: int = 1,
    per_page: int | None = None,
) -> Page:
    """One page of every account's orders, newest first, with their account and who placed
    them (and on whose behalf): two statements however many orders there are."""
    where = []
    if status is not None:
        where.append(Order.status == status)
    if account_slug is not None:
        account_ids = sa.select(KeyAccount.id).where(KeyAccount.slug == account_slug)
        where.append(Order.account_id.in_(account_ids.scalar_subquery()))
    if placed_from is not None:
        where.append(Order.placed_on >= placed_from)
    if placed_to is not None:
        where.append(Order.placed_on <= placed_to)
    query = (
        sa.select(Order)
        .where(*where)
        .options(
            joinedload(Order.account),
            joinedload(Order.placed_by),
            joinedload(Order.placed_on_behalf_by),
        )
        .order_by(Order.id.desc())
    )
    count = sa.select(sa.func.count(Order.id)).where(*where)
    return paginate(query, count, page, per_page or STAFF_PER_PAGE)


def account_choices() -> list[KeyAccount]:
    """Every account, by name, for the order desk's account filter."""
    return list(db.session.scalars(sa.select(KeyAccount).order_by(KeyAccount.name)))
