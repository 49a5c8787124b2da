"""The cart tests order from the ordering tests' shop: Acme with NW-LT14 and NW-MN27."""

from decimal import Decimal

import pytest

from portal.cart import queries as cart_queries
from portal.catalog.models import Product
from portal.extensions import db
from tests import factories
from tests.ordering.conftest import shop  # noqa: F401


def product(sku: str) -> Product:
    return db.session.query(Product).filter_by(sku=sku).one()


def cart_of(user) -> dict[str, int]:
    """The user's cart as {SKU: quantity}, read afresh from the database."""
    db.session.expire_all()
    return dict(cart_queries.cart_items(user.id))


@pytest.fixture
def globex():
    """Another account with its own contract, buyer and saved list."""
    account = factories.AccountFactory(slug="globex", name="Globex Manufacturing")
    contract = factories.ContractFactory(account=account, number="NW-GLOBEX-01")
    order_list = factories.OrderListFactory(account=account, name="Globex monthly")
    return {
        "account": account,
        "contract": contract,
        "buyer": factories.UserFactory(account=account, email="buyer@globex.example"),
        "list": order_list,
    }


def priced_product(sku: str, amount: str = "100.00", **values) -> Product:
    """Another product in the shop's catalog with a CNY list price."""
    made = factories.ProductFactory(sku=sku, name=f"Product {sku}", **values)
    factories.ListPriceFactory(product=made, amount=Decimal(amount))
    return made
