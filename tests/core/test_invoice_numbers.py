"""Invoice numbers, <order number>-<position>: written and read in one place."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core.invoice_numbers import InvoiceNumber, invoice_number, parse_invoice_number


def test_an_invoice_is_numbered_by_its_order_and_position():
    assert invoice_number("NW-2026-000003", 1) == "NW-2026-000003-1"
    assert invoice_number("NW-2026-000003", 12) == "NW-2026-000003-12"


@pytest.mark.parametrize(
    ("text", "order_number", "position"),
    [
        ("NW-2026-000003-1", "NW-2026-000003", 1),
        ("NW-2026-000003-12", "NW-2026-000003", 12),
        ("NW-2026-000003-999", "NW-2026-000003", 999),
        ("A-1", "A", 1),
    ],
)
def test_an_invoice_number_reads_as_its_order_number_and_position(text, order_number, position):
    assert parse_invoice_number(text) == InvoiceNumber(order_number, position)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "NW-2026-000003",  # an order number is no invoice number...
        "NW-2026-000003-0",  # ...nor is position 0
        "NW-2026-000003-01",
        "NW-2026-000003-1000",
        "nw-2026-000003-1",  # as typed, before upper-casing
        "NW-2026-000003-1 ",
        "NW-2026-000003-1\n",
        " NW-2026-000003-1",
        "NW_2026-1",
        "-1",
        "NW-2026-000003-1-",
        "X" * 21 + "-1",  # an order number has at most 20 characters
    ],
)
def test_other_text_is_not_an_invoice_number(text):
    assert parse_invoice_number(text) is None


@given(
    st.from_regex(r"NW-20[0-9]{2}-[0-9]{6}", fullmatch=True),
    st.integers(min_value=1, max_value=999),
)
def test_every_number_written_reads_back(order_number, position):
    assert parse_invoice_number(invoice_number(order_number, position)) == (
        order_number,
        position,
    )
