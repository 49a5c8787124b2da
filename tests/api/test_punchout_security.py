"""PunchOut's guards (SECURITY.md 49): a wrong shared secret or a replayed payloadID changes
nothing; XML entities are never expanded; the OrderRequest's lines are the contract's, and
nothing of another account's shows; the return URL's origin is allowed on that one page."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from portal.api import connections
from portal.api.models import PunchoutPayload, PunchoutSession
from portal.catalog.models import Product
from portal.extensions import db
from portal.ordering.models import Order
from tests import factories
from tests.support.cxml import (
    CXML,
    IDENTITY,
    order_request,
    parsed,
    setup_request,
    status_of,
    validated,
)


@pytest.fixture
def connection(shop):
    staff = factories.StaffFactory()
    values = connections.ConnectionValues("SAP Ariba", "NetworkId", IDENTITY, shop.buyer.id)
    return connections.create_connection(staff, shop.account, values)


def written() -> tuple[int, int, int]:
    """How many PunchOut sessions, payloads and orders there are."""
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (PunchoutSession, PunchoutPayload, Order)
    )


def refused(answer, code: int) -> str:
    """The answer is a valid cXML Response with this status, also as the HTTP status."""
    assert answer.status_code == code, answer.data
    status, text = status_of(validated(answer.data))
    assert status == code
    return text


@pytest.mark.parametrize("endpoint", ["setup", "order"])
def test_a_wrong_secret_or_an_unknown_identity_changes_nothing(client, connection, endpoint):
    made, secret = connection
    make = setup_request if endpoint == "setup" else order_request
    wrong = [
        make("wrong horse battery staple", "p-1"),
        make(secret[:-1], "p-2"),
        make("", "p-3"),
        make(secret, "p-4").replace(IDENTITY.encode(), b"AN09999999999"),
    ]
    before = written()
    for body in wrong:
        text = refused(client.post(f"/punchout/{endpoint}", data=body, content_type=CXML), 401)
        assert secret not in text
    assert written() == before
    # the right secret works: the refusals were for the secret, not the document
    right = client.post(f"/punchout/{endpoint}", data=make(secret, "p-5"), content_type=CXML)
    assert right.status_code == 200


def test_the_secret_is_kept_only_as_a_hash(connection):
    made, secret = connection
    row = db.session.execute(sa.text("SELECT * FROM punchout_connections")).mappings().one()
    assert secret not in " ".join(str(value) for value in row.values())
    assert len(row["secret_hash"]) == 64


def test_a_deactivated_connection_is_refused(client, connection):
    made, secret = connection
    connections.deactivate_connection(factories.StaffFactory(), made)
    before = written()
    refused(
        client.post("/punchout/setup", data=setup_request(secret, "d-1"), content_type=CXML), 401
    )
    refused(
        client.post("/punchout/order", data=order_request(secret, "d-2"), content_type=CXML), 401
    )
    assert written() == before


def test_a_replayed_setup_request_is_refused(client, connection):
    _, secret = connection
    body = setup_request(secret, "setup-1")
    assert client.post("/punchout/setup", data=body, content_type=CXML).status_code == 200
    before = written()
    refused(client.post("/punchout/setup", data=body, content_type=CXML), 409)
    assert written() == before


def test_a_too_long_buyer_cookie_is_called_too_long(client, connection):
    _, secret = connection
    body = setup_request(secret, "setup-long", buyer_cookie="C" * 10_000)
    text = refused(client.post("/punchout/setup", data=body, content_type=CXML), 400)
    assert "too long" in text and "required" not in text
    assert written() == (0, 0, 0)


def test_an_order_request_cannot_reuse_a_setup_payload_id(client, connection):
    _, secret = connection
    client.post("/punchout/setup", data=setup_request(secret, "same-1"), content_type=CXML)
    before = written()
    refused(
        client.post("/punchout/order", data=order_request(secret, "same-1"), content_type=CXML), 409
    )
    assert written() == before


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE cXML [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>"""


def with_entities(body: bytes, declarations: bytes, reference: bytes) -> bytes:
    """The example with its DOCTYPE replaced by `declarations` and `reference` in the
    BuyerCookie / orderID."""
    head, rest = body.split(b"<cXML ", 1)
    rest = rest.replace(b"1CX3L4843PPZO", reference).replace(b'orderID="PO-4711"', b"")
    if b"OrderRequestHeader" in rest:
        rest = rest.replace(b"<Comments>", b"<Comments>" + reference, 1)
    return declarations + b"\n<cXML " + rest


