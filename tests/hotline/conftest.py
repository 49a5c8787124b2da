"""The hotline's world: an account with its reps, a few more inside sales, managers, buyers."""

from dataclasses import dataclass

import pytest

from portal.accounts.models import KeyAccount, User
from tests import factories


@dataclass
class Desk:
    account: KeyAccount
    other: KeyAccount
    buyer: User
    colleague: User
    other_buyer: User
    inside: User
    inside2: User
    inside3: User
    manager: User
    director: User
    field: User
    call_center: User


@pytest.fixture
def desk():
    with factories.committed_once():
        staff = {
            name: factories.StaffFactory(
                role=role, email=f"{name}@northwind.example", name=name.title()
            )
            for name, role in [
                ("inside", "inside_sales"),
                ("inside2", "inside_sales"),
                ("inside3", "inside_sales"),
                ("manager", "sales_manager"),
                ("director", "sales_director"),
                ("field", "field_sales"),
                ("callcenter", "call_center"),
            ]
        }
        account = factories.AccountFactory(
            slug="acme",
            name="Acme Hospital Group",
            tier="platinum",
            time_zone="Asia/Shanghai",
            inside_sales_rep_id=staff["inside"].id,
            backup_rep_id=staff["inside2"].id,
            field_sales_rep_id=staff["field"].id,
        )
        other = factories.AccountFactory(
            slug="globex",
            name="Globex Manufacturing",
            tier="gold",
            time_zone="America/Chicago",
            inside_sales_rep_id=staff["inside2"].id,
        )
        return Desk(
            account=account,
            other=other,
            buyer=factories.UserFactory(
                account=account,
                email="buyer@acme.example",
                name="Alice Buyer",
                phone="+86 21 5555 0101",
            ),
            colleague=factories.UserFactory(account=account, email="approver@acme.example"),
            other_buyer=factories.UserFactory(account=other, email="buyer@globex.example"),
            inside=staff["inside"],
            inside2=staff["inside2"],
            inside3=staff["inside3"],
            manager=staff["manager"],
            director=staff["director"],
            field=staff["field"],
            call_center=staff["callcenter"],
        )
