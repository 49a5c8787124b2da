"""Reads of carts and order lists."""

import sqlalchemy as sa

from portal.cart.models import Cart, CartLine
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
