"""A shop to order from: an Acme-like account with a Net 30 contract, a buyer with a spending
limit, an approver, an address, and the demo's prices for NW-LT14 and NW-MN27."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest

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


@pytest.fixture
def shop() -> Shop:
    account = factories.AccountFactory(slug="acme", name="Acme Hospital Group")
    contract = factories.ContractFactory(
        account=account, number="NW-ACME-01", credit_limit_amount=Decimal("500000.00")
    )
    laptops = factories.CategoryFactory(name="Laptops")
    monitors = factories.CategoryFactory(name="Monitors")
    lt14 = factories.ProductFactory(sku="NW-LT14", name="ProBook 14 laptop", category=laptops)
    mn27 = factories.ProductFactory(sku="NW-MN27", name="27-inch 4K monitor", category=monitors)
    factories.ListPriceFactory(product=lt14, amount=Decimal("8999.00"))
    factories.ListPriceFactory(product=mn27, amount=Decimal("2399.00"))
    factories.PriceRuleFactory(contract=contract, product=lt14, kind="fixed", value=Decimal("7650"))
    factories.PriceRuleFactory(
        contract=contract, product=lt14, kind="fixed", value=Decimal("7400"), min_quantity=50
    )
    factories.PriceRuleFactory(contract=contract, product=mn27, value=Decimal("15"))
    return Shop(
        account=account,
        contract=contract,
        buyer=factories.UserFactory(
            account=account,
            email="buyer@acme.example",
            name="Bea Buyer",
            spending_limit_amount=Decimal("50000.00"),
            spending_limit_currency="CNY",
        ),
        approver=factories.UserFactory(
            account=account, email="approver@acme.example", name="Alex Approver", role="approver"
        ),
        address=factories.AddressFactory(account=account),
    )


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
