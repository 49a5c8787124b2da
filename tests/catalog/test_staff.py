"""The staff catalog: search that takes wildcards literally, product create and edit with
list prices and an image checked by its bytes, every change in the audit trail, lost
updates refused."""

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from PIL import Image

from portal.catalog.models import Product
from portal.core.audit import AuditEvent
from portal.demo import demo_logo
from portal.extensions import db
from tests.support.catalog import list_prices, product, products_on
from tests.support.web import signed_in


def reload_product(sku: str) -> Product:
    db.session.expire_all()
    return db.session.scalar(sa.select(Product).where(Product.sku == sku))


def audit_events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def product_form(p: Product | None = None, **changes) -> dict:
    data = {
        "name": p.name if p else "Travel adapter",
        "description": "",
        "category_id": str(p.category_id) if p else "",
        "unit": p.unit if p else "each",
        "is_active": "y",
        "price_CNY": "",
        "price_USD": "",
    }
    if p is None:
        data["sku"] = "nw-adp1"
    data.update(changes)
    return data


@pytest.fixture
def tricky(catalog):
    laptops = catalog["laptops"]
    return {
        "percent": product("NW-PCT", "100% recycled sleeve", laptops, "99.00"),
        "underscore": product("NW_UND", "Under_score cable", laptops, "19.00"),
        "quote": product("NW-OBR", "O'Brien's stand", laptops, "49.00"),
        "backslash": product("NW-BSL", "Back\\slash hub", laptops, "29.00"),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%", {"NW-PCT"}),
        ("100%", {"NW-PCT"}),
        ("_", {"NW_UND"}),
        ("'", {"NW-OBR"}),
        ("O'Brien", {"NW-OBR"}),
        ("\\", {"NW-BSL"}),
        ("%' OR '1'='1", set()),
        ("probook", {"NW-LT14"}),
        ("nw-mn", {"NW-MN27"}),
    ],
)
def test_staff_search_takes_wildcards_and_quotes_literally(web, viewer, tricky, q, expected):
    response = signed_in(web, viewer.email).get("/staff/catalog", query_string={"q": q})
    assert response.status_code == 200
    assert set(products_on(response.data)) == expected


def test_staff_filter_by_category_and_page_by_50(web, viewer, catalog):
    for n in range(60):
        product(f"NW-MNX{n:02d}", f"Monitor {n:02d}", catalog["monitors"], "100.00")
    client = signed_in(web, viewer.email)
    monitors = f"/staff/catalog?category={catalog['monitors'].id}"
    first = products_on(client.get(monitors).data)
    second = products_on(client.get(monitors + "&page=2").data)
    assert len(first) == 50
    assert len(second) == 11
    assert "NW-LT14" not in first | second


def test_staff_who_cannot_edit_see_the_list_without_edit_links(web, viewer, catalog):
    client = signed_in(web, viewer.email)
    page = client.get("/staff/catalog").get_data(as_text=True)
    assert "NW-LT14" in page
    assert "/staff/catalog/NW-LT14" not in page
    assert "New product" not in page
    assert client.get("/staff/catalog/NW-LT14").status_code == 403


def test_an_editor_creates_a_product_with_list_prices(web, editor, catalog):
    client = signed_in(web, editor.email)
    data = product_form(category_id=str(catalog["laptops"].id), price_CNY="59.00")
    response = client.post("/staff/catalog/new", data=data)
    assert response.status_code == 302
    created = reload_product("NW-ADP1")  # SKUs are stored upper-case
    assert created.name == "Travel adapter"
    assert list_prices("NW-ADP1") == {"CNY": Decimal("59.00")}
    [event] = audit_events("product.create")
    assert event.target == "product:NW-ADP1"
    assert event.actor_id == editor.id
    assert event.changes["price_CNY"] == [None, "59.00"]


def test_a_second_product_with_the_same_sku_is_refused(web, editor, catalog):
    client = signed_in(web, editor.email)
    data = product_form(sku="NW-LT14", category_id=str(catalog["laptops"].id))
    response = client.post("/staff/catalog/new", data=data)
    assert response.status_code == 200
    assert "Another product already has this SKU." in response.get_data(as_text=True)


def test_an_editor_changes_a_product_and_its_prices_with_old_and_new_in_the_audit(
    web, editor, catalog
):
    laptop = catalog["laptop"]
    client = signed_in(web, editor.email)
    form = client.get("/staff/catalog/NW-LT14").get_data(as_text=True)
    assert 'value="8999.00"' in form and 'value="1249.00"' in form
    data = product_form(
        laptop,
        name="ProBook 14 laptop (2025)",
        price_CNY="8799.00",
        price_USD="",  # blank removes the USD list price
        price_EUR="1150.00",
        version=laptop.updated_at.isoformat(),
    )
    response = client.post("/staff/catalog/NW-LT14", data=data)
    assert response.status_code == 302
    assert reload_product("NW-LT14").name == "ProBook 14 laptop (2025)"
    assert list_prices("NW-LT14") == {"CNY": Decimal("8799.00"), "EUR": Decimal("1150.00")}
    [event] = audit_events("product.update")
    assert event.actor_id == editor.id
    assert event.target == "product:NW-LT14"
    assert event.changes == {
        "name": ["ProBook 14 laptop", "ProBook 14 laptop (2025)"],
        "price_CNY": ["8999.00", "8799.00"],
        "price_USD": ["1249.00", None],
        "price_EUR": [None, "1150.00"],
    }


