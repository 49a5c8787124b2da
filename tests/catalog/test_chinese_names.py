"""Products may have a Chinese name and description: a viewer whose language is Chinese sees
them where they exist (catalog.names), on the catalog, the product page, the cart, the order
and in the e-mail; everyone else sees the English ones. Staff enter them on the product form
or in the CSV import, and search finds them."""

import io

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.accounts.models import Address, KeyAccount, User
from portal.catalog.models import Product
from portal.catalog.names import product_description, product_name, unit_name
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.ordering import placement
from portal.ordering.models import Order
from tests.support.catalog import products_on
from tests.support.catalogue import use_chinese_catalogue
from tests.support.web import signed_in

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture
def demo(web, monkeypatch):
    """The demo, and the portal offering Chinese (the browser's language picks it)."""
    monkeypatch.setitem(web.config, "LANGUAGES", ["en", "zh_Hans"])
    seed_demo(history=False)


def wang(web):
    return signed_in(web, "wangfang@qingdao.example", DEMO_PASSWORD)


def test_the_shown_name_is_the_chinese_one_for_a_chinese_viewer_where_it_exists(app):
    named = Product(name="USB-C dock", name_zh="USB-C 扩展坞", description="A dock.")
    unnamed = Product(name="Travel adapter", name_zh="", description="", description_zh="")
    with force_locale("zh_Hans"):
        assert product_name(named) == "USB-C 扩展坞"
        assert product_name(unnamed) == "Travel adapter"  # no Chinese name: the English one
        assert product_description(named) == "A dock."
    with force_locale("en"):
        assert product_name(named) == "USB-C dock"


def test_a_chinese_buyer_sees_chinese_names_on_the_catalog_and_product_page(web, demo):
    client = wang(web)
    catalog = client.get("/a/qingdao/catalog", headers=CHINESE).get_data(as_text=True)
    assert "27 英寸 4K 显示器" in catalog and "27-inch 4K monitor" not in catalog
    assert "Tower 7 台式机" in catalog
    product = client.get("/a/qingdao/products/NW-MN27", headers=CHINESE).get_data(as_text=True)
    assert "<title>27 英寸 4K 显示器" in product
    assert "27 英寸 4K 显示器，北风显示器系列。" in product


def test_the_unit_of_sale_is_named_in_the_viewers_language(web, demo, tmp_path, monkeypatch):
    """ "each" was left in English beside Chinese prices (¥4,800.00 / each)."""
    use_chinese_catalogue(monkeypatch, [web], tmp_path / "translations", {"each": "件"})
    client = wang(web)
    product = client.get("/a/qingdao/products/NW-DT7", headers=CHINESE).get_data(as_text=True)
    assert '<span class="price-unit">/ 件</span>' in product
    with force_locale("en"):
        assert unit_name("each") == "each" and unit_name("box of 10") == "box of 10"


def test_an_english_browser_sees_the_english_names(web, demo):
    client = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    catalog = client.get("/a/acme/catalog", headers=ENGLISH).get_data(as_text=True)
    assert "27-inch 4K monitor" in catalog and "27 英寸 4K 显示器" not in catalog


@pytest.mark.parametrize(
    ("q", "expected"), [("4K 显示", {"NW-MN27"}), ("扩展坞", {"NW-DOCK"}), ("dock", {"NW-DOCK"})]
)
def test_buyers_find_products_by_their_chinese_names(web, demo, q, expected):
    page = wang(web).get("/a/qingdao/catalog", query_string={"q": q}, headers=CHINESE)
    assert set(products_on(page.data)) == expected


def test_staff_find_products_by_their_chinese_names_and_see_both(web, demo):
    client = signed_in(web, "admin@northwind.example", DEMO_PASSWORD)
    page = client.get("/staff/catalog", query_string={"q": "笔记本电脑"})
    found = set(products_on(page.data))
    assert "NW-LT14" in found and len(found) == 9  # ProBook 14 and the eight others
    text = page.get_data(as_text=True)
    assert "ProBook 14 laptop" in text and "ProBook 14 笔记本电脑" in text


