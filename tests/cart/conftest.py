"""The cart tests order from the shop (tests/fixtures/shop.py): Acme with NW-LT14 and NW-MN27;
Globex is another account."""

import pytest

from tests import factories


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
