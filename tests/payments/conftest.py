"""The ordering shop (tests/fixtures/shop.py), with finance staff and orders ready to be paid:
an Acme Net 30 order shipped (its payment due in 30 days) and an order under letter-of-credit
terms."""

import pytest

from portal.ordering.models import Order
from tests import factories
from tests.support.ordering import place
from tests.support.payments import DONE_WHEN, confirm, letter_of_credit_terms, ship


@pytest.fixture
def staff():
    """One member of staff per role that matters here, as <role>@northwind.example."""
    with factories.committed_once():
        return {
            role: factories.StaffFactory(
                role=role, email=f"{role}@northwind.example", name=role.replace("_", " ").title()
            )
            for role in ("finance", "inside_sales", "sales_manager", "account_admin")
        }


@pytest.fixture
def finance(staff):
    return staff["finance"]


@pytest.fixture
def net30(shop, staff) -> Order:
    """An Acme Net 30 order of 17,339.15 CNY, shipped today: due in 30 days."""
    return ship(place(shop, DONE_WHEN), staff)


@pytest.fixture
def lc_order(shop, staff) -> Order:
    """A confirmed order of 17,339.15 CNY under letter-of-credit terms."""
    letter_of_credit_terms(shop)
    return confirm(place(shop, DONE_WHEN), staff)
