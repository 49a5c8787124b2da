"""The cart as buyers use it: add from the catalog, change quantities, quick order, CSV upload,
saved lists, reorder; and nothing of another account or another user's cart within reach."""

import io
import re
from decimal import Decimal

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from portal.cart import quick_order, services
from portal.cart.models import OrderList
from portal.extensions import db
from tests import factories
from tests.support.cart import cart_of, product
from tests.support.ordering import fill_cart, place
from tests.support.web import signed_in

CART = "/a/acme/cart"


def lines_on(page) -> dict[str, dict[str, str]]:
    """The cart lines of a page by SKU, with their data attributes (DESIGN.md section 5)."""
    lines = {}
    for tag in re.findall(r'<tr class="cart-line[^"]*"[^>]*>', page.get_data(as_text=True)):
        attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag))
        lines[attributes["sku"]] = attributes
    return lines


def error_rows(page) -> list[int]:
    return [int(n) for n in re.findall(r'data-error-row="(\d+)"', page.get_data(as_text=True))]


def textarea(page) -> str:
    match = re.search(
        r'<textarea[^>]*name="lines"[^>]*>(.*?)</textarea>', page.get_data(as_text=True), re.S
    )
    return match.group(1).strip()


@pytest.fixture
def buyer(web, shop):
    return signed_in(web, "buyer@acme.example")


# Adding from the catalog and the product page


