"""Fixtures for the catalog: a second app whose requests have their own sessions, staff, a
small catalog with list prices, and Acme with a contract and a buyer."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.support.catalog import product


@pytest.fixture
def editor():
    return factories.StaffFactory(email="admin@northwind.example", name="Ada Admin")


@pytest.fixture
def viewer():
    return factories.StaffFactory(email="callcenter@northwind.example", role="call_center")


@pytest.fixture
def catalog():
    with factories.committed_once():
        laptops = factories.CategoryFactory(name="Laptops", position=0)
        monitors = factories.CategoryFactory(name="Monitors", position=1)
        services = factories.CategoryFactory(name="Services", position=2)
        return {
            "laptops": laptops,
            "monitors": monitors,
            "services": services,
            "laptop": product("NW-LT14", "ProBook 14 laptop", laptops, "8999.00", "1249.00"),
            "monitor": product("NW-MN27", "27-inch 4K monitor", monitors, "2399.00", "329.00"),
            "service": product(
                "NW-SVC3Y", "3-year on-site service", services, "1200.00", "169.00", unit="contract"
            ),
        }


@pytest.fixture
def acme(catalog):
    """Acme's CNY contract: the laptop fixed 7650.00, from 50 units 7400.00; monitors 15% off."""
    with factories.committed_once():
        account = factories.AccountFactory(slug="acme", name="Acme Hospital Group")
        contract = factories.ContractFactory(
            account=account,
            number="NW-ACME-01",
            valid_from=account.local_date() - timedelta(days=180),
            valid_to=account.local_date() + timedelta(days=365),
        )
        rules = [
            factories.PriceRuleFactory(
                contract=contract, product=catalog["laptop"], kind="fixed", value=Decimal("7650.00")
            ),
            factories.PriceRuleFactory(
                contract=contract,
                product=catalog["laptop"],
                kind="fixed",
                value=Decimal("7400.00"),
                min_quantity=50,
            ),
            factories.PriceRuleFactory(
                contract=contract, product=catalog["monitor"], kind="percent_off", value=Decimal(15)
            ),
        ]
        return {
            "account": account,
            "contract": contract,
            "rules": rules,
            "buyer": factories.UserFactory(account=account, email="buyer@acme.example"),
        }
