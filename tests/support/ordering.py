"""Ordering as checkout does: the shop (see tests/fixtures/shop.py), a cart, an order."""

import uuid
from dataclasses import dataclass

from portal.accounts.models import Address, KeyAccount, User
from portal.contracts.models import Contract
from portal.extensions import db
from portal.ordering import placement
from tests import factories


@dataclass
class Shop:
    account: KeyAccount
    contract: Contract
    buyer: User
    approver: User
    address: Address


def fill_cart(user: User, items: list[tuple[str, int]]) -> None:
    """Put (SKU, quantity) lines into the user's cart, as the cart page would."""
    from portal.cart.models import Cart
    from portal.catalog.models import Product

    cart = db.session.query(Cart).filter_by(user_id=user.id).one_or_none()
    cart = cart or factories.CartFactory(user=user)
    for sku, quantity in items:
        product = db.session.query(Product).filter_by(sku=sku).one()
        factories.CartLineFactory(cart=cart, product=product, quantity=quantity)


def place(shop: Shop, items, buyer: User | None = None, **checkout):
    """Place an order for `items` through the service, as checkout does."""
    buyer = buyer or shop.buyer
    fill_cart(buyer, items)
    values = {"ship_to_address_id": shop.address.id, **checkout}
    return placement.place_order(
        buyer, shop.account, placement.Checkout(**values), uuid.uuid4().hex
    )
