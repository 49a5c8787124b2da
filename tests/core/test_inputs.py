"""Hostile input at the edge (SECURITY.md 44-46): control characters refused before any query,
ids beyond their column's range answer 404, the error page rolls back, and a failed
statement's parameters stay out of the logs. The fuzz of every route is tests/test_hostile_input.py.
"""

import io
import logging

import pytest
import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from portal import create_app
from portal.cart.models import CartLine
from portal.core.csvfiles import CsvError, read_rows
from portal.extensions import db
from portal.ordering.models import Order
from tests import factories
from tests.support.web import login, make_config, reload

REFUSED = b"control character"


@pytest.fixture
def buyer(client, shop):
    assert login(client, shop.buyer.email).status_code == 302
    return client


@pytest.fixture
def call_centre(client):
    user = factories.UserFactory(account=None, role="call_center", email="callcenter@test.example")
    assert login(client, user.email).status_code == 302
    return client


def _cart_lines():
    return db.session.scalar(sa.select(sa.func.count()).select_from(CartLine))


# SECURITY.md 44: a NUL byte or another control character is refused, nothing is stored


@pytest.mark.parametrize("email", ["buyer@acme.example\x00", "buyer\x01@acme.example"])
def test_a_control_character_in_the_sign_in_email_is_refused_before_sign_in(client, shop, email):
    response = login(client, email)
    assert response.status_code == 400
    assert REFUSED in response.data


@pytest.mark.parametrize(
    "url",
    [
        "/a/acme/catalog?q=lap%00top",
        "/a/acme/catalog?q=laptop&category=1%00",
        "/a/acme/orders?status=submitted%00",
        "/a/acme%00/catalog",
    ],
)
def test_a_control_character_in_a_buyer_query_is_refused(buyer, url):
    response = buyer.get(url)
    assert response.status_code == 400
    assert REFUSED in response.data


def test_a_control_character_in_a_lookup_is_refused(call_centre):
    response = call_centre.get("/staff/lookup", query_string={"q": "acme\x00"})
    assert response.status_code == 400
    assert REFUSED in response.data


def test_a_control_character_in_a_quick_order_adds_nothing(buyer):
    response = buyer.post("/a/acme/cart/quick-order", data={"lines": "NW-LT14\x00 2"})
    assert response.status_code == 400
    assert _cart_lines() == 0


@pytest.mark.parametrize("field", ["po_number", "note"])
def test_a_control_character_in_the_po_or_note_places_no_order(buyer, shop, field):
    assert buyer.post("/a/acme/cart/quick-order", data={"lines": "NW-LT14 1"}).status_code == 302
    form = {"ship_to": str(shop.address.id), "checkout_token": "a" * 32, "po_number": "PO-1"}
    response = buyer.post("/a/acme/checkout", data={**form, field: "PO\x0012"})
    assert response.status_code == 400
    assert REFUSED in response.data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_tabs_and_line_breaks_are_text_not_control_characters(buyer):
    response = buyer.post("/a/acme/cart/quick-order", data={"lines": "NW-LT14\t2\r\nNW-MN27 1\n"})
    assert response.status_code == 302
    assert _cart_lines() == 2


def test_a_control_character_in_a_header_is_refused(client):
    response = client.get("/login", headers={"X-Client-Note": "a\x00b"})
    assert response.status_code == 400


def test_a_control_character_in_a_json_body_is_refused(client):
    response = client.post("/login", json={"email": "buyer@acme.example\x00"})
    assert response.status_code == 400


def test_a_csv_cell_with_a_control_character_is_refused_with_its_line():
    with pytest.raises(CsvError) as refused:
        list(read_rows(b"sku,quantity\r\nNW-LT14,1\r\nNW-MN27\x00,2\r\n"))
    assert refused.value.line == 3
    assert "control character" in refused.value.message


def test_an_uploaded_csv_with_a_nul_byte_adds_nothing_and_says_why(buyer):
    data = {"file": (io.BytesIO(b"NW-LT14,1\r\nNW-MN27\x00,2\r\n"), "order.csv")}
    response = buyer.post("/a/acme/cart/upload", data=data, content_type="multipart/form-data")
    assert response.status_code in (200, 422)
    assert b"Line 2 contains a control character" in response.data
    assert _cart_lines() == 0


# SECURITY.md 45: ids and numbers beyond their column's range


HUGE = "99999999999999999999"


@pytest.fixture
def director(client, shop):
    user = factories.UserFactory(account=None, role="sales_director", email="dir@test.example")
    assert login(client, user.email).status_code == 302
    return client


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", f"/a/acme/invoices/{HUGE}/pay"),
        ("POST", f"/a/acme/invoices/{HUGE}/pay"),
        ("GET", f"/a/acme/invoices/{HUGE}/card-payment"),
        ("POST", f"/a/acme/lists/{HUGE}/add"),
    ],
)
def test_an_id_beyond_its_column_answers_404(buyer, method, url):
    assert buyer.open(url, method=method).status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", f"/staff/contracts/{HUGE}"),
        ("GET", f"/staff/contracts/1/rules/{HUGE}"),
        ("GET", f"/staff/hotline/{HUGE}"),
        ("GET", f"/staff/accounts/acme/users/{HUGE}"),
        ("POST", f"/staff/approvals/{HUGE}"),
        ("POST", f"/staff/outbox/{HUGE}/retry"),
    ],
)
def test_an_id_beyond_its_column_answers_404_on_staff_pages(director, method, url):
    assert director.open(url, method=method).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/a/acme/catalog?category={HUGE}",
        f"/a/acme/catalog?page={HUGE}",
        f"/a/acme/orders?page={HUGE}",
        f"/a/acme/invoices?page={HUGE}",
    ],
)
def test_a_number_beyond_its_column_in_a_query_is_read_as_none(buyer, url):
    assert buyer.get(url).status_code == 200


# SECURITY.md 46: the error page rolls back; a failed statement's parameters stay out of logs


@pytest.fixture
def failing_app(app):
    """The portal with two routes that fail after a write, and after a statement with a
    secret parameter."""
    failing = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"]))

    @failing.get("/fail-after-write")
    def fail_after_write():
        current_user.account.name = "Changed by a failed request"
        db.session.flush()
        raise RuntimeError("the request fails after writing")

    @failing.get("/fail-in-statement/<secret>")
    def fail_in_statement(secret):
        db.session.execute(
            sa.text("SELECT * FROM no_such_table WHERE x = :secret"), {"secret": secret}
        )
        abort(200)

    for view in (fail_after_write, fail_in_statement):
        view.is_public = True
    return failing


def test_the_error_page_rolls_back_what_the_failed_request_wrote(failing_app, shop):
    client = failing_app.test_client()
    assert login(client, shop.buyer.email).status_code == 302

    response = client.get("/fail-after-write")

    assert response.status_code == 500
    assert b"Request id" in response.data
    assert b"/a/acme/catalog" in response.data  # the page still shows the buyer's navigation
    assert reload(shop.account).name == "Acme Hospital Group"
    assert client.get("/a/acme/").status_code == 200


def test_a_failed_statement_logs_no_parameter(failing_app, caplog):
    secret = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
    with caplog.at_level(logging.ERROR):
        response = failing_app.test_client().get(f"/fail-in-statement/{secret}")
    assert response.status_code == 500
    assert "no_such_table" in caplog.text  # the statement is logged
    assert secret not in caplog.text and "c2FsdHNhbHQ" not in caplog.text
    assert secret.encode() not in response.data
