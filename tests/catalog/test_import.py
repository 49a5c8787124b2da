"""CSV import of products and list prices: creates or updates by SKU; any bad row is reported
with its line number and nothing at all is applied."""

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.catalog import services
from portal.catalog.models import ListPrice, Product
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests import factories
from tests.support.catalog import list_prices
from tests.support.web import signed_in

HEADER = "sku,name,category,unit,active,price_CNY,price_USD\n"
GOOD_ROWS = (
    "NW-LT14,ProBook 14 laptop G2,Laptops,each,yes,8799.00,\n"
    "nw-adp1,Travel adapter,accessories,each,,59.00,8.00\n"
)


def snapshot():
    db.session.expire_all()
    products = db.session.execute(
        sa.select(
            Product.sku, Product.name, Product.category_id, Product.unit, Product.is_active
        ).order_by(Product.sku)
    ).all()
    prices = db.session.execute(
        sa.select(ListPrice.product_id, ListPrice.currency, ListPrice.amount).order_by(
            ListPrice.product_id, ListPrice.currency
        )
    ).all()
    return products, prices


def post_csv(client, text: str | bytes, filename="products.csv"):
    data = text.encode() if isinstance(text, str) else text
    upload = FileStorage(io.BytesIO(data), filename=filename, content_type="text/csv")
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart({"file": upload})
    return client.post(
        "/staff/catalog/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.fixture
def accessories(catalog):
    return factories.CategoryFactory(name="Accessories", position=3)


def prices_of(sku: str) -> dict[str, Decimal]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(ListPrice.currency, ListPrice.amount)
        .join(Product, Product.id == ListPrice.product_id)
        .where(Product.sku == sku)
    )
    return dict(rows.all())


def test_a_good_file_creates_and_updates_products_and_their_prices(web, editor, accessories):
    client = signed_in(web, editor.email)
    response = post_csv(client, HEADER + GOOD_ROWS)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported: 1 product created, 1 updated, 0 unchanged." in page

    db.session.expire_all()
    laptop = db.session.scalar(sa.select(Product).where(Product.sku == "NW-LT14"))
    adapter = db.session.scalar(sa.select(Product).where(Product.sku == "NW-ADP1"))
    assert laptop.name == "ProBook 14 laptop G2"
    assert prices_of("NW-LT14") == {"CNY": Decimal("8799.00"), "USD": Decimal("1249.00")}
    assert adapter.name == "Travel adapter"
    assert adapter.category_id == accessories.id  # categories match whatever their case
    assert adapter.is_active is True
    assert prices_of("NW-ADP1") == {"CNY": Decimal("59.00"), "USD": Decimal("8.00")}

    events = {
        e.action + " " + e.target: e
        for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.actor_id == editor.id))
    }
    update = events["product.update product:NW-LT14"]
    assert update.changes == {
        "name": ["ProBook 14 laptop", "ProBook 14 laptop G2"],
        "price_CNY": ["8999.00", "8799.00"],
    }
    assert update.reason == "CSV import"
    assert "product.create product:NW-ADP1" in events
    assert events["catalog.import catalog"].changes == {
        "created": [None, "1"],
        "updated": [None, "1"],
    }


def test_importing_the_same_file_twice_changes_nothing_the_second_time(editor, accessories):
    services.import_products(editor, (HEADER + GOOD_ROWS).encode())
    before = snapshot()
    result = services.import_products(editor, (HEADER + GOOD_ROWS).encode())
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert snapshot() == before


def test_inactive_and_semicolon_separated_files_are_understood(editor, catalog):
    text = "sku;name;category;active;price_EUR\nNW-MN27;27-inch 4K monitor;Monitors;no;300.00\n"
    services.import_products(editor, text.encode())
    db.session.expire_all()
    monitor = db.session.scalar(sa.select(Product).where(Product.sku == "NW-MN27"))
    assert monitor.is_active is False
    assert prices_of("NW-MN27")["EUR"] == Decimal("300.00")


BAD_ROWS = [
    pytest.param(
        "NW-ZZ1,Gadget,Toys,each,yes,10.00,\n", 3, "Unknown category Toys.", id="unknown-category"
    ),
    pytest.param("NW-ZZ1,,Laptops,each,yes,10.00,\n", 3, "The name is blank.", id="blank-name"),
    pytest.param(",Gadget,Laptops,each,yes,10.00,\n", 3, "The SKU is blank.", id="blank-sku"),
    pytest.param(
        "NW-ZZ1,Gadget,Laptops,each,yes,-10.00,\n",
        3,
        "price_CNY: A list price must be more than zero.",
        id="negative",
    ),
    pytest.param(
        "NW-ZZ1,Gadget,Laptops,each,yes,0,\n",
        3,
        "price_CNY: A list price must be more than zero.",
        id="zero",
    ),
    pytest.param(
        "NW-ZZ1,Gadget,Laptops,each,yes,10.005,\n",
        3,
        "price_CNY: CNY amounts have at most 2 decimals.",
        id="too-many-decimals",
    ),
    pytest.param(
        "NW-ZZ1,Gadget,Laptops,each,yes,ten,\n",
        3,
        "price_CNY: “ten” is not an amount: type it as 1150.50 or 1,150.50.",
        id="not-a-number",
    ),
    pytest.param(
        "NW-ZZ1,Gadget,Laptops,each,yes,100000000.01,\n",
        3,
        "price_CNY: 100000000.01 is more than any list price can be.",
        id="absurd",
    ),
    pytest.param(
        "NW-ZZ1,Gadget,Laptops,each,yes,NaN,\n", 3, "price_CNY: “NaN” is not an amount", id="nan"
    ),
    pytest.param(
        "NW-ADP1,Travel adapter again,Laptops,each,yes,10.00,\n",
        3,
        "The SKU NW-ADP1 is already on line 2.",
        id="duplicate-sku",
    ),
    pytest.param(
        "NW-ZZ1,Gadget,Laptops,each,perhaps,10.00,\n",
        3,
        "Active must be yes or no, not perhaps.",
        id="bad-active",
    ),
    pytest.param(
        "NW-ZZ1,Gadget,Laptops,each,yes,10.00,,extra\n",
        3,
        "This row has 8 fields; the header has 7.",
        id="extra-field",
    ),
    pytest.param(
        "NW ZZ1,Gadget,Laptops,each,yes,10.00,\n",
        3,
        "Use up to 40 letters, digits, dots, hyphens and underscores.",
        id="bad-sku",
    ),
]


