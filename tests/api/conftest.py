"""A webhook receiver on loopback, the shop's customer admin, and staff to move orders."""

import pytest

from tests import factories
from tests.support.webhooks import start_receiver, stop_receiver


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    stop_receiver(receiver)


@pytest.fixture
def admin(shop):
    with factories.committed_once():
        return factories.UserFactory(
            account=shop.account, email="admin@acme.example", role="customer_admin"
        )


@pytest.fixture
def staff():
    with factories.committed_once():
        return {
            role: factories.StaffFactory(role=role, email=f"{role}@northwind.example")
            for role in ("finance", "inside_sales")
        }
