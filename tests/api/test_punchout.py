"""cXML PunchOut, the issue's second Done-when: setup request, browse, return cart, order
request make one order with the customer's PO number; the order request replayed makes none.
Every document the portal sends is checked against the cXML 1.2 DTD."""

from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from portal.api import connections
from portal.api.models import PunchoutPayload, PunchoutSession
from portal.cart.models import CartLine
from portal.catalog.models import Product
from portal.extensions import db
from portal.ordering.models import Milestone, Order, OrderLine
from tests import factories
from tests.support.auth import Clock
from tests.support.cxml import (
    CXML,
    FIXTURES,
    IDENTITY,
    RETURN_URL,
    dtd,
    order_request,
    parsed,
    returned_form,
    setup_request,
    status_of,
    validated,
)
from tests.support.fapiao import keep_details


@pytest.fixture
def connection(shop):
    """Acme's procurement system, connected by an account admin; returns its secret."""
    staff = factories.StaffFactory()
    values = connections.ConnectionValues("SAP Ariba", "NetworkId", IDENTITY, shop.buyer.id)
    made, secret = connections.create_connection(staff, shop.account, values)
    return made, secret


@pytest.fixture
def clock(monkeypatch):
    """The portal's clock, from now on, moving only when told to."""
    clock = Clock(datetime.now(UTC))
    monkeypatch.setattr("portal.core.db.utcnow", clock)
    return clock


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_reference_examples_are_valid_cxml():
    """The DTD judges the portal's documents: first it accepts the reference examples."""
    for name in ("PunchOutSetupRequest.xml", "OrderRequest.xml", "PunchOutOrderMessage.xml"):
        text = (FIXTURES / name).read_text()
        document = text.replace("{{", "x").replace("}}", "x").encode()
        assert dtd().validate(parsed(document)), (name, dtd().error_log.filter_from_errors())


