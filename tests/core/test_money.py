"""Money and exact amounts (SECURITY.md 40, 42)."""

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.accounts.models import User
from portal.core.money import (
    CURRENCIES,
    CurrencyMismatch,
    Money,
    format_money,
    quantize,
    to_minor,
)
from portal.extensions import db
from tests import factories


def test_minor_units_follow_the_currency():
    assert to_minor(Decimal("10.00"), "USD") == 1000
    assert to_minor(Decimal("500"), "JPY") == 500
    assert to_minor(Decimal("17339.15"), "CNY") == 1733915


def test_amounts_finer_than_the_currency_are_refused_in_minor_units():
    with pytest.raises(ValueError):
        to_minor(Decimal("10.001"), "USD")
    with pytest.raises(ValueError):
        to_minor(Decimal("500.5"), "JPY")


def test_rounding_is_half_up_to_the_minor_unit():
    assert quantize(Decimal("0.125"), "USD") == Decimal("0.13")
    assert quantize(Decimal("0.124"), "USD") == Decimal("0.12")
    assert quantize(Decimal("2.5"), "JPY") == Decimal("3")


def test_money_refuses_floats_and_mixing_currencies():
    with pytest.raises(TypeError):
        Money(0.1, "USD")
    with pytest.raises(CurrencyMismatch):
        Money(Decimal("1"), "USD") + Money(Decimal("1"), "CNY")
    assert Money(Decimal("1.10"), "USD") + Money(Decimal("2.20"), "USD") == Money(
        Decimal("3.30"), "USD"
    )


def _store_and_reload(amount):
    user = factories.UserFactory(spending_limit_amount=amount, spending_limit_currency="CNY")
    db.session.expunge_all()
    return db.session.scalar(sa.select(User.spending_limit_amount).where(User.id == user.id))


@settings(max_examples=40, deadline=None)
@given(
    st.decimals(
        min_value=Decimal("-999999999999.9999"),
        max_value=Decimal("999999999999.9999"),
        places=4,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_amount_columns_round_trip_exactly(app, amount):
    # Negative limits are refused by a check constraint; the type itself is exercised on abs().
    assert _store_and_reload(abs(amount)) == abs(amount)


def test_amounts_sum_exactly_in_sql():
    for value in ("0.1", "0.2", "1234567.8901"):
        factories.UserFactory(spending_limit_amount=Decimal(value), spending_limit_currency="CNY")
    total = db.session.scalar(sa.select(sa.func.sum(User.spending_limit_amount)))
    assert total == Decimal("1234568.1901")


def test_a_float_never_reaches_an_amount_column():
    with pytest.raises(sa.exc.StatementError) as error:
        factories.UserFactory(spending_limit_amount=0.1, spending_limit_currency="CNY")
    assert isinstance(error.value.orig, TypeError)


def test_an_amount_with_more_than_four_places_is_refused():
    with pytest.raises(sa.exc.StatementError) as error:
        factories.UserFactory(
            spending_limit_amount=Decimal("1.00001"), spending_limit_currency="CNY"
        )
    assert isinstance(error.value.orig, ValueError)


# Money text: format_money is byte for byte what flask_babel.format_currency writes, for the
# portal's locale and for locales whose patterns differ (separators, symbol after the number,
# Indian grouping, right-to-left marks, quoted pattern text).
LOCALES = ["en", "zh_Hans_CN", "de_CH", "fr", "nl", "hi_IN", "ar", "fa", "he", "ja"]


@settings(max_examples=60, deadline=None)
@given(
    amount=st.decimals(
        min_value=Decimal("-999999999999999.9999"),
        max_value=Decimal("999999999999999.9999"),
        allow_nan=False,
        allow_infinity=False,
    ),
    currency=st.sampled_from(CURRENCIES),
    locale=st.sampled_from(LOCALES),
)
def test_money_text_is_what_babel_writes(app, amount, currency, locale):
    with app.test_request_context("/"), force_locale(locale):
        assert format_money(amount, currency) == format_currency(amount, currency)


@pytest.mark.parametrize(
    "amount",
    [Decimal("0"), Decimal("-0"), Decimal("0.005"), Decimal("-0.015"), Decimal("2.5"), 7, "12.5"],
)
@pytest.mark.parametrize("currency", CURRENCIES)
def test_money_text_at_the_edges_is_what_babel_writes(app, amount, currency):
    # Half-way amounts, negative zero, and amounts that are not Decimals (left to Babel).
    with app.test_request_context("/"):
        assert format_money(amount, currency) == format_currency(amount, currency)


def test_money_text_outside_a_request_uses_the_default_locale(app):
    with app.app_context():
        assert format_money(Decimal("7650"), "CNY") == "CN¥7,650.00"
        assert format_money(Decimal("-1234567.5"), "JPY") == "-¥1,234,568"


def test_money_becomes_text_only_in_core_money():
    """One home for money text: every other module calls format_money, not Babel."""
    import portal

    package = Path(portal.__file__).parent
    elsewhere = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path != package / "core" / "money.py" and "format_currency" in path.read_text("utf-8")
    ]
    assert elsewhere == []