def test_the_cart_and_the_order_show_the_chinese_names_the_order_keeps(web, demo):
    client = wang(web)
    client.post("/a/qingdao/cart/add", data={"sku": "NW-DOCK", "quantity": "1"})
    cart = client.get("/a/qingdao/cart", headers=CHINESE).get_data(as_text=True)
    assert "USB-C 扩展坞" in cart
    order = db.session.scalar(sa.select(Order).where(Order.checkout_token == "demo-qingdao-1"))
    # The snapshot: a later change of the product's Chinese name leaves the order as it was.
    db.session.execute(
        sa.update(Product).where(Product.sku == "NW-MN27").values(name_zh="另一个名字")
    )
    db.session.commit()
    page = client.get(f"/a/qingdao/orders/{order.number}", headers=CHINESE)
    assert "27 英寸 4K 显示器" in page.get_data(as_text=True)
    # 王芳 reads Chinese by her own setting; with it on "automatic", her browser decides.
    db.session.execute(
        sa.update(User).where(User.email == "wangfang@qingdao.example").values(locale="")
    )
    db.session.commit()
    page = client.get(f"/a/qingdao/orders/{order.number}", headers=ENGLISH)
    assert "27-inch 4K monitor" in page.get_data(as_text=True)


def test_the_order_e_mail_names_the_products_in_the_language_it_is_written_in(app, demo):
    buyer = db.session.scalar(sa.select(User).where(User.email == "wangfang@qingdao.example"))
    account = db.session.get(KeyAccount, buyer.account_id)
    address_id = db.session.scalar(sa.select(Address.id).where(Address.account_id == account.id))
    with app.test_request_context(headers=CHINESE), force_locale("zh_Hans"):
        placement.place_order(
            buyer,
            account,
            placement.Checkout(ship_to_address_id=address_id),
            "t-zh-mail",
            items=[("NW-DOCK", 2)],
        )
    message = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.to_address == buyer.email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert "NW-DOCK USB-C 扩展坞" in message.text_body
    assert "USB-C 扩展坞" in message.html_body


def post_csv(client, text: str):
    upload = FileStorage(io.BytesIO(text.encode()), filename="p.csv", content_type="text/csv")
    boundary, body = encode_multipart({"file": upload})
    return client.post(
        "/staff/catalog/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def reload(sku: str) -> Product:
    db.session.expire_all()
    return db.session.scalar(sa.select(Product).where(Product.sku == sku))


def test_the_csv_import_takes_chinese_names_and_descriptions(web, demo):
    client = signed_in(web, "admin@northwind.example", DEMO_PASSWORD)
    response = post_csv(
        client,
        "sku,name,name_zh,description_zh,category,price_CNY\n"
        "NW-ADP1,Travel adapter,旅行转换插头,适用于多国插座。,Accessories,59.00\n"
        "NW-DOCK,USB-C dock,,,Accessories,\n",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    adapter = reload("NW-ADP1")
    assert (adapter.name_zh, adapter.description_zh) == ("旅行转换插头", "适用于多国插座。")
    assert reload("NW-DOCK").name_zh == "USB-C 扩展坞"  # a blank cell leaves it alone


def test_the_csv_import_refuses_a_chinese_name_that_is_too_long(web, demo):
    client = signed_in(web, "admin@northwind.example", DEMO_PASSWORD)
    response = post_csv(client, f"sku,name,name_zh,category\nNW-X1,X,{'长' * 201},Accessories\n")
    assert response.status_code == 200
    assert "name_zh" in response.get_data(as_text=True)
    assert reload("NW-X1") is None


def test_the_staff_form_saves_the_chinese_name_and_description(web, demo):
    client = signed_in(web, "admin@northwind.example", DEMO_PASSWORD)
    form = client.get("/staff/catalog/NW-DOCK").get_data(as_text=True)
    assert 'name="name_zh"' in form and 'value="USB-C 扩展坞"' in form
    dock = reload("NW-DOCK")
    response = client.post(
        "/staff/catalog/NW-DOCK",
        data={
            "name": dock.name,
            "description": dock.description,
            "name_zh": "  USB-C 扩展坞 Pro ",
            "description_zh": "支持双屏。",
            "category_id": str(dock.category_id),
            "unit": dock.unit,
            "is_active": "y",
            "price_CNY": "899.00",
            "price_USD": "125.00",
            "version": str(dock.version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    dock = reload("NW-DOCK")
    assert (dock.name_zh, dock.description_zh) == ("USB-C 扩展坞 Pro", "支持双屏。")


def test_a_chinese_buyer_reads_the_unit_of_sale_in_chinese(web, demo):
    catalog = wang(web).get("/a/qingdao/catalog", headers=CHINESE).get_data(as_text=True)
    assert '<span class="price-unit">/ 件</span>' in catalog
    assert '<span class="price-unit">/ each</span>' not in catalog
    english = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    page = english.get("/a/acme/catalog", headers=ENGLISH).get_data(as_text=True)
    assert '<span class="price-unit">/ each</span>' in page