def test_a_punchout_round_trip_places_one_order_with_the_po_number(client, shop, connection):
    _, secret = connection

    # given the procurement system's setup request
    answer = client.post(
        "/punchout/setup", data=setup_request(secret, "setup-1@acme"), content_type=CXML
    )
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/xml")
    setup = validated(answer.data)
    assert setup.find("Response/Status").get("code") == "200"
    start_url = setup.findtext("Response/PunchOutSetupResponse/StartPage/URL")
    assert start_url.startswith("http://localhost/punchout/start/")

    # the start URL signs the buyer in and opens the account's catalog
    opened = client.get(urlsplit(start_url).path)
    assert opened.status_code == 302
    assert opened.location.endswith("/a/acme/catalog")
    catalog = client.get("/a/acme/catalog").get_data(as_text=True)
    assert "NW-LT14" in catalog and "7,650.00" in catalog

    # browse and fill the cart: it offers "Return cart", not checkout
    client.post("/a/acme/cart/add", data={"sku": "NW-LT14", "quantity": "2"})
    client.post("/a/acme/cart/add", data={"sku": "NW-MN27", "quantity": "1"})
    cart = client.get("/a/acme/cart").get_data(as_text=True)
    assert "Return cart to SAP Ariba" in cart
    assert 'id="checkout"' not in cart
    assert 'id="ask-for-quote"' not in cart
    assert client.get("/a/acme/checkout").status_code == 303

    # return the cart: a page that posts the PunchOutOrderMessage to the return URL
    returned = client.post("/punchout/return")
    assert returned.status_code == 200
    policy = returned.headers["Content-Security-Policy"]
    assert "form-action 'self' https://procurement.acme.example" in policy.split("; ")
    assert "frame-ancestors 'none'" in policy
    action, document = returned_form(returned.get_data(as_text=True))
    assert action == RETURN_URL
    message = validated(document)
    assert message.findtext("Message/PunchOutOrderMessage/BuyerCookie") == "1CX3L4843PPZO"
    assert message.find("Header/To/Credential/Identity").text == IDENTITY
    assert message.find("Header/Sender/Credential/SharedSecret") is None
    items = [
        (
            item.findtext("ItemID/SupplierPartID"),
            item.get("quantity"),
            item.findtext("ItemDetail/UnitPrice/Money"),
            item.find("ItemDetail/UnitPrice/Money").get("currency"),
            item.findtext("ItemDetail/Description"),
            item.findtext("ItemDetail/UnitOfMeasure"),
        )
        for item in message.findall("Message/PunchOutOrderMessage/ItemIn")
    ]
    assert items == [
        ("NW-LT14", "2", "7650.00", "CNY", "ProBook 14 laptop", "EA"),
        ("NW-MN27", "1", "2039.15", "CNY", "27-inch 4K monitor", "EA"),
    ]
    total = message.find("Message/PunchOutOrderMessage/PunchOutOrderMessageHeader/Total/Money")
    assert (total.text, total.get("currency")) == ("17339.15", "CNY")
    # ... and the PunchOut sign-in ended with it, the cart emptied
    assert client.get("/a/acme/cart").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CartLine)) == 0

    # the purchase order comes back as an OrderRequest
    request = order_request(secret, "po-1@acme", "PO-4711")
    placed = client.post("/punchout/order", data=request, content_type=CXML)
    assert placed.status_code == 200, placed.data
    assert status_of(validated(placed.data))[0] == 200
    order = db.session.scalars(sa.select(Order)).one()
    assert order.po_number == "PO-4711"
    assert order.account_id == shop.account.id and order.placed_by_id == shop.buyer.id
    assert order.total_amount == Decimal("17339.15")
    lines = db.session.execute(
        sa.select(OrderLine.sku, OrderLine.quantity, OrderLine.unit_price_amount)
        .where(OrderLine.order_id == order.id)
        .order_by(OrderLine.position)
    ).all()
    assert lines == [("NW-LT14", 2, Decimal("7650.00")), ("NW-MN27", 1, Decimal("2039.15"))]
    # the contract's term (the shop's: 100% at shipment + 30 days) made the schedule
    schedule = db.session.execute(
        sa.select(Milestone.share_percent, Milestone.event, Milestone.days, Milestone.amount).where(
            Milestone.order_id == order.id
        )
    ).all()
    assert schedule == [(Decimal("100"), "shipment", 30, Decimal("17339.15"))]

    # replayed, the same OrderRequest gets the same answer and makes nothing
    again = client.post("/punchout/order", data=request, content_type=CXML)
    assert again.status_code == 200
    assert again.data == placed.data
    assert count(Order) == 1
    assert count(PunchoutPayload) == 2  # the setup request and the order request


def test_a_po_resent_under_a_fresh_payload_id_makes_no_second_order(client, shop, connection):
    secret = connection[1]
    placed = client.post(
        "/punchout/order", data=order_request(secret, "po-1@acme", "PO-4711"), content_type=CXML
    )
    assert placed.status_code == 200, placed.data
    resent = client.post(
        "/punchout/order", data=order_request(secret, "po-2@acme", "PO-4711"), content_type=CXML
    )
    assert resent.status_code == 200
    assert resent.data == placed.data
    assert count(Order) == 1
    # the resend's payloadID is kept too: replayed, it gets the same answer
    again = client.post(
        "/punchout/order", data=order_request(secret, "po-2@acme", "PO-4711"), content_type=CXML
    )
    assert again.data == placed.data and count(Order) == 1
    # another PO number is another order
    other = client.post(
        "/punchout/order", data=order_request(secret, "po-3@acme", "PO-4712"), content_type=CXML
    )
    assert other.status_code == 200 and other.data != placed.data
    assert count(Order) == 2


@pytest.mark.parametrize(
    ("types", "verified", "expected"),
    [
        (("ordinary", "electronic"), False, "ordinary"),
        (("special", "electronic"), False, "electronic"),  # special waits for finance
        (("special", "electronic"), True, "special"),
        ((), False, ""),
    ],
)
def test_a_punchout_order_gets_the_fapiao_type_checkout_defaults_to(
    client, shop, connection, types, verified, expected
):
    keep_details(shop.account, types=types, by=factories.StaffFactory() if verified else None)
    placed = client.post(
        "/punchout/order", data=order_request(connection[1], "po-1@acme"), content_type=CXML
    )
    assert placed.status_code == 200, placed.data
    assert db.session.scalars(sa.select(Order)).one().fapiao_type == expected


