"""The pipeline's world: Acme with its field-sales and inside-sales reps, a second field-sales
rep, managers, buyers, Globex (another rep's), and two products."""

from dataclasses import dataclass

import pytest

from portal.accounts.models import KeyAccount, User
from portal.catalog.models import Product
from tests import factories


@dataclass
class Team:
    account: KeyAccount
    other: KeyAccount
    buyer: User
    other_buyer: User
    field: User
    field2: User
    inside: User
    inside2: User
    manager: User
    director: User
    finance: User
    laptop: Product
    monitor: Product


@pytest.fixture
def team():
    with factories.committed_once():
        staff = {
            name: factories.StaffFactory(
                role=role, email=f"{name}@northwind.example", name=name.title()
            )
            for name, role in [
                ("field", "field_sales"),
                ("field2", "field_sales"),
                ("inside", "inside_sales"),
                ("inside2", "inside_sales"),
                ("manager", "sales_manager"),
                ("director", "sales_director"),
                ("finance", "finance"),
            ]
        }
        account = factories.AccountFactory(
            slug="acme",
            name="Acme Hospital Group",
            currency="CNY",
            time_zone="Asia/Shanghai",
            inside_sales_rep_id=staff["inside"].id,
            field_sales_rep_id=staff["field"].id,
        )
        other = factories.AccountFactory(
            slug="globex",
            name="Globex Manufacturing",
            time_zone="America/Chicago",
            inside_sales_rep_id=staff["inside2"].id,
            field_sales_rep_id=staff["field2"].id,
        )
        return Team(
            account=account,
            other=other,
            buyer=factories.UserFactory(account=account, email="buyer@acme.example", name="王芳"),
            other_buyer=factories.UserFactory(account=other, email="buyer@globex.example"),
            field=staff["field"],
            field2=staff["field2"],
            inside=staff["inside"],
            inside2=staff["inside2"],
            manager=staff["manager"],
            director=staff["director"],
            finance=staff["finance"],
            laptop=factories.ProductFactory(sku="NW-LT14", name="Laptop 14"),
            monitor=factories.ProductFactory(sku="NW-MN27", name="Monitor 27"),
        )
