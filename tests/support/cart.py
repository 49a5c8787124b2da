"""The cart as the tests read it, and products to put in it."""

from decimal import Decimal

from portal.cart import queries as cart_queries
from portal.catalog.models import Product
from portal.extensions import db
from tests import factories


def product(sku: str) -> Product:
    return db.session.query(Product).filter_by(sku=sku).one()


def cart_of(user) -> dict[str, int]:
    """The user's cart as {SKU: quantity}, read afresh from the database."""
    db.session.expire_all()
    return dict(cart_queries.cart_items(user.id))


def priced_product(sku: str, amount: str = "100.00", **values) -> Product:
    """Another product in the shop's catalog with a CNY list price."""
    made = factories.ProductFactory(sku=sku, name=f"Product {sku}", **values)
    factories.ListPriceFactory(product=made, amount=Decimal(amount))
    return made