def test_a_punchout_order_is_written_in_the_buyers_language(client, shop, connection):
    shop.buyer.locale = "zh_Hans"
    db.session.commit()
    placed = client.post(
        "/punchout/order", data=order_request(connection[1], "po-1@acme"), content_type=CXML
    )
    assert placed.status_code == 200, placed.data
    order = db.session.scalars(sa.select(Order)).one()
    assert order.note == "通过 PunchOut 从 SAP Ariba 下单。"
    explanations = db.session.scalars(
        sa.select(OrderLine.price_explanation).where(OrderLine.order_id == order.id)
    ).all()
    assert explanations and all("合同" in text for text in explanations)


def test_a_start_url_opens_once(client, shop, connection):
    _, secret = connection
    answer = client.post("/punchout/setup", data=setup_request(secret, "s-1"), content_type=CXML)
    path = urlsplit(
        parsed(answer.data).findtext("Response/PunchOutSetupResponse/StartPage/URL")
    ).path
    assert client.get(path).status_code == 302
    other = client.application.test_client()
    used = other.get(path)
    assert used.status_code == 410
    assert "used already or has expired" in used.get_data(as_text=True)
    assert other.get("/a/acme/cart").status_code == 302  # not signed in


def test_an_expired_or_unknown_start_url_is_refused(client, shop, connection, clock):
    _, secret = connection
    answer = client.post("/punchout/setup", data=setup_request(secret, "s-2"), content_type=CXML)
    path = urlsplit(
        parsed(answer.data).findtext("Response/PunchOutSetupResponse/StartPage/URL")
    ).path
    clock.advance(minutes=5, seconds=1)
    assert client.get(path).status_code == 410
    assert client.get("/a/acme/cart").status_code == 302
    assert client.get("/punchout/start/not-a-token").status_code == 404
    assert db.session.scalars(sa.select(PunchoutSession.started_at)).one() is None


def test_the_setup_user_is_the_named_buyer_else_the_default_user(client, shop, connection):
    _, secret = connection
    approver = shop.approver.email
    for payload, email, expected in (
        ("u-1", approver, shop.approver.id),
        ("u-2", "nobody@acme.example", shop.buyer.id),
        ("u-3", "buyer@globex.example", shop.buyer.id),
    ):
        body = setup_request(secret, payload, email=email)
        assert client.post("/punchout/setup", data=body, content_type=CXML).status_code == 200
        row = db.session.scalars(sa.select(PunchoutSession).order_by(PunchoutSession.id.desc()))
        assert row.first().user_id == expected


def test_the_returned_cart_describes_items_in_the_buyers_language(client, shop, connection):
    _, secret = connection
    shop.buyer.locale = "zh_Hans"
    product = db.session.scalar(sa.select(Product).where(Product.sku == "NW-LT14"))
    product.name_zh = "ProBook 14 笔记本电脑"
    db.session.commit()
    answer = client.post("/punchout/setup", data=setup_request(secret, "zh-1"), content_type=CXML)
    start = parsed(answer.data).findtext("Response/PunchOutSetupResponse/StartPage/URL")
    client.get(urlsplit(start).path)
    client.post("/a/acme/cart/add", data={"sku": "NW-LT14", "quantity": "1"})
    assert "ProBook 14 笔记本电脑" in client.get("/a/acme/cart").get_data(as_text=True)
    _, document = returned_form(client.post("/punchout/return").get_data(as_text=True))
    description = validated(document).find(
        "Message/PunchOutOrderMessage/ItemIn/ItemDetail/Description"
    )
    assert description.text == "ProBook 14 笔记本电脑"
    assert description.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
