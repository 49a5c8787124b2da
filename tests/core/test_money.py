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
    capital_amount,
    capital_words,
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


# Money text per locale: the viewer's locale decides (English keeps Babel's CN¥; Chinese ¥).


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "text"),
    [
        ("en", "17339.15", "CNY", "CN¥17,339.15"),
        ("en", "1249", "USD", "$1,249.00"),
        ("en", "-5300", "CNY", "-CN¥5,300.00"),
        ("en", "0", "CNY", "CN¥0.00"),
        ("zh_Hans", "17339.15", "CNY", "¥17,339.15"),
        ("zh_Hans", "1249", "USD", "US$1,249.00"),
        ("zh_Hans", "-5300", "CNY", "-¥5,300.00"),
        ("zh_Hans", "-0.5", "USD", "-US$0.50"),
        ("zh_Hans", "0", "CNY", "¥0.00"),
        ("zh_Hans", "500", "JPY", "JP¥500"),
    ],
)
def test_money_is_written_as_the_viewers_locale_writes_it(app, locale, amount, currency, text):
    with app.test_request_context("/"), force_locale(locale):
        assert format_money(Decimal(amount), currency) == text


# Chinese capital numerals (大写) as the rules for bills and settlement vouchers write them.

CAPITALS = [
    ("17339.15", "壹万柒仟叁佰叁拾玖元壹角伍分"),
    ("100", "壹佰元整"),
    ("0.05", "伍分"),
    ("0.50", "伍角整"),
    ("0", "零元整"),
    ("1000.50", "壹仟元伍角整"),
    ("10010", "壹万零壹拾元整"),
    ("1000000", "壹佰万元整"),
    ("100000000.01", "壹亿元零壹分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("107000.53", "壹拾万柒仟元伍角叁分"),
    ("10", "壹拾元整"),
    ("15", "壹拾伍元整"),
    ("1001", "壹仟零壹元整"),
    ("20005", "贰万零伍元整"),
    ("10000100", "壹仟万零壹佰元整"),
    ("1000010000", "壹拾亿零壹万元整"),
    ("2295.00", "贰仟贰佰玖拾伍元整"),
    ("-100", "负壹佰元整"),
    ("-0.05", "负伍分"),
    ("0.004", "零元整"),
    ("0.005", "壹分"),
    (
        "1234567890123456.78",
        "壹仟贰佰叁拾肆万亿伍仟陆佰柒拾捌亿玖仟零壹拾贰万叁仟肆佰伍拾陆元柒角捌分",
    ),
]


@pytest.mark.parametrize(("amount", "text"), CAPITALS)
def test_amounts_in_capital_numerals_follow_the_banking_rules(amount, text):
    assert capital_amount(Decimal(amount)) == text


def test_capital_numerals_refuse_what_they_cannot_write():
    with pytest.raises(ValueError):
        capital_amount(Decimal("1e16"))
    with pytest.raises(TypeError):
        capital_amount(Decimal("NaN"))
    with pytest.raises(TypeError):
        capital_amount(12.5)


_DIGIT = {c: n for n, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_PLACE = {"拾": 10, "佰": 100, "仟": 1000}


def _read_capitals(text: str) -> Decimal:
    """The amount that capital numerals write (the reverse of capital_amount, for tests)."""
    sign = -1 if text.startswith("负") else 1
    text = text.removeprefix("负").removesuffix("整")
    yuan_text, _, fraction = text.rpartition("元") if "元" in text else ("", "", text)
    total, section, digit = 0, 0, 0
    for char in yuan_text.replace("万亿", "兆"):
        if char in _DIGIT:
            digit = _DIGIT[char]
        elif char in _PLACE:
            section, digit = section + digit * _PLACE[char], 0
        else:  # 万, 亿 or 兆 (万亿): close the group
            scale = {"万": 10**4, "亿": 10**8, "兆": 10**12}[char]
            total, section, digit = total + (section + digit) * scale, 0, 0
    yuan = total + section + digit
    cents = sum(
        _DIGIT[fraction[i - 1]] * (10 if char == "角" else 1)
        for i, char in enumerate(fraction)
        if char in "角分"
    )
    return sign * (Decimal(yuan) + Decimal(cents) / 100)


@settings(max_examples=300, deadline=None)
@given(fen=st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1))
def test_capital_numerals_read_back_to_the_amount(fen):
    amount = Decimal(fen).scaleb(-2)
    text = capital_amount(amount)
    assert _read_capitals(text) == amount
    assert text.endswith(("元整", "角整", "分"))
    assert "零零" not in text and not text.lstrip("负").startswith("零" if fen else "-")


@settings(max_examples=100, deadline=None)
@given(
    amount=st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15)
)
def test_capital_numerals_write_any_amount_without_failing(amount):
    assert capital_amount(amount)


def test_capital_words_are_for_chinese_readers_of_cny_amounts(app):
    with app.test_request_context("/"):
        with force_locale("zh_Hans"):
            assert capital_words(Decimal("100"), "CNY") == "壹佰元整"
            assert capital_words(Decimal("100"), "USD") == ""
            assert capital_words(None, "CNY") == ""
        with force_locale("en"):
            assert capital_words(Decimal("100"), "CNY") == ""
