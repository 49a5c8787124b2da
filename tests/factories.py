"""factory_boy factories for the models; they write through the test's session."""

from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from portal.accounts.models import Address, KeyAccount, User
from portal.catalog.models import Category, ListPrice, Product
from portal.contracts.models import Contract, PriceRule
from portal.core.passwords import hash_password
from portal.extensions import db


@cache
def password_hash(password: str = "correct horse battery") -> str:
    # Hashing is deliberately slow; every factory user shares one hash of the test password.
    return hash_password(password)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class AccountFactory(Base):
    class Meta:
        model = KeyAccount

    slug = factory.Sequence(lambda n: f"account-{n}")
    name = factory.Sequence(lambda n: f"Account {n}")
    welcome_text = "Welcome."
    brand_colour = "#123456"
    hotline_phone = "+86 21 5555 0100"
    time_zone = "Asia/Shanghai"
    currency = "CNY"
    tier = "standard"


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    role = "buyer"
    account = factory.SubFactory(AccountFactory)
    password_hash = factory.LazyFunction(password_hash)


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@northwind.example")
    role = "account_admin"
    account = None


class AddressFactory(Base):
    class Meta:
        model = Address

    account = factory.SubFactory(AccountFactory)
    label = "Head office"
    lines = "1 Main Street"
    city = "Shanghai"
    postcode = "200000"
    country = "CN"


class CategoryFactory(Base):
    class Meta:
        model = Category
        sqlalchemy_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(Base):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)


class ListPriceFactory(Base):
    class Meta:
        model = ListPrice

    product = factory.SubFactory(ProductFactory)
    currency = "CNY"
    amount = Decimal("100.00")


class ContractFactory(Base):
    class Meta:
        model = Contract

    account = factory.SubFactory(AccountFactory)
    number = factory.Sequence(lambda n: f"C-{n:05d}")
    currency = "CNY"
    valid_from = factory.LazyFunction(lambda: date.today() - timedelta(days=30))
    valid_to = factory.LazyFunction(lambda: date.today() + timedelta(days=365))
    status = "active"
    credit_limit_amount = Decimal("100000.00")


class PriceRuleFactory(Base):
    class Meta:
        model = PriceRule

    contract = factory.SubFactory(ContractFactory)
    account_id = factory.SelfAttribute("contract.account_id")
    product = factory.SubFactory(ProductFactory)
    kind = "percent_off"
    value = Decimal("10")
    min_quantity = 1