@pytest.mark.parametrize(("bad_row", "line", "message"), BAD_ROWS)
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_applied(
    web, editor, accessories, bad_row, line, message
):
    text = HEADER + "NW-ADP1,Travel adapter,Accessories,each,yes,59.00,\n" + bad_row
    text += "NW-LT14,Renamed laptop,Laptops,each,yes,1.00,\n"
    before = snapshot()
    response = post_csv(signed_in(web, editor.email), text)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was imported" in page
    assert f'<tr data-line="{line}"><td>{line}</td>' in page
    assert message in page
    assert snapshot() == before


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("sku,name,category,price_XYZ", "Unknown currency column price_XYZ"),
        ("sku,name,price_CNY", "The column category is missing."),
        ("sku,name,category,name", "The column name appears twice."),
    ],
)
def test_a_bad_header_is_reported_on_line_1_and_nothing_is_applied(
    web, editor, catalog, header, message
):
    before = snapshot()
    text = header + "\nNW-ZZ1,Gadget,Laptops,10.00\n"
    page = post_csv(signed_in(web, editor.email), text).get_data(as_text=True)
    assert '<tr data-line="1"><td>1</td>' in page
    assert message in page
    assert snapshot() == before


def test_every_bad_row_of_a_file_is_listed(editor, catalog):
    text = (
        HEADER
        + "A1,,Laptops,,,,\nA2,Fine,Laptops,,,,\nA3,Gadget,Toys,,,x,\n\nA1,Again,Laptops,,,,\n"
    )
    with pytest.raises(services.ImportFailed) as failure:
        services.import_products(editor, text.encode())
    found = [(e.line, e.sku, e.message) for e in failure.value.errors]
    assert found == [
        (2, "A1", "The name is blank."),
        (4, "A3", "Unknown category Toys."),
        (4, "A3", "price_CNY: “x” is not an amount: type it as 1150.50 or 1,150.50."),
        (6, "A1", "The SKU A1 is already on line 2."),
    ]


def test_a_quoted_field_over_two_lines_keeps_the_line_numbers_right(editor, catalog):
    text = (
        "sku,name,category,description,price_CNY\n"
        'A1,Laptop,Laptops,"Two\nlines",10.00\n'
        "A2,Other,Laptops,,-1\n"
    )
    with pytest.raises(services.ImportFailed) as failure:
        services.import_products(editor, text.encode())
    assert [e.line for e in failure.value.errors] == [4]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (HEADER.encode(), "The file has a header but no products."),
        (
            (HEADER + "NW-ZZ1,Caf\xe9,Laptops,,,,\n").encode("latin-1"),
            "The file is neither UTF-8 nor GB18030 (GBK) text (line 2)",
        ),
    ],
)
def test_empty_headless_and_non_utf8_files_are_refused(editor, catalog, data, message):
    with pytest.raises(services.ImportFailed) as failure:
        services.import_products(editor, data)
    assert message in failure.value.errors[0].message


def test_a_utf8_file_with_a_byte_order_mark_is_read(editor, catalog):
    text = "\ufeff" + HEADER + "NW-ZZ1,Café stand,Laptops,,,10.00,\n"
    services.import_products(editor, text.encode())
    db.session.expire_all()
    assert db.session.scalar(sa.select(Product.name).where(Product.sku == "NW-ZZ1")) == "Café stand"


def test_a_file_above_the_size_limit_is_refused_with_413(web, editor, catalog):
    big = HEADER.encode() + b"x" * (17 * 1024 * 1024)
    response = post_csv(signed_in(web, editor.email), big)
    assert response.status_code == 413
    assert "The upload is too large." in response.get_data(as_text=True)


def test_the_import_page_asks_for_a_file(web, editor):
    client = signed_in(web, editor.email)
    page = client.get("/staff/catalog/import").get_data(as_text=True)
    assert "price_CNY" in page
    response = client.post("/staff/catalog/import", data={})
    assert "Choose a CSV or Excel file." in response.get_data(as_text=True)


def test_a_catalog_file_reads_its_prices_as_the_form_does(editor, catalog):
    text = HEADER + 'NW-LT14,ProBook 14 laptop,Laptops,each,yes,"8999,50",1e3\n'
    with pytest.raises(services.ImportFailed) as failure:
        services.import_products(editor, text.encode())
    assert [e.message for e in failure.value.errors] == [
        "price_CNY: “8999,50”: use a point for decimals and type 8999.50 (a comma only "
        "separates thousands, as in 1,150.50).",
        "price_USD: “1e3”: write the number out in digits, without an exponent.",
    ]
    assert list_prices("NW-LT14")["CNY"] == Decimal("8999.00")

    text = HEADER + 'ｎｗ－ｌｔ１４,ProBook 14 laptop,Laptops,each,yes,"8,999.50",１２４９．５\n'
    services.import_products(editor, text.encode())
    assert list_prices("NW-LT14") == {"CNY": Decimal("8999.50"), "USD": Decimal("1249.50")}
