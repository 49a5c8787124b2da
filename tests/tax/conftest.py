"""Fapiao: the ordering shop (tests/fixtures/shop.py) with fapiao details for Acme, its
customer admin, finance and other staff, and a second account whose buyers must see nothing."""

import pytest

from tests import factories
from tests.support.fapiao import ACME_DETAILS, keep_details


@pytest.fixture
def staff():
    """One member of staff per role that matters here, as <role>@northwind.example."""
    with factories.committed_once():
        return {
            role: factories.StaffFactory(
                role=role, email=f"{role}@northwind.example", name=role.replace("_", " ").title()
            )
            for role in ("finance", "inside_sales", "account_admin")
        }


@pytest.fixture
def finance(staff):
    return staff["finance"]


@pytest.fixture
def acme_admin(shop):
    with factories.committed_once():
        return factories.UserFactory(
            account=shop.account, email="admin@acme.example", role="customer_admin", name="Ada"
        )


@pytest.fixture
def globex():
    """Another account (export, USD) with a customer admin and a buyer."""
    with factories.committed_once():
        account = factories.AccountFactory(
            slug="globex", name="Globex Manufacturing", currency="USD"
        )
        factories.UserFactory(account=account, email="admin@globex.example", role="customer_admin")
        factories.UserFactory(account=account, email="buyer@globex.example")
        return account


@pytest.fixture
def acme_details(shop, finance):
    """Acme's details as the demo has them, verified, with special VAT and electronic fapiao."""
    return keep_details(shop.account, ACME_DETAILS, types=("special", "electronic"), by=finance)
