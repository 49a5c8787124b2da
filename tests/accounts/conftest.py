"""Fixtures for the accounts screens: a fresh app per test, staff, and Initech with its admin.

Each request to `web` runs in its own application context and database session, as in
production, so a request that fails leaves nothing behind that a later read could see.
"""

import pytest

from tests import factories


@pytest.fixture
def staff_admin():
    return factories.StaffFactory(email="admin@northwind.example", name="Ada Admin")


@pytest.fixture
def initech():
    account = factories.AccountFactory(slug="initech", name="Initech Bank", currency="CNY")
    return {
        "account": account,
        "admin": factories.UserFactory(
            account=account, email="admin@initech.example", role="customer_admin"
        ),
        "buyer": factories.UserFactory(account=account, email="buyer@initech.example"),
    }
