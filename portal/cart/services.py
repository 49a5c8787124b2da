"""Verbs on carts and order lists. Nothing here commits: the caller does, once."""

import sqlalchemy as sa

from portal.cart.models import Cart, CartLine
from portal.extensions import db


def empty_cart(user_id: int) -> None:
    cart_ids = sa.select(Cart.id).where(Cart.user_id == user_id).scalar_subquery()
    db.session.execute(sa.delete(CartLine).where(CartLine.cart_id == cart_ids))
