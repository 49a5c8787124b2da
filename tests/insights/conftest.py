"""The insights world of the stages and platinum tests: staff of every kind, and accounts with
snapshots made by hand (the figures part computes them in production)."""

from dataclasses import dataclass

import pytest

from portal.accounts.models import User
from tests import factories


@dataclass
class Staff:
    director: User
    manager: User
    admin: User
    inside: User
    backup: User
    field: User
    finance: User
    call_center: User
    sysadmin: User


@pytest.fixture
def staff() -> Staff:
    with factories.committed_once():
        people = {
            name: factories.StaffFactory(role=role, email=f"{name}@northwind.example", name=name)
            for name, role in [
                ("director", "sales_director"),
                ("manager", "sales_manager"),
                ("admin", "account_admin"),
                ("inside", "inside_sales"),
                ("backup", "inside_sales"),
                ("field", "field_sales"),
                ("finance", "finance"),
                ("call_center", "call_center"),
                ("sysadmin", "sysadmin"),
            ]
        }
        return Staff(**people)
