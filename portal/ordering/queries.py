"""Reads of orders, loaded with what their pages show, limited to what the viewer may see.

Buyer-side requests are confined to their own account centrally (core.db.apply_account_scope),
so another account's order number simply finds nothing and the view answers 404.
"""

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.ordering.models import Order, OrderEvent

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