def test_a_product_added_from_its_page_shows_in_the_cart_at_the_contract_price(buyer, shop):
    page = buyer.get("/a/acme/products/NW-LT14")
    assert b'action="/a/acme/cart/add"' in page.data
    response = buyer.post(
        "/a/acme/cart/add",
        data={"sku": "NW-LT14", "quantity": "2", "next": "/a/acme/products/NW-LT14"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/a/acme/products/NW-LT14"
    assert "Added 2 units of NW-LT14" in buyer.get(CART).get_data(as_text=True)
    line = lines_on(buyer.get(CART))["NW-LT14"]
    assert (line["qty"], line["unit-price"], line["line-total"]) == ("2", "7650.00", "15300.00")


def test_the_catalog_offers_add_to_cart_for_each_priced_product(buyer, shop):
    page = buyer.get("/a/acme/catalog").get_data(as_text=True)
    assert page.count('class="add-to-cart') == 2
    assert 'data-sku="NW-LT14" data-unit-price="7650.00" data-list-price="8999.00"' in page
    buyer.post(
        "/a/acme/cart/add", data={"sku": "nw-mn27", "quantity": "3", "next": "/a/acme/catalog?q=NW"}
    )
    assert cart_of(shop.buyer) == {"NW-MN27": 3}


def test_prices_accounts_and_users_in_a_post_are_ignored(buyer, shop, globex):
    buyer.post(
        "/a/acme/cart/add",
        data={
            "sku": "NW-LT14",
            "quantity": "1",
            "unit_price": "0.01",
            "line_total": "0.01",
            "account_id": str(globex["account"].id),
            "user_id": str(shop.approver.id),
            "cart_id": "1",
        },
    )
    assert cart_of(shop.buyer) == {"NW-LT14": 1}
    assert cart_of(shop.approver) == {}
    assert lines_on(buyer.get(CART))["NW-LT14"]["line-total"] == "7650.00"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/a/acme/", "/a/globex/catalog", "/a/acme//evil", ""],
)
def test_after_adding_the_buyer_only_goes_back_to_a_page_of_their_account(buyer, shop, target):
    response = buyer.post(
        "/a/acme/cart/add", data={"sku": "NW-LT14", "quantity": "1", "next": target}
    )
    assert response.headers["Location"] == CART


@pytest.mark.parametrize("quantity", ["0", "-1", "1.5", "10000000000", "abc"])
def test_a_bad_quantity_from_the_catalog_adds_nothing_and_says_why(buyer, shop, quantity):
    response = buyer.post(
        "/a/acme/cart/add", data={"sku": "NW-LT14", "quantity": quantity}, follow_redirects=True
    )
    assert "NW-LT14:" in response.get_data(as_text=True)
    assert 'class="alert alert-danger"' in response.get_data(as_text=True)
    assert cart_of(shop.buyer) == {}


# Changing quantities


def test_quantities_are_changed_and_zero_or_remove_takes_a_line_out(buyer, shop):
    fill_cart(shop.buyer, [("NW-LT14", 1), ("NW-MN27", 1)])
    page = buyer.get(CART).get_data(as_text=True)
    assert 'name="lines-0-quantity"' in page and 'name="lines-1-sku" value="NW-MN27"' in page
    buyer.post(
        "/a/acme/cart/update",
        data={
            "lines-0-sku": "NW-LT14",
            "lines-0-quantity": "50",
            "lines-1-sku": "NW-MN27",
            "lines-1-quantity": "0",
        },
    )
    line = lines_on(buyer.get(CART))["NW-LT14"]
    assert (line["qty"], line["line-total"]) == ("50", "370000.00")  # the volume price from 50
    buyer.post("/a/acme/cart/update", data={"remove": "NW-LT14"})
    assert cart_of(shop.buyer) == {}
    assert b'id="empty-cart"' in buyer.get(CART).data


def test_a_bad_quantity_in_the_cart_changes_nothing(buyer, shop):
    fill_cart(shop.buyer, [("NW-LT14", 1), ("NW-MN27", 1)])
    response = buyer.post(
        "/a/acme/cart/update",
        data={
            "lines-0-sku": "NW-LT14",
            "lines-0-quantity": "5",
            "lines-1-sku": "NW-MN27",
            "lines-1-quantity": "1.5",
        },
        follow_redirects=True,
    )
    assert "NW-MN27: Quantities are whole units" in response.get_data(as_text=True)
    assert cart_of(shop.buyer) == {"NW-LT14": 1, "NW-MN27": 1}


def test_lines_that_can_no_longer_be_ordered_say_why_and_block_checkout(buyer, shop):
    fill_cart(shop.buyer, [("NW-LT14", 1), ("NW-MN27", 1)])
    page = buyer.get(CART).get_data(as_text=True)
    assert 'href="/a/acme/checkout" id="checkout"' in page
    assert 'data-cart-total="9689.15"' in page
    product("NW-MN27").is_active = False
    db.session.commit()
    page = buyer.get(CART)
    line = lines_on(page)["NW-MN27"]
    assert line["no-price"] == "inactive" and "line-total" not in line
    text = page.get_data(as_text=True)
    assert "This product is no longer sold." in text
    assert 'id="unpriced-lines"' in text and "Remove it before checkout" in text
    assert 'id="checkout"' not in text and 'id="checkout-disabled"' in text
    assert "Contract NW-ACME-01: fixed price" in text  # the other line's price, explained


# Quick order


def test_quick_order_adds_pasted_rows_at_contract_prices(buyer, shop):
    response = buyer.post(f"{CART}/quick-order", data={"lines": "NW-LT14\t2\r\nnw-mn27, 1\r\n"})
    assert response.status_code == 302 and response.headers["Location"] == CART
    page = buyer.get(CART)
    lines = lines_on(page)
    assert (lines["NW-LT14"]["qty"], lines["NW-LT14"]["line-total"]) == ("2", "15300.00")
    assert (lines["NW-MN27"]["qty"], lines["NW-MN27"]["line-total"]) == ("1", "2039.15")
    assert 'data-cart-total="17339.15"' in page.get_data(as_text=True)
    assert "Added 2 products to your cart (3 units)." in page.get_data(as_text=True)


def test_quick_order_with_bad_rows_lists_each_and_adds_nothing(buyer, shop):
    pasted = "NW-LT14 2\nNW-LT41 1\nNW-MN27 1.5\nNW-MN27 0\nNW-MN27 10000000000\nNW-MN27\n"
    response = buyer.post(f"{CART}/quick-order", data={"lines": pasted})
    assert response.status_code == 200
    assert error_rows(response) == [2, 3, 4, 5, 6]
    text = response.get_data(as_text=True)
    for message in [
        "There is no product with this number.",
        "is not a whole number",
        "at least 1",
        "at most 99,999",
        "one SKU and one quantity",
        "5 rows have errors; nothing was added",
    ]:
        assert message in text
    assert 'data-suggestion="NW-LT14"' in text
    assert textarea(response) == pasted.strip()
    assert cart_of(shop.buyer) == {}


def test_quick_order_keeps_markup_in_pasted_rows_escaped(buyer, shop):
    response = buyer.post(
        f"{CART}/quick-order",
        data={"lines": '<script>x</script> 1\n"><img src=x onerror=alert(1)> 2'},
    )
    text = response.get_data(as_text=True)
    assert "<script>x" not in text and "<img src=x" not in text
    assert "&lt;SCRIPT&gt;X&lt;/SCRIPT&gt;" in text or "&lt;script&gt;x&lt;/script&gt;" in text


def test_an_empty_quick_order_says_what_to_write(buyer, shop):
    response = buyer.post(f"{CART}/quick-order", data={"lines": "  \n "})
    assert response.status_code == 200
    assert "Write at least one line with a SKU and a quantity" in response.get_data(as_text=True)


# CSV upload


def upload(client, data: bytes, name="order.csv"):
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    stream, length, boundary = stream_encode_multipart(
        {"file": FileStorage(io.BytesIO(data), filename=name)}, use_tempfile=False
    )
    return client.post(
        f"{CART}/upload",
        data=stream.read(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_a_csv_file_of_sku_and_quantity_is_added(buyer, shop):
    response = upload(buyer, "\ufeffsku;quantity\r\nNW-LT14;2\r\nNW-MN27;1\r\n".encode())
    assert response.status_code == 302
    lines = lines_on(buyer.get(CART))
    assert lines["NW-LT14"]["line-total"] == "15300.00"
    assert lines["NW-MN27"]["line-total"] == "2039.15"


def test_a_csv_file_with_bad_rows_lists_each_by_line_and_adds_nothing(buyer, shop):
    response = upload(buyer, b"sku,quantity\nNW-LT14,2\nNW-MN72,1\nNW-LT14,-3\n")
    assert response.status_code == 200
    assert error_rows(response) == [3, 4]
    assert b'data-suggestion="NW-MN27"' in response.data
    assert cart_of(shop.buyer) == {}


def test_a_csv_file_over_1_mb_is_refused_unread(buyer, shop):
    response = upload(buyer, b"NW-LT14,1\n" * 110_000)
    assert response.status_code == 200
    assert "The file is larger than 1 MB" in response.get_data(as_text=True)
    assert cart_of(shop.buyer) == {}


def test_an_upload_without_a_file_asks_for_one(buyer, shop):
    response = buyer.post(f"{CART}/upload", data={}, content_type="multipart/form-data")
    assert "Choose a CSV or Excel file." in response.get_data(as_text=True)


# Saved order lists


def test_a_list_saved_by_one_buyer_is_used_and_deleted_by_a_colleague(web, buyer, shop):
    fill_cart(shop.buyer, [("NW-LT14", 2), ("NW-MN27", 1)])
    assert buyer.post("/a/acme/lists", data={"name": "Monthly restock"}).status_code == 302
    saved = db.session.query(OrderList).filter_by(name="Monthly restock").one()

    approver = signed_in(web, "approver@acme.example")
    page = approver.get(CART).get_data(as_text=True)
    assert f'data-list-id="{saved.id}" data-list-name="Monthly restock"' in page
    assert "2 products" in page and "Bea Buyer" in page
    approver.post(f"/a/acme/lists/{saved.id}/add")
    assert cart_of(shop.approver) == {"NW-LT14": 2, "NW-MN27": 1}
    approver.post(f"/a/acme/lists/{saved.id}/remove", data={"confirmed": "1"})
    assert db.session.query(OrderList).count() == 0
    assert b'id="no-lists"' in buyer.get(CART).data


def test_deleting_a_shared_list_asks_first(buyer, shop):
    saved = factories.OrderListFactory(account=shop.account, name="Monthly")
    cart = buyer.get(CART).get_data(as_text=True)
    assert f'href="/a/acme/lists/{saved.id}?delete=1"' in cart  # a question, not a deletion
    asked = buyer.post(f"/a/acme/lists/{saved.id}/remove")
    assert asked.status_code == 303
    assert asked.headers["Location"] == f"/a/acme/lists/{saved.id}?delete=1"
    assert db.session.get(OrderList, saved.id) is not None
    question = buyer.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Delete the list “Monthly” for everyone at" in question
    assert 'name="confirmed" type="hidden" value="1"' in question
    deleted = buyer.post(f"/a/acme/lists/{saved.id}/remove", data={"confirmed": "1"})
    assert deleted.status_code == 303
    assert db.session.query(OrderList).count() == 0


def test_a_shared_list_opens_and_its_name_and_quantities_can_be_edited(web, buyer, shop):
    fill_cart(shop.buyer, [("NW-LT14", 2), ("NW-MN27", 1)])
    buyer.post("/a/acme/lists", data={"name": "Monthly"})
    saved = db.session.query(OrderList).filter_by(name="Monthly").one()
    assert f'href="/a/acme/lists/{saved.id}"' in buyer.get(CART).get_data(as_text=True)

    approver = signed_in(web, "approver@acme.example")
    page = approver.get(f"/a/acme/lists/{saved.id}").get_data(as_text=True)
    assert 'data-sku="NW-LT14" data-qty="2"' in page and 'data-sku="NW-MN27" data-qty="1"' in page
    edited = approver.post(
        f"/a/acme/lists/{saved.id}",
        data={
            "name": "Monthly restock",
            "lines-0-sku": "NW-LT14",
            "lines-0-quantity": "5",
            "lines-1-sku": "NW-MN27",
            "lines-1-quantity": "0",
        },
    )
    assert edited.status_code == 303
    page = approver.get(f"/a/acme/lists/{saved.id}").get_data(as_text=True)
    assert "Monthly restock" in page
    assert 'data-sku="NW-LT14" data-qty="5"' in page and "NW-MN27" not in page
    approver.post(f"/a/acme/lists/{saved.id}/add")
    assert cart_of(shop.approver) == {"NW-LT14": 5}


def test_a_bad_quantity_or_an_empty_list_changes_nothing(buyer, shop):
    fill_cart(shop.buyer, [("NW-LT14", 2)])
    buyer.post("/a/acme/lists", data={"name": "Monthly"})
    saved = db.session.query(OrderList).filter_by(name="Monthly").one()
    url = f"/a/acme/lists/{saved.id}"
    for quantity, message in (("two", "is not a quantity"), ("0", "delete the list instead")):
        data = {"name": "Renamed", "lines-0-sku": "NW-LT14", "lines-0-quantity": quantity}
        refused = buyer.post(url, data=data)
        assert refused.status_code == 422
        assert message in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OrderList, saved.id).name == "Monthly"
    assert 'data-sku="NW-LT14" data-qty="2"' in buyer.get(url).get_data(as_text=True)


def test_a_list_name_already_used_is_refused_with_a_message(buyer, shop):
    factories.OrderListFactory(account=shop.account, name="Monthly")
    fill_cart(shop.buyer, [("NW-LT14", 2)])
    response = buyer.post("/a/acme/lists", data={"name": "monthly"})
    assert response.status_code == 200
    assert "Your account already has a list called “monthly”" in response.get_data(as_text=True)
    assert db.session.query(OrderList).count() == 1


def test_another_accounts_list_is_404_and_stays(buyer, shop, globex):
    other = globex["list"]
    for action in ("add", "remove"):
        assert buyer.post(f"/a/acme/lists/{other.id}/{action}").status_code == 404
        assert buyer.post(f"/a/globex/lists/{other.id}/{action}").status_code == 404
    assert db.session.get(OrderList, other.id) is not None
    assert b"Globex monthly" not in buyer.get(CART).data


def test_another_accounts_buyer_reaches_nothing_of_acme(web, shop, globex):
    order = place(shop, [("NW-MN27", 1)])
    services.add_rows(shop.buyer, shop.account, quick_order.parse_pasted("NW-LT14 2"))
    acme_list = factories.OrderListFactory(account=shop.account, name="Acme list")
    outsider = signed_in(web, "buyer@globex.example")
    assert outsider.get(CART).status_code == 404
    for url in [
        "/a/acme/cart/add",
        "/a/acme/cart/update",
        "/a/acme/cart/quick-order",
        "/a/acme/cart/upload",
        "/a/acme/lists",
        f"/a/acme/lists/{acme_list.id}/add",
        f"/a/acme/lists/{acme_list.id}/remove",
        f"/a/globex/lists/{acme_list.id}/add",
        f"/a/globex/lists/{acme_list.id}/remove",
        f"/a/acme/orders/{order.number}/reorder",
        f"/a/globex/orders/{order.number}/reorder",
    ]:
        response = outsider.post(
            url, data={"sku": "NW-LT14", "quantity": "1", "lines": "NW-LT14 1", "name": "x"}
        )
        assert response.status_code == 404, url
    assert db.session.get(OrderList, acme_list.id) is not None
    assert cart_of(globex["buyer"]) == {}
    assert cart_of(shop.buyer) == {"NW-LT14": 2}


def test_each_user_sees_only_their_own_cart(web, buyer, shop):
    fill_cart(shop.buyer, [("NW-LT14", 2)])
    approver = signed_in(web, "approver@acme.example")
    assert lines_on(approver.get(CART)) == {}
    assert list(lines_on(buyer.get(CART))) == ["NW-LT14"]


# Reorder


def test_reorder_adds_what_can_still_be_ordered_and_reports_the_rest(buyer, shop):
    order = place(shop, [("NW-LT14", 2), ("NW-MN27", 1)])
    product("NW-MN27").is_active = False
    db.session.commit()
    response = buyer.post(f"/a/acme/orders/{order.number}/reorder")
    assert response.status_code == 303 and response.headers["Location"] == CART
    text = buyer.get(CART).get_data(as_text=True)
    assert "NW-MN27 was not added: This product is no longer sold." in text
    assert "Added 1 product to your cart (2 units)." in text
    assert cart_of(shop.buyer) == {"NW-LT14": 2}


# Statements


def test_the_cart_page_costs_the_same_statements_for_10_and_100_lines(web, shop):
    import sqlalchemy as sa

    from portal.catalog.models import ListPrice, Product
    from portal.core.db import utcnow
    from tests.support.web import count_queries

    category = factories.CategoryFactory(name="Bulk")
    now = utcnow()
    db.session.execute(
        sa.insert(Product),
        [
            {
                "sku": f"BULK-{n:03d}",
                "name": f"Bulk {n}",
                "description": "",
                "category_id": category.id,
                "unit": "each",
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(100)
        ],
    )
    ids = db.session.scalars(
        sa.select(Product.id).where(Product.sku.like("BULK-%")).order_by(Product.sku)
    ).all()
    db.session.execute(
        sa.insert(ListPrice),
        [
            {
                "product_id": i,
                "currency": "CNY",
                "amount": Decimal("10.00"),
                "created_at": now,
                "updated_at": now,
            }
            for i in ids
        ],
    )
    db.session.commit()
    small = factories.UserFactory(account=shop.account, email="small@acme.example")
    large = factories.UserFactory(account=shop.account, email="large@acme.example")
    fill_cart(small, [(f"BULK-{n:03d}", 1) for n in range(10)])
    fill_cart(large, [(f"BULK-{n:03d}", 1) for n in range(100)])
    for n in range(3):
        factories.OrderListFactory(account=shop.account, name=f"List {n}", created_by=small)

    counts = []
    for email, expected in [("small@acme.example", 10), ("large@acme.example", 100)]:
        client = signed_in(web, email)
        client.get(CART)  # warm up
        with count_queries() as statements:
            page = client.get(CART)
        assert len(lines_on(page)) == expected
        counts.append(len(statements))
        # The VAT of every line: the rates in force, read once (tax.services.rates_on).
        assert sum("tax_rates" in statement for statement in statements) == 1
        assert 'class="vat-rate"' in page.get_data(as_text=True)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 10, counts


# Quantities as typed with a Chinese input method on or from a spreadsheet (core.numbers)


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
