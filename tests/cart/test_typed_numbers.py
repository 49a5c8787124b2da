"""Quantities as buyers type them, with a Chinese input method on or from a spreadsheet: every
way into the cart reads them as core.numbers does."""

import pytest

from tests.cart.test_views import upload
from tests.support.cart import cart_of
from tests.support.ordering import fill_cart
from tests.support.web import signed_in

CART = "/a/acme/cart"


@pytest.fixture
def buyer(web, shop):
    return signed_in(web, "buyer@acme.example")


def test_full_width_quantities_are_read_on_every_way_into_the_cart(buyer, shop):
    buyer.post(f"{CART}/add", data={"sku": "ｎｗ－ｍｎ２７", "quantity": "２", "next": CART})
    assert cart_of(shop.buyer) == {"NW-MN27": 2}

    # The quick-order pad: full-width SKU, ideographic space and comma, as typed in Chinese.
    lines = "ＮＷ－ＬＴ１４\u3000３\nNW-MN27，１"
    response = buyer.post(f"{CART}/quick-order", data={"lines": lines})
    assert response.status_code == 302
    assert cart_of(shop.buyer) == {"NW-MN27": 3, "NW-LT14": 3}

    buyer.post(
        f"{CART}/update",
        data={
            "lines-0-sku": "NW-MN27",
            "lines-0-quantity": "１，０００",
            "lines-1-sku": "NW-LT14",
            "lines-1-quantity": "１",
        },
    )
    assert cart_of(shop.buyer) == {"NW-MN27": 1000, "NW-LT14": 1}

    upload(buyer, "sku,quantity\nNW-LT14,４\n".encode())
    assert cart_of(shop.buyer) == {"NW-MN27": 1000, "NW-LT14": 5}


@pytest.mark.parametrize("quantity", ["1e3", "2,5", "1.000,0"])
def test_a_quantity_with_an_exponent_or_a_decimal_comma_changes_nothing(buyer, shop, quantity):
    fill_cart(shop.buyer, [("NW-LT14", 1)])
    page = buyer.post(
        f"{CART}/update",
        data={"lines-0-sku": "NW-LT14", "lines-0-quantity": quantity},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"“{quantity}” is not a quantity" in page
    buyer.post(f"{CART}/add", data={"sku": "NW-LT14", "quantity": quantity, "next": CART})
    assert cart_of(shop.buyer) == {"NW-LT14": 1}