def test_saving_an_unchanged_product_records_nothing(web, editor, catalog):
    laptop = catalog["laptop"]
    client = signed_in(web, editor.email)
    data = product_form(laptop, price_CNY="8999.00", price_USD="1249.00")
    assert client.post("/staff/catalog/NW-LT14", data=data).status_code == 302
    assert audit_events("product.update") == []


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-5.00", "A list price must be more than zero."),
        ("0", "A list price must be more than zero."),
        ("10.001", "CNY amounts have at most 2 decimals."),
        ("100000000.01", "is more than any list price can be."),
        ("1e12", "without an exponent"),
        ("ten", "“ten” is not an amount"),
    ],
)
def test_a_bad_list_price_is_refused_on_its_field_and_changes_nothing(
    web, editor, catalog, price, message
):
    laptop = catalog["laptop"]
    client = signed_in(web, editor.email)
    data = product_form(laptop, name="Changed", price_CNY=price, price_USD="1249.00")
    response = client.post("/staff/catalog/NW-LT14", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert reload_product("NW-LT14").name == "ProBook 14 laptop"
    assert list_prices("NW-LT14")["CNY"] == Decimal("8999.00")


def test_a_save_based_on_an_older_version_is_refused_as_a_lost_update(web, editor, catalog):
    laptop = catalog["laptop"]
    client = signed_in(web, editor.email)
    opened = laptop.updated_at.isoformat()
    first = product_form(laptop, price_CNY="8899.00", price_USD="1249.00", version=opened)
    assert client.post("/staff/catalog/NW-LT14", data=first).status_code == 302
    second = product_form(laptop, price_CNY="7999.00", price_USD="1249.00", version=opened)
    response = client.post("/staff/catalog/NW-LT14", data=second)
    assert response.status_code == 200
    assert "Someone else changed this product" in response.get_data(as_text=True)
    assert list_prices("NW-LT14")["CNY"] == Decimal("8899.00")


def upload(client, sku, data, filename, product_):
    form = product_form(product_, price_CNY="8999.00", price_USD="1249.00")
    form["image"] = (io.BytesIO(data), filename, "image/png")
    return client.post(f"/staff/catalog/{sku}", data=form, content_type="multipart/form-data")


def test_a_product_image_is_checked_by_its_bytes_and_served_with_its_type(web, editor, catalog):
    client = signed_in(web, editor.email)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "#ff0000").save(buffer, format="JPEG")
    assert (
        upload(client, "NW-LT14", buffer.getvalue(), "photo.png", catalog["laptop"]).status_code
        == 302
    )
    served = web.test_client().get("/catalog/images/NW-LT14")
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    assert served.data == buffer.getvalue()
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    etag = served.headers["ETag"]
    cached = web.test_client().get("/catalog/images/NW-LT14", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    [event] = audit_events("product.update")
    assert event.changes["image"][0] is None


@pytest.mark.parametrize(
    "data",
    [
        b"Not an image at all.\n",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<html><script>alert(1)</script>",
    ],
)
def test_an_image_that_is_not_an_allowed_picture_is_refused(web, editor, catalog, data):
    client = signed_in(web, editor.email)
    response = upload(client, "NW-LT14", data, "photo.png", catalog["laptop"])
    assert response.status_code == 200
    assert "The image must be a PNG, JPEG, GIF or WebP image." in response.get_data(as_text=True)
    assert web.test_client().get("/catalog/images/NW-LT14").status_code == 404


def test_an_image_is_served_to_anyone_and_a_missing_one_is_404(web, editor, catalog):
    client = signed_in(web, editor.email)
    upload(client, "NW-LT14", demo_logo("PB", "#336699"), "pb.png", catalog["laptop"])
    anonymous = web.test_client()
    assert anonymous.get("/catalog/images/NW-LT14").mimetype == "image/png"
    assert anonymous.get("/catalog/images/NW-MN27").status_code == 404
    assert anonymous.get("/catalog/images/NO-SUCH").status_code == 404


# List prices as staff type them (core.numbers)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("8999,50", "“8999,50”: use a point for decimals and type 8999.50 "),
        ("8.999,50", "“8.999,50”: use a point for decimals and type 8999.50 "),
        ("9e3", "without an exponent"),
        ("999999999999999999999", "is too large"),
    ],
)
def test_a_list_price_with_a_decimal_comma_or_an_exponent_is_refused(
    web, editor, catalog, typed, message
):
    client = signed_in(web, editor.email)
    data = product_form(catalog["laptop"], price_CNY=typed, price_USD="1249.00")
    response = client.post("/staff/catalog/NW-LT14", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert list_prices("NW-LT14")["CNY"] == Decimal("8999.00")


def test_a_list_price_in_full_width_or_with_thousands_is_read(web, editor, catalog):
    client = signed_in(web, editor.email)
    data = product_form(catalog["laptop"], price_CNY="８，９９９．５０", price_USD="1,249.50")
    assert client.post("/staff/catalog/NW-LT14", data=data).status_code == 302
    assert list_prices("NW-LT14") == {"CNY": Decimal("8999.50"), "USD": Decimal("1249.50")}
