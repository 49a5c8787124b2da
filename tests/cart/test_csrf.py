"""The cart's forms carry CSRF tokens, and a POST without one changes nothing (SECURITY.md 20)."""

import re

import pytest

from portal import create_app
from tests.support.cart import cart_of
from tests.support.web import make_config, sign_in


@pytest.fixture(scope="module")
def web(app):
    """The app as deployed: CSRF protection on (one for the module)."""
    return create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True))


def form_token(page, action: str) -> str:
    """The token inside the form that posts to `action`."""
    text = page.get_data(as_text=True)
    start = text.index(f'action="{action}"')
    match = re.compile(r'name="csrf_token" value="([^"]+)"').search(text, start)
    assert match, f"no CSRF token in the form posting to {action}"
    return match.group(1)


def test_cart_forms_work_with_their_tokens_and_not_without(web, shop):
    buyer = sign_in(web.test_client(), "buyer@acme.example")
    product = buyer.get("/a/acme/products/NW-LT14")
    token = form_token(product, "/a/acme/cart/add")
    refused = buyer.post("/a/acme/cart/add", data={"sku": "NW-LT14", "quantity": "1"})
    assert refused.status_code == 400
    assert cart_of(shop.buyer) == {}
    buyer.post("/a/acme/cart/add", data={"sku": "NW-LT14", "quantity": "1", "csrf_token": token})
    assert cart_of(shop.buyer) == {"NW-LT14": 1}

    catalog = buyer.get("/a/acme/catalog")
    buyer.post(
        "/a/acme/cart/add",
        data={
            "sku": "NW-MN27",
            "quantity": "2",
            "csrf_token": form_token(catalog, "/a/acme/cart/add"),
        },
    )
    cart = buyer.get("/a/acme/cart")
    assert buyer.post("/a/acme/cart/quick-order", data={"lines": "NW-LT14 1"}).status_code == 400
    buyer.post(
        "/a/acme/cart/quick-order",
        data={"lines": "NW-LT14 1", "csrf_token": form_token(cart, "/a/acme/cart/quick-order")},
    )
    assert cart_of(shop.buyer) == {"NW-LT14": 2, "NW-MN27": 2}

    saved = buyer.post(
        "/a/acme/lists", data={"name": "Monthly", "csrf_token": form_token(cart, "/a/acme/lists")}
    )
    assert saved.status_code == 302
    cart = buyer.get("/a/acme/cart")
    list_id = re.search(r'data-list-id="(\d+)"', cart.get_data(as_text=True)).group(1)
    remove = f"/a/acme/lists/{list_id}/remove"
    assert buyer.post(remove).status_code == 400
    asked = buyer.get(f"/a/acme/lists/{list_id}?delete=1")
    token = form_token(asked, remove)
    assert buyer.post(remove, data={"csrf_token": token, "confirmed": "1"}).status_code == 303
    assert b"data-list-id" not in buyer.get("/a/acme/cart").data
