"""Price lists as Chinese staff save them: GB18030 CSV from Chinese Excel and .xlsx workbooks,
with Chinese column names and columns of their own (ignored, and named); and prices and SKUs
typed with an input method on in the price-rule form."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.contracts import pricing
from portal.contracts.imports import apply_import, preview_import
from portal.contracts.models import PriceRule
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests import factories
from tests.support.contracts import acme_contract, acme_price, cny_contract, rule_form
from tests.support.tables import damaged, upload_file, xlsx, zip_bomb
from tests.support.web import login


@pytest.fixture
def contract():
    contract = cny_contract()
    laptops = factories.CategoryFactory(name="Laptops")
    for sku, amount in (("LT14", "8999.00"), ("LT16", "10999.00")):
        product = factories.ProductFactory(sku=sku, category=laptops)
        factories.ListPriceFactory(product=product, currency="CNY", amount=Decimal(amount))
    return contract


@pytest.fixture
def admin():
    return factories.StaffFactory(role="account_admin", discount_authority_percent=Decimal(10))


def unit_price(contract, sku) -> Decimal:
    on = contract.account.local_date()
    return pricing.price_lines(contract.account_id, [(sku, 1)], on).lines[0].unit_price.amount


def test_a_gb18030_price_list_with_chinese_headers_and_an_extra_column_applies(contract, admin):
    text = (
        "产品编号,类型,价格,币种,起订量,生效日期,失效日期,备注\r\n"
        "LT14,fixed,８，５００。００,CNY,1,,,王芳确认\r\n"
        "ｌｔ１６,percent_off,5,,１,,,\r\n"
    )
    data = text.encode("gb18030")

    preview = preview_import(admin, contract, data)

    assert preview.errors == [] and preview.is_valid, [r.errors for r in preview.rows]
    assert preview.ignored == ["备注"]
    apply_import(admin, contract, data, "年度价格", preview.state)
    assert unit_price(contract, "LT14") == Decimal("8500.00")
    assert unit_price(contract, "LT16") == Decimal("10449.05")


def test_an_xlsx_price_list_applies_with_dates_and_numbers_as_excel_saved_them(contract, admin):
    on = contract.account.local_date()
    data = xlsx(
        ("target", "kind", "value", "currency", "min_quantity", "valid_from", "valid_to", "Note"),
        ("LT14", "fixed", 8500, "CNY", 1, None, None, "x"),
        ("LT16", "fixed", 10449.05, "CNY", 1.0, on - timedelta(days=1), on + timedelta(days=9)),
    )

    preview = preview_import(admin, contract, data)

    assert preview.is_valid, preview.errors + [r.errors for r in preview.rows]
    assert preview.ignored == ["Note"]
    assert [row.valid_to for row in preview.rows] == [None, on + timedelta(days=9)]
    apply_import(admin, contract, data, "From the spreadsheet", preview.state)
    assert unit_price(contract, "LT16") == Decimal("10449.05")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (damaged(xlsx(("target", "kind"), ("LT14", "fixed"))), "cannot be read as an Excel"),
        (zip_bomb(101 * 1024 * 1024), "too large to read"),
        ("产品编号,价格\nLT14,1\n".encode("gb18030"), "The first line must name the columns"),
        (
            "target,kind,value,currency,min_quantity,valid_from,valid_to,价格\n".encode(),
            "The column 价格 appears twice",
        ),
    ],
    ids=["a damaged workbook", "a zip bomb", "columns missing", "a column twice"],
)
def test_a_price_list_that_cannot_be_read_is_refused_whole(contract, admin, data, message):
    preview = preview_import(admin, contract, data)
    assert preview.rows == [] and len(preview.errors) == 1
    assert message in preview.errors[0]


def test_the_import_page_names_the_columns_it_ignored(app, contract, admin):
    client = app.test_client()
    login(client, admin.email)
    text = "产品编号,类型,价格,币种,起订量,生效日期,失效日期,Colour\nLT14,fixed,8500,CNY,1,,,red\n"
    url = f"/staff/contracts/{contract.id}/import"
    page = upload_file(client, url, text.encode("gb18030"), "价格.csv", check="1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-import-valid="yes"' in html
    assert "Ignored columns: Colour" in html


def test_a_price_rule_typed_with_an_input_method_is_saved(app):
    seed_demo(history=False)
    contract = acme_contract()
    client = app.test_client()
    login(client, "admin@northwind.example", DEMO_PASSWORD)
    form = rule_form(sku="ｎｗ－ｄｔ７", kind="fixed", value="５，４４９。００", min_quantity="１")
    response = client.post(f"/staff/contracts/{contract.id}/rules/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert acme_price("NW-DT7") == Decimal("5449.00")
    rule = db.session.scalar(sa.select(PriceRule).order_by(PriceRule.id.desc()))
    assert (rule.value, rule.min_quantity, rule.kind) == (Decimal("5449"), 1, "fixed")
