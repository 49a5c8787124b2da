"""factory_boy factories for the models; they write through the test's session."""

from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from portal.accounts.models import Address, KeyAccount, User
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
