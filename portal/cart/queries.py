"""Reads of carts and order lists, limited to the signed-in user's cart and their account."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import abort

from portal.accounts.models import User
from portal.cart.models import Cart, CartLine, OrderList, OrderListLine
from portal.catalog.models import Product
from portal.extensions import db


def cart_items(user_id: int) -> list[tuple[str, int]]:
    """(SKU, quantity) of each line of the user's cart, in the order they were added."""
    return [
        (sku, quantity)
        for sku, quantity in db.session.execute(
            sa.select(Product.sku, CartLine.quantity)
            .join(CartLine.product)
            .join(Cart, Cart.id == CartLine.cart_id)
            .where(Cart.user_id == user_id)
            .order_by(CartLine.id)
        )
    ]


@dataclass(frozen=True, slots=True)
class ListSummary:
    """A saved order list as the cart page shows it."""

    id: int
    name: str
    created_at: datetime
    created_by: str | None
    lines: int


def order_lists_of(account_id: int) -> list[ListSummary]:
    """The account's saved order lists by name, with their authors and sizes: one statement."""
    rows = db.session.execute(
        sa.select(
            OrderList.id,
            OrderList.name,
            OrderList.created_at,
            User.name,
            sa.func.count(OrderListLine.id),
        )
        .outerjoin(User, User.id == OrderList.created_by_id)
        .outerjoin(OrderListLine, OrderListLine.order_list_id == OrderList.id)
        .where(OrderList.account_id == account_id)
        .group_by(OrderList.id, OrderList.name, OrderList.created_at, User.name)
        .order_by(sa.func.lower(OrderList.name), OrderList.id)
    )
    return [ListSummary(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class ListLine:
    sku: str
    name: str
    name_zh: str
    quantity: int


def order_list_lines(order_list: OrderList) -> list[ListLine]:
    """A saved list's products in the order they were saved: one statement."""
    rows = db.session.execute(
        sa.select(Product.sku, Product.name, Product.name_zh, OrderListLine.quantity)
        .join(Product, Product.id == OrderListLine.product_id)
        .where(OrderListLine.order_list_id == order_list.id)
        .order_by(OrderListLine.id)
    )
    return [ListLine(*row) for row in rows]


def order_list_or_404(account_id: int, list_id: int) -> OrderList:
    """A saved list of the account, or 404 (another account's list looks like no list)."""
    order_list = db.session.scalar(
        sa.select(OrderList).where(OrderList.id == list_id, OrderList.account_id == account_id)
    )
    if order_list is None:
        abort(404)
    return order_list
