"""The quick order as a Chinese buyer uses it: lines typed with an input method on, and files
saved by Chinese Excel (GB18030 CSV, .xlsx) with Chinese headers and columns of their own."""

import pytest

from portal.cart import quick_order
from tests.support.cart import cart_of
from tests.support.tables import damaged, upload_file, xlsx
from tests.support.web import signed_in

CART = "/a/acme/cart"


@pytest.fixture
def buyer(web, shop):
    return signed_in(web, "buyer@acme.example")


@pytest.mark.parametrize(
    "line",
    [
        "ＮＷ－ＬＴ１４　２",
        "NW-LT14，2",
        "NW-LT14、2",
        "NW-LT14：2",
        "NW-LT14；2",
        "NW-LT14\u30002",
        "NW\uff0dLT14 2",  # full-width hyphen-minus
        "NW\u2014LT14 2",  # em dash
        "NW——LT14 ２",  # Shift and "-" in a Chinese input method
        "NW\u2212LT14 2",  # minus sign
        "ｎｗ－ｌｔ１４，　２。",
    ],
)
def test_a_line_typed_with_an_input_method_orders_two_laptops(buyer, shop, line):
    response = buyer.post(f"{CART}/quick-order", data={"lines": line})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert cart_of(shop.buyer) == {"NW-LT14": 2}


def test_a_chinese_header_line_in_the_pad_is_skipped():
    rows = quick_order.parse_pasted("产品编号　数量\nNW-LT14，2\n")
    assert [(row.number, row.sku, row.quantity) for row in rows] == [(2, "NW-LT14", 2)]


def test_a_gb18030_csv_with_chinese_headers_and_an_extra_column_is_ordered_with_a_note(buyer, shop):
    text = "备注,产品编号,数量,Colour\r\n王芳要的,NW-LT14,２,黑色\r\n,NW-MN27,1,\r\n"
    response = upload_file(buyer, f"{CART}/upload", text.encode("gb18030"), "订单.csv")
    assert response.status_code == 302
    assert cart_of(shop.buyer) == {"NW-LT14": 2, "NW-MN27": 1}
    page = buyer.get(CART).get_data(as_text=True)
    assert "Ignored columns: 备注 and Colour" in page


def test_a_utf8_csv_with_a_byte_order_mark_and_chinese_headers_is_ordered(buyer, shop):
    text = "\ufeff数量;产品编号 (SKU)\r\n2;NW-LT14\r\n"
    assert upload_file(buyer, f"{CART}/upload", text.encode(), "order.csv").status_code == 302
    assert cart_of(shop.buyer) == {"NW-LT14": 2}


def test_an_xlsx_workbook_is_ordered_from_its_first_sheet(buyer, shop):
    data = xlsx(("SKU", "Qty", "Note"), ("NW-LT14", 2, "urgent"), ("NW-MN27", 1.0, None))
    assert upload_file(buyer, f"{CART}/upload", data, "order.xlsx").status_code == 302
    assert cart_of(shop.buyer) == {"NW-LT14": 2, "NW-MN27": 1}


def test_a_headerless_workbook_reads_as_sku_and_quantity(buyer, shop):
    data = xlsx(("NW-LT14", 2), ("NW-MN27", 1))
    assert upload_file(buyer, f"{CART}/upload", data, "order.xlsx").status_code == 302
    assert cart_of(shop.buyer) == {"NW-LT14": 2, "NW-MN27": 1}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (damaged(xlsx(("NW-LT14", 2))), "cannot be read as an Excel workbook"),
        (b"sku,quantity\nNW-LT14,\x80\n", "neither UTF-8 nor GB18030"),
    ],
    ids=["a damaged workbook", "no encoding read"],
)
def test_a_file_that_cannot_be_read_changes_nothing(buyer, shop, data, message):
    response = upload_file(buyer, f"{CART}/upload", data, "order.xlsx")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert cart_of(shop.buyer) == {}


def test_a_sku_typed_full_width_finds_and_adds_the_product(buyer, shop):
    page = buyer.get("/a/acme/catalog?q=ｎｗ－ｌｔ１４").get_data(as_text=True)
    assert 'data-sku="NW-LT14"' in page and 'data-sku="NW-MN27"' not in page
    assert buyer.get("/a/acme/products/ＮＷ－ＬＴ１４").status_code == 200
    response = buyer.post("/a/acme/cart/add", data={"sku": "ＮＷ—ＬＴ１４", "quantity": "２"})
    assert response.status_code == 302
    assert cart_of(shop.buyer) == {"NW-LT14": 2}
