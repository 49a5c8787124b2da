"""Products with list prices, and the products a catalog page shows."""

from decimal import Decimal
from html.parser import HTMLParser

import sqlalchemy as sa

from portal.catalog.models import ListPrice, Product
from portal.extensions import db
from tests import factories


def product(sku, name, category, cny=None, usd=None, **values):
    """A product with list prices in CNY and USD where given."""
    made = factories.ProductFactory(sku=sku, name=name, category=category, **values)
    for currency, amount in (("CNY", cny), ("USD", usd)):
        if amount is not None:
            factories.ListPriceFactory(product=made, currency=currency, amount=Decimal(amount))
    return made


class _DataAttributes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-sku" in attrs:
            self.found.setdefault(attrs["data-sku"], attrs)


def products_on(html: str | bytes) -> dict[str, dict]:
    """{SKU: the data- attributes of its card or row}, first occurrence of each SKU."""
    parser = _DataAttributes()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser.found


def list_prices(sku: str) -> dict[str, Decimal]:
    """{currency: amount} of the product's list prices, as stored now."""
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(ListPrice.currency, ListPrice.amount)
        .join(Product, Product.id == ListPrice.product_id)
        .where(Product.sku == sku)
    )
    return {currency: amount for currency, amount in rows}
