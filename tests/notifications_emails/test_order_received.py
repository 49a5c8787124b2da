"""The "order received" e-mail (issue 13, item 8): the buyer hears of every order placed in
their name, from checkout or taken down by Northwind's staff on their behalf, with its lines,
total, ship-to and where it stands."""

import re
import uuid

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.notifications.models import Notice, OutboxMessage
from portal.ordering import placement
from tests import factories
from tests.support.ordering import place
from tests.support.web import signed_in

BASE = "http://127.0.0.1:5000"


def mails_to(address: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id)
        )
    )


def in_both(mail: OutboxMessage, *facts: str) -> None:
    for fact in facts:
        assert fact in mail.text_body, fact
        assert fact in mail.html_body, fact


@pytest.fixture
def inside():
    return factories.StaffFactory(
        role="inside_sales", email="inside@northwind.example", name="Ivy Inside"
    )


def test_the_buyer_gets_an_order_received_email_when_they_place_an_order(shop):
    order = place(shop, [("NW-LT14", 2), ("NW-MN27", 1)], po_number="PO-4711")

    [mail] = mails_to("buyer@acme.example")
    assert mail.subject == f"Order {order.number} received."
    in_both(
        mail,
        order.number,
        "Acme Hospital Group",
        "Bea Buyer",
        "PO-4711",
        "2 x NW-LT14 ProBook 14 laptop",
        "CN¥15,300.00",
        "1 x NW-MN27 27-inch 4K monitor",
        "CN¥17,339.15",  # the total
        "1 Main Street",
        "submitted",
    )
    assert f"{BASE}/a/acme/orders/{order.number}" in mail.text_body
    assert f'href="{BASE}/a/acme/orders/{order.number}"' in mail.html_body


def test_an_order_staff_take_down_for_the_buyer_mails_the_buyer(web, shop, inside):
    desk = signed_in(web, inside.email)
    page = desk.get("/staff/accounts/acme/orders/new").get_data(as_text=True)
    token = re.search(r'name="checkout_token" type="hidden" value="([0-9a-f]{32})"', page)[1]
    desk.post(
        "/staff/accounts/acme/orders/new",
        data={
            "buyer": str(shop.buyer.id),
            "lines": "NW-LT14 2",
            "ship_to": str(shop.address.id),
            "reason": "Ms Li's portal login is locked",
            "checkout_token": token,
        },
    )

    [mail] = mails_to("buyer@acme.example")
    assert mail.subject.endswith("received.")
    in_both(mail, "Taken down for you by:", "Ivy Inside · Northwind", "2 x NW-LT14")
    assert mails_to(inside.email) == []
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == shop.buyer.id))
    assert notice.text == mail.subject  # and they see it in the portal


def test_an_order_waiting_for_approval_says_who_decides_it(shop):
    order = placement.place_order(
        shop.buyer,
        shop.account,
        placement.Checkout(ship_to_address_id=shop.address.id),
        uuid.uuid4().hex,
        items=[("NW-LT14", 10)],
        on_behalf_by=factories.StaffFactory(role="inside_sales"),
        reason="Phoned in",
    )

    [mail] = mails_to("buyer@acme.example")
    assert mail.subject == f"Order {order.number} received; it waits for approval."
    in_both(mail, "It is decided by an approver of your company: Alex Approver.")
