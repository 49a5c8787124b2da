"""The catalog import reads what Chinese Excel saves: GB18030 CSV and .xlsx workbooks, Chinese
column names and yes/no (是/否), and columns of its own, ignored and named."""

from decimal import Decimal

import sqlalchemy as sa

from portal.catalog import services
from portal.catalog.models import ListPrice, Product
from portal.extensions import db
from tests.support.tables import upload_file, xlsx
from tests.support.web import signed_in


def product_row(sku: str):
    db.session.expire_all()
    return db.session.execute(
        sa.select(Product.name, Product.unit, Product.is_active).where(Product.sku == sku)
    ).one()


def price_of(sku: str, currency: str = "CNY") -> Decimal:
    return db.session.scalar(
        sa.select(ListPrice.amount)
        .join(Product)
        .where(Product.sku == sku, ListPrice.currency == currency)
    )


def test_a_gb18030_file_with_chinese_headers_imports_and_names_the_columns_ignored(
    web, editor, catalog
):
    text = (
        "产品编号,名称,类别,单位,启用,目录价_CNY,备注\r\n"
        "ｎｗ－ａｄｐ１,旅行转换插头,Laptops,个,是,５９。００,新品\r\n"
        "NW-LT14,ProBook 14 笔记本电脑,Laptops,台,否,,\r\n"
    )
    client = signed_in(web, editor.email)
    response = upload_file(client, "/staff/catalog/import", text.encode("gb18030"), "产品.csv")
    assert response.status_code == 302
    assert product_row("NW-ADP1") == ("旅行转换插头", "个", True)
    assert product_row("NW-LT14") == ("ProBook 14 笔记本电脑", "台", False)
    assert price_of("NW-ADP1") == Decimal("59.00")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ignored columns: 备注" in page


def test_an_xlsx_workbook_imports_from_its_first_sheet(editor, catalog):
    data = xlsx(
        ("sku", "name", "category", "price_CNY", "price_USD"),
        ("NW-ADP1", "Travel adapter", "Laptops", 59, 8.5),
    )
    result = services.import_products(editor, data)
    assert (result.created, result.ignored) == (1, [])
    assert (price_of("NW-ADP1"), price_of("NW-ADP1", "USD")) == (Decimal("59"), Decimal("8.5"))
