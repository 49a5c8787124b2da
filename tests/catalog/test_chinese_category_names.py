"""Categories may have a Chinese name, picked by the same one place as a product's
(catalog.names.category_name): a Chinese viewer sees it in the catalog filter and list, on the
product page and wherever a category is named; everyone else sees the English name. The demo
names every category in Chinese, and the catalog CSV import takes either name."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.accounts.models import KeyAccount
from portal.catalog.models import Category, Product
from portal.catalog.names import category_name
from portal.contracts.imports import preview_import
from portal.contracts.pricing import explain, price_lines
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests import factories
from tests.support.contracts import cny_contract
from tests.support.web import signed_in

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture
def demo(web, monkeypatch):
    """The demo, and the portal offering Chinese (the browser's language picks it)."""
    monkeypatch.setitem(web.config, "LANGUAGES", ["en", "zh_Hans"])
    seed_demo(history=False)


def option(text: str, name: str) -> bool:
    """Whether the page's filter offers a category shown as `name`."""
    return re.search(rf"<option[^>]*>\s*{re.escape(name)}\s*</option>", text) is not None


def test_the_shown_name_is_the_chinese_one_for_a_chinese_viewer_where_it_exists(app):
    named, unnamed = Category(name="Monitors", name_zh="显示器"), Category(name="Cables")
    with force_locale("zh_Hans"):
        assert category_name(named) == "显示器"
        assert category_name(unnamed) == "Cables"
    with force_locale("en"):
        assert category_name(named) == "Monitors"


def test_a_chinese_buyer_sees_chinese_category_names_in_the_catalog(web, demo):
    client = signed_in(web, "wangfang@qingdao.example", DEMO_PASSWORD)
    catalog = client.get("/a/qingdao/catalog", headers=CHINESE).get_data(as_text=True)
    assert option(catalog, "显示器") and option(catalog, "笔记本电脑")
    assert not option(catalog, "Monitors")
    # Each product's card names its category.
    assert re.search(r'<div class="small text-muted">\s*笔记本电脑 ·', catalog)
    assert "Laptops" not in catalog


def test_a_chinese_buyer_sees_the_chinese_category_on_the_product_page(web, demo):
    client = signed_in(web, "wangfang@qingdao.example", DEMO_PASSWORD)
    page = client.get("/a/qingdao/products/NW-MN27", headers=CHINESE).get_data(as_text=True)
    assert re.search(r'category=\d+">显示器</a>', page)  # the breadcrumb
    assert "Monitors" not in page


def test_an_english_browser_sees_the_english_category_names(web, demo):
    client = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    catalog = client.get("/a/acme/catalog", headers=ENGLISH).get_data(as_text=True)
    assert option(catalog, "Monitors") and not option(catalog, "显示器")
    page = client.get("/a/acme/products/NW-MN27", headers=ENGLISH).get_data(as_text=True)
    assert re.search(r'category=\d+">Monitors</a>', page)
    assert "显示器" not in page.replace("27 英寸 4K 显示器", "")


def test_chinese_staff_see_chinese_category_names_in_the_staff_catalog(web, demo):
    client = signed_in(web, "chen@northwind.example", DEMO_PASSWORD)
    page = client.get("/staff/catalog", headers=CHINESE).get_data(as_text=True)
    assert option(page, "显示器") and not option(page, "Monitors")
    admin = signed_in(web, "admin@northwind.example", DEMO_PASSWORD)
    page = admin.get("/staff/catalog", headers=ENGLISH).get_data(as_text=True)
    assert option(page, "Monitors") and not option(page, "显示器")
    # The product form offers the categories by their shown names, the product's chosen.
    form = admin.get("/staff/catalog/NW-MN27", headers=CHINESE).get_data(as_text=True)
    assert re.search(r"<option selected[^>]*>显示器</option>", form)


def test_a_category_price_rule_is_explained_with_the_shown_category_name(app):
    # Qingdao's contract takes 10% off every monitor (portal.demo.data): the explanation of a
    # price names the category as the reader reads it.
    seed_demo(history=False)
    account_id = db.session.scalar(sa.select(KeyAccount.id).where(KeyAccount.slug == "qingdao"))
    pricing = price_lines(account_id, [("NW-MNX1", 1)], date.today())
    with force_locale("zh_Hans"):
        assert "显示器" in explain(pricing.lines[0], pricing.terms)
    with force_locale("en"):
        assert "Monitors" in explain(pricing.lines[0], pricing.terms)


def test_the_csv_import_takes_a_category_by_its_chinese_name(web, demo):
    client = signed_in(web, "admin@northwind.example", DEMO_PASSWORD)
    form = client.get("/staff/catalog/import", headers=CHINESE).get_data(as_text=True)
    assert "配件" in form
    upload = FileStorage(
        io.BytesIO("sku,name,category,price_CNY\nNW-ADP1,Travel adapter,配件,59.00\n".encode()),
        filename="p.csv",
        content_type="text/csv",
    )
    boundary, body = encode_multipart({"file": upload})
    response = client.post(
        "/staff/catalog/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    adapter = db.session.scalar(sa.select(Product).where(Product.sku == "NW-ADP1"))
    accessories = db.session.scalar(sa.select(Category).where(Category.name == "Accessories"))
    assert adapter.category_id == accessories.id


def test_every_demo_category_has_a_chinese_name_and_an_old_demo_gets_them_once(app):
    seed_demo(history=False)
    names = dict(db.session.execute(sa.select(Category.name, Category.name_zh)).all())
    assert names["Monitors"] == "显示器" and names["Laptops"] == "笔记本电脑"
    assert all(names.values()) and len(set(names.values())) == len(names)
    db.session.execute(sa.update(Category).values(name_zh=""))
    db.session.execute(
        sa.update(Category).where(Category.name == "Servers").values(name_zh="服务器（自定）")
    )
    db.session.commit()
    assert seed_demo(history=False) == len(names) - 1  # only the blank ones are filled
    assert seed_demo(history=False) == 0
    db.session.expire_all()
    names = dict(db.session.execute(sa.select(Category.name, Category.name_zh)).all())
    assert names["Desktops"] == "台式机" and names["Servers"] == "服务器（自定）"


def test_a_price_list_names_a_category_in_english_or_in_chinese(app):
    contract = cny_contract()
    monitors = factories.CategoryFactory(name="Monitors", name_zh="显示器")
    factories.CategoryFactory(name="Cables")
    admin = factories.StaffFactory(role="account_admin", discount_authority_percent=Decimal(10))
    data = (
        "target,kind,value,currency,min_quantity,valid_from,valid_to\n"
        "category:显示器,percent_off,5,,1,,\n"
        "category:Cables,percent_off,5,,10,,\n"
        "category:线缆,percent_off,5,,1,,\n"
    ).encode()
    preview = preview_import(admin, contract, data)
    assert preview.rows[0].category_id == monitors.id and not preview.rows[0].errors
    assert preview.rows[1].category_id is not None and not preview.rows[1].errors
    assert "There is no category 线缆." in preview.rows[2].errors
