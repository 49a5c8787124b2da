"""Numbers people type, read one way: amounts, percentages and quantities (core.numbers), and
the form fields built on them (core.forms)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.validators import InputRequired, Optional

from portal.core.forms import AmountField, PercentField, QuantityField
from portal.core.numbers import (
    MAX_AMOUNT,
    NumberError,
    parse_amount,
    parse_percent,
    parse_quantity,
    plain_width,
)


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


def refusal(parse, text, **kwargs) -> str:
    with pytest.raises(NumberError) as raised:
        parse(text, **kwargs)
    return raised.value.message


# Amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1150.50", "1150.50"),
        ("1,150.50", "1150.50"),
        ("1,150", "1150"),  # a comma and exactly three digits: thousands
        ("1,234,567.89", "1234567.89"),
        ("50,000.00", "50000.00"),
        (" 7650 ", "7650"),
        ("0", "0"),
        (".5", "0.5"),
        ("5.", "5"),
        ("-3", "-3"),
        ("+3", "3"),
        ("0.0001", "0.0001"),
        ("999999999999.9999", "999999999999.9999"),
        # Chinese input methods: full-width digits and punctuation, ideographic space and
        # full stop.
        ("１２３４．５０", "1234.50"),
        ("１，２３４", "1234"),
        ("\u3000１１５０．５\u3000", "1150.5"),
        ("1150。50", "1150.50"),
        ("－５", "-5"),
        ("\u22125", "-5"),
    ],
)
def test_amounts_are_read_with_a_point_for_decimals_and_commas_for_thousands(text, expected):
    value = parse_amount(text)
    assert value == Decimal(expected) and str(value) == expected


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("1150,50", "1150.50"),
        ("1150,5", "1150.5"),
        ("0,500", "0.500"),  # a leading 0 is never a thousands group
        ("1150,500", "1150.500"),  # four digits before the comma: not thousands
        ("1.150,50", "1150.50"),  # a European spreadsheet's thousands point
        ("1.234.567,89", "1234567.89"),
        ("-1150,50", "-1150.50"),
        ("１１５０，５０", "1150.50"),
    ],
)
def test_a_decimal_comma_is_refused_with_what_to_type(text, suggestion):
    message = refusal(parse_amount, text)
    assert f"type {suggestion} " in message
    assert "use a point for decimals" in message


@pytest.mark.parametrize("text", ["1e9", "1E9", "1e+9", "2.5e3", "1e-2", "１ｅ９"])
def test_exponents_are_refused(text):
    assert "without an exponent" in refusal(parse_amount, text)


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "NaN",
        "Infinity",
        "-inf",
        "1_000",
        "1 000",
        "12,34.5.6",
        "1,234,56",
        "1.150.50",
        "1150,",
        ",5",
        ".",
        "--5",
        "¥1150",
        "1150 CNY",
        "١٢٣",  # Arabic-Indic digits: Python's Decimal() reads them, we do not
        "½",
        "0x10",
    ],
)
def test_what_is_not_an_amount_is_refused_quoting_it(text):
    assert "is not an amount" in refusal(parse_amount, text)


def test_an_amount_beyond_the_column_is_refused_not_stored():
    message = refusal(parse_amount, "999999999999999999999")
    assert "is too large: amounts stay below 1,000,000,000,000" in message
    assert "too large" in refusal(parse_amount, str(MAX_AMOUNT))
    assert "too large" in refusal(parse_amount, "-" + str(MAX_AMOUNT))
    assert "too large" in refusal(parse_amount, "9" * 5000)
    assert "more than 4 decimals" in refusal(parse_amount, "1.23456")
    assert parse_amount("1.23450") == Decimal("1.2345")


@given(st.decimals(min_value=-MAX_AMOUNT + 1, max_value=MAX_AMOUNT - 1, places=4))
def test_every_amount_written_plainly_or_with_thousands_reads_back(value):
    with_commas = f"{value:,f}"
    full_width = with_commas.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789,.-"})
    assert parse_amount(f"{value:f}") == parse_amount(with_commas) == value
    assert parse_amount(full_width) == value


# Percentages


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12.5", "12.5"), ("12.5%", "12.5"), ("50 %", "50"), ("５０％", "50"), ("３３．５％", "33.5")],
)
def test_percentages_take_an_optional_percent_sign(text, expected):
    assert parse_percent(text) == Decimal(expected)


def test_percentages_are_refused_like_amounts():
    assert "type 12.5 " in refusal(parse_percent, "12,5%")
    assert "without an exponent" in refusal(parse_percent, "1e2")
    assert "is not a percentage" in refusal(parse_percent, "%")
    assert "is not a percentage" in refusal(parse_percent, "12%%")
    assert "too large" in refusal(parse_percent, "999999999999999999999")


# Quantities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("007", 7),
        ("2.0", 2),
        ("+3", 3),
        ("1,000", 1000),
        ("１２", 12),
        ("１，０００", 1000),
        ("0" * 5000 + "1", 1),
        ("100", 100),
    ],
)
def test_whole_quantities_are_read(text, expected):
    assert parse_quantity(text, maximum=10_000) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write a quantity"),
        ("\u3000", "Write a quantity"),
        ("0", "at least 1"),
        ("-0", "at least 1"),
        ("-2", "at least 1"),
        ("1.5", "whole number"),
        ("0.25", "whole number"),
        ("101", "at most 100"),
        ("9" * 5000, "at most 100"),
        ("abc", "is not a quantity"),
        ("1e3", "is not a quantity"),
        ("1,5", "is not a quantity"),
        ("NaN", "is not a quantity"),
        ("½", "is not a quantity"),
        ("١٢", "is not a quantity"),
    ],
)
def test_bad_quantities_are_refused_with_a_clear_message(text, message):
    assert message in refusal(parse_quantity, text, maximum=100)


def test_a_quantity_may_start_at_zero_where_zero_means_remove():
    assert parse_quantity("0", minimum=0, maximum=10) == 0
    assert "at least 0" in refusal(parse_quantity, "-1", minimum=0, maximum=10)


def test_plain_width_turns_full_width_text_into_plain_text():
    assert plain_width("ＮＷ－ＬＴ１４\u3000２") == "NW-LT14 2"


# Fields


class NumbersForm(Form):
    amount = AmountField(validators=[InputRequired()])
    limit = AmountField(validators=[Optional()])
    share = PercentField(validators=[Optional()])
    units = QuantityField(maximum=1000, validators=[Optional()])


def test_number_fields_hold_the_number_and_show_back_what_was_typed():
    form = NumbersForm(
        MultiDict({"amount": "１，１５０．５０", "limit": " ", "share": "５０％", "units": "１２"})
    )
    assert form.validate(), form.errors
    assert (form.amount.data, form.limit.data, form.share.data, form.units.data) == (
        Decimal("1150.50"),
        None,
        Decimal(50),
        12,
    )
    assert 'value="１，１５０．５０"' in form.amount()
    assert 'inputmode="decimal"' in form.amount() and 'inputmode="numeric"' in form.units()


def test_number_fields_refuse_with_the_parsers_message():
    form = NumbersForm(MultiDict({"amount": "1150,50", "share": "1e2", "units": "2.5"}))
    assert not form.validate()
    assert "type 1150.50 " in form.amount.errors[0]
    assert "without an exponent" in form.share.errors[0]
    assert "whole number" in form.units.errors[0]
    assert form.amount.data is None


def test_a_required_number_field_takes_zero_but_not_spaces():
    assert NumbersForm(MultiDict({"amount": "0"})).validate()
    form = NumbersForm(MultiDict({"amount": "\u3000"}))
    assert not form.validate()
    assert form.amount.errors == ["This field is required."]


def test_a_stored_amount_is_shown_as_the_view_gives_it():
    form = NumbersForm(data={"amount": Decimal("500000.00"), "units": 3})
    assert 'value="500000.00"' in form.amount()
    assert 'value="3"' in form.units()