@pytest.mark.parametrize("endpoint", ["setup", "order"])
@pytest.mark.parametrize(
    "declarations, reference",
    [
        (BILLION_LAUGHS, b"&lol4;"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE cXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
            b"&xxe;",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE cXML [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>',
            b"&xxe;",
        ),
    ],
    ids=["billion-laughs", "external-file", "external-url"],
)
def test_xml_entities_are_refused_unexpanded(client, connection, endpoint, declarations, reference):
    _, secret = connection
    make = setup_request if endpoint == "setup" else order_request
    body = with_entities(make(secret, "e-1"), declarations, reference)
    before = written()
    answer = client.post(f"/punchout/{endpoint}", data=body, content_type=CXML)
    text = refused(answer, 400)
    assert text == "Entity declarations are not accepted"
    assert b"lollol" not in answer.data and b"root:" not in answer.data
    assert written() == before


def test_not_xml_and_other_documents_are_refused(client, connection):
    _, secret = connection
    for body in (
        b"",
        b"not xml",
        b"<cXML payloadID='x'",
        b"\x00<cXML/>",
        order_request(secret, "x"),
    ):
        refused(client.post("/punchout/setup", data=body, content_type=CXML), 400)
    assert written() == (0, 0, 0)


def test_a_return_url_must_be_http_or_https(client, connection):
    _, secret = connection
    for url in ("javascript:alert(1)", "data:text/html,x", "//evil.example/x", "https://a b"):
        body = setup_request(secret, "r-1").replace(
            b"https://procurement.acme.example/punchout/return?session=42",
            url.replace("&", "&amp;").encode(),
        )
        refused(client.post("/punchout/setup", data=body, content_type=CXML), 400)
    assert written() == (0, 0, 0)


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"price_1": "7000.00"}, "not the contract price 7650.00 CNY"),
        ({"quantity_1": "0"}, "at least 1"),
        ({"quantity_1": "1.5"}, "whole"),
        ({"quantity_1": "-2"}, "Line 1"),
        ({"quantity_2": "1000000000"}, "at most"),
    ],
)
def test_an_order_request_with_a_wrong_line_is_refused(client, connection, change, expected):
    _, secret = connection
    before = written()
    body = order_request(secret, "bad-1", **change)
    text = refused(client.post("/punchout/order", data=body, content_type=CXML), 400)
    assert expected in text
    assert written() == before


def test_an_order_request_for_a_sku_outside_the_contract_is_refused(client, shop, connection):
    _, secret = connection
    body = order_request(secret, "sku-1").replace(b"NW-MN27", b"NW-NOPE")
    text = refused(client.post("/punchout/order", data=body, content_type=CXML), 400)
    assert "NW-NOPE" in text
    assert written() == (0, 0, 0)


def test_another_accounts_prices_never_show(client, shop, connection):
    """Globex's contract prices NW-LT14 at 5,900.00: neither the cart Acme's system gets back
    nor the refusal of a wrong price names it; Acme's secret does not open Globex's
    connection."""
    _, secret = connection
    globex = factories.AccountFactory(slug="globex")
    contract = factories.ContractFactory(account=globex, currency="CNY")
    lt14 = db.session.scalar(sa.select(Product).where(Product.sku == "NW-LT14"))
    factories.PriceRuleFactory(contract=contract, product=lt14, kind="fixed", value=Decimal("5900"))
    globex_buyer = factories.UserFactory(account=globex)
    staff = factories.StaffFactory()
    connections.create_connection(
        staff,
        globex,
        connections.ConnectionValues("Coupa", "NetworkId", "GLOBEX-1", globex_buyer.id),
    )

    body = order_request(secret, "leak-1", price_1="1.00")
    answer = client.post("/punchout/order", data=body, content_type=CXML)
    assert b"5900" not in answer.data and b"5,900" not in answer.data
    refused(answer, 400)
    as_globex = order_request(secret, "leak-2").replace(IDENTITY.encode(), b"GLOBEX-1")
    refused(client.post("/punchout/order", data=as_globex, content_type=CXML), 401)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_the_return_origin_is_allowed_on_the_return_page_only(client, shop, connection):
    _, secret = connection
    answer = client.post("/punchout/setup", data=setup_request(secret, "o-1"), content_type=CXML)
    start = parsed(answer.data).findtext("Response/PunchOutSetupResponse/StartPage/URL")
    client.get(urlsplit(start).path)
    client.post("/a/acme/cart/add", data={"sku": "NW-LT14", "quantity": "1"})
    for page in (client.get("/a/acme/cart"), client.get("/a/acme/catalog")):
        assert "form-action 'self'" in page.headers["Content-Security-Policy"].split("; ")
    returned = client.post("/punchout/return")
    directives = returned.headers["Content-Security-Policy"].split("; ")
    assert "form-action 'self' https://procurement.acme.example" in directives
    assert client.get("/login").headers["Content-Security-Policy"].split("; ")[-1] == (
        "form-action 'self'"
    )


def test_a_cart_goes_back_once_and_only_from_a_punchout(client, shop, connection):
    from tests.support.web import login

    # an ordinary sign-in has no cart to return
    login(client, shop.buyer.email)
    assert client.post("/punchout/return").status_code == 404
    client.post("/logout")
    _, secret = connection
    answer = client.post("/punchout/setup", data=setup_request(secret, "o-2"), content_type=CXML)
    start = parsed(answer.data).findtext("Response/PunchOutSetupResponse/StartPage/URL")
    client.get(urlsplit(start).path)
    client.post("/a/acme/cart/add", data={"sku": "NW-LT14", "quantity": "1"})
    assert client.post("/punchout/return").status_code == 200
    # signed out: a second return is not possible
    again = client.post("/punchout/return")
    assert again.status_code == 303 and "/login" in again.location
