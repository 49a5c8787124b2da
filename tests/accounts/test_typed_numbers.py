"""Spending limits as people type them, read as core.numbers reads every amount, on the
customer admin's and the staff's user forms alike, and shown in the currency's decimals."""

import re
from decimal import Decimal

import pytest

from tests.accounts.test_views import user_form
from tests.support.web import reload, signed_in


def shown(page, name: str) -> str:
    [tag] = re.findall(rf'<input [^>]*name="{name}"[^>]*>', page.get_data(as_text=True))
    return re.search(r'value="([^"]*)"', tag).group(1)


@pytest.fixture(params=["customer admin", "staff"])
def users_url(request, web, initech, staff_admin):
    """(signed-in client, the users' base URL) for each form that sets a spending limit."""
    if request.param == "staff":
        return signed_in(web, staff_admin.email), "/staff/accounts/initech/users"
    return signed_in(web, "admin@initech.example"), "/a/initech/users"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e9", "“1e9”: write the number out in digits, without an exponent."),
        (
            "50000,50",
            "“50000,50”: use a point for decimals and type 50000.50 (a comma only separates "
            "thousands, as in 1,150.50).",
        ),
        (
            "999999999999999999999",
            "“999999999999999999999” is too large: amounts stay below 1,000,000,000,000.",
        ),
    ],
)
def test_a_spending_limit_with_an_exponent_or_a_decimal_comma_is_refused(
    users_url, initech, typed, message
):
    client, url = users_url
    buyer = initech["buyer"]
    response = client.post(f"{url}/{buyer.id}", data=user_form(buyer, spending_limit=typed))
    assert response.status_code == 200
    assert f'<div class="invalid-feedback">{message}</div>' in response.get_data(as_text=True)
    assert reload(buyer).spending_limit_amount is None


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("50,000.50", "50000.50"), ("５０，０００．５", "50000.50"), ("\u3000８０００\u3000", "8000")],
)
def test_a_spending_limit_typed_with_thousands_or_in_full_width_is_read(
    users_url, initech, typed, stored
):
    client, url = users_url
    buyer = initech["buyer"]
    response = client.post(f"{url}/{buyer.id}", data=user_form(buyer, spending_limit=typed))
    assert response.status_code == 302
    assert reload(buyer).spending_limit_amount == Decimal(stored)
    assert shown(client.get(f"{url}/{buyer.id}"), "spending_limit") == f"{Decimal(stored):.2f}"
