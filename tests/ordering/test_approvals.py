"""Buyer approvals: an order above the buyer's spending limit waits for an approver of the same
account, who approves or rejects it with a comment, never their own (SECURITY.md 19)."""

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.ordering import queries
from portal.ordering.models import Order
from tests import factories
from tests.support.ordering import fill_cart
from tests.support.web import signed_in

OVER_LIMIT = [("NW-LT14", 10)]  # 76,500.00 > the buyer's 50,000.00


def text(page) -> str:
    return page.get_data(as_text=True)


def the_order() -> Order:
    db.session.expire_all()
    return db.session.scalars(sa.select(Order)).one()


def checkout(client, shop):
    page = client.get("/a/acme/checkout")
    token = re.search(r'name="checkout_token" type="hidden" value="(\w+)"', text(page)).group(1)
    data = {"ship_to": str(shop.address.id), "checkout_token": token}
    return client.post("/a/acme/checkout", data=data, follow_redirects=True)


@pytest.fixture
def waiting(web, shop):
    """The buyer has checked out 10 laptops, above their limit."""
    fill_cart(shop.buyer, OVER_LIMIT)
    buyer = signed_in(web, shop.buyer.email)
    page = checkout(buyer, shop)
    return {"buyer": buyer, "order": the_order(), "page": text(page)}


def decide(client, number, **data):
    return client.post(f"/a/acme/approvals/{number}", data=data, follow_redirects=True)


def test_checkout_warns_that_an_order_above_the_limit_needs_approval(web, shop):
    fill_cart(shop.buyer, OVER_LIMIT)
    page = text(signed_in(web, shop.buyer.email).get("/a/acme/checkout"))
    assert "above your spending limit of CN¥50,000.00" in page
    assert "76,500.00" in page


def test_an_order_above_the_limit_waits_and_the_approver_approves_it(web, shop, waiting):
    order = waiting["order"]
    assert order.status == "pending_approval"
    assert f"Order {order.number} placed: it waits for approval" in waiting["page"]
    assert 'data-order-status="pending_approval" data-order-total="76500.00"' in waiting["page"]
    assert "Waiting for approval by an approver of your company." in waiting["page"]

    approver = signed_in(web, shop.approver.email)
    landing = text(approver.get("/a/acme/"))
    assert f"Order {order.number} waits for your approval." in landing  # the notice
    assert f'<li data-order-number="{order.number}">' in landing  # the waiting list
    approvals = text(approver.get("/a/acme/approvals"))
    assert f'data-order-number="{order.number}"' in approvals
    assert "Placed by Bea Buyer" in approvals and "76,500.00" in approvals

    done = decide(approver, order.number, comment="Budget line 7 covers it", approve="1")
    assert f"Order {order.number} approved." in text(done)
    assert the_order().status == "submitted"
    assert the_order().decided_by_id == shop.approver.id
    assert f'data-order-number="{order.number}"' not in text(approver.get("/a/acme/approvals"))

    buyer_page = text(waiting["buyer"].get(f"/a/acme/orders/{order.number}"))
    assert 'data-order-status="submitted"' in buyer_page
    assert "Budget line 7 covers it" in buyer_page
    assert f"Order {order.number} was approved." in text(waiting["buyer"].get("/a/acme/"))


def test_a_rejection_cancels_the_order_and_the_buyer_sees_the_comment(web, shop, waiting):
    order = waiting["order"]
    approver = signed_in(web, shop.approver.email)

    decide(approver, order.number, comment="Use the framework tender", reject="1")

    assert the_order().status == "cancelled"
    page = text(waiting["buyer"].get(f"/a/acme/orders/{order.number}"))
    assert 'data-order-status="cancelled"' in page
    assert "Rejected by Alex Approver: Use the framework tender" in page
    assert f"Order {order.number} was rejected." in text(waiting["buyer"].get("/a/acme/"))


def test_a_decision_needs_a_comment_and_a_choice(web, shop, waiting):
    approver = signed_in(web, shop.approver.email)
    number = waiting["order"].number

    no_comment = decide(approver, number, comment="  ", approve="1")
    assert "Say why, for the buyer and the order history." in text(no_comment)
    no_choice = decide(approver, number, comment="Fine")
    assert "Choose to approve or to reject the order." in text(no_choice)
    assert the_order().status == "pending_approval"


def test_the_buyer_can_neither_see_approvals_nor_approve(shop, waiting):
    buyer = waiting["buyer"]
    number = waiting["order"].number
    assert buyer.get("/a/acme/approvals").status_code == 404
    response = buyer.post(f"/a/acme/approvals/{number}", data={"comment": "me", "approve": "1"})
    assert response.status_code == 404
    assert b"Your approval" not in buyer.get(f"/a/acme/orders/{number}").data
    assert the_order().status == "pending_approval"


def test_an_approver_cannot_approve_their_own_order(web, shop):
    order = factories.OrderFactory(
        contract=shop.contract, placed_by=shop.approver, status="pending_approval"
    )
    approver = signed_in(web, shop.approver.email)

    approvals = text(approver.get("/a/acme/approvals"))
    assert "Yours, waiting for a colleague" in approvals
    assert f'action="/a/acme/approvals/{order.number}"' not in approvals
    assert f'<li data-order-number="{order.number}">' not in text(approver.get("/a/acme/"))
    assert b"Your approval" not in approver.get(f"/a/acme/orders/{order.number}").data

    refused = decide(approver, order.number, comment="Looks fine to me", approve="1")
    assert "Nobody approves or rejects their own order." in text(refused)
    assert the_order().status == "pending_approval"


def test_a_customer_admin_cannot_approve_while_the_account_has_an_approver(web, shop, waiting):
    admin = factories.UserFactory(
        account=shop.account, role="customer_admin", email="admin@acme.example"
    )
    client = signed_in(web, admin.email)
    number = waiting["order"].number
    approvals = text(client.get("/a/acme/approvals"))
    assert f'data-waiting-order="{number}"' in approvals  # seen, with who decides
    assert "It is decided by an approver of your company: Alex Approver." in approvals
    assert f'action="/a/acme/approvals/{number}"' not in approvals
    refused = decide(client, number, comment="ok", approve="1")
    assert "Only an approver of the account decides its orders." in text(refused)
    assert the_order().status == "pending_approval"


def test_an_approver_decides_from_the_order_page_too(web, shop, waiting):
    approver = signed_in(web, shop.approver.email)
    number = waiting["order"].number
    page = text(approver.get(f"/a/acme/orders/{number}"))
    assert "Your approval" in page
    assert f'action="/a/acme/approvals/{number}"' in page


def test_an_order_no_longer_waiting_cannot_be_decided(web, shop, waiting):
    approver = signed_in(web, shop.approver.email)
    number = waiting["order"].number
    decide(approver, number, comment="Go", approve="1")

    again = decide(approver, number, comment="Actually no", reject="1")
    assert "This order is not waiting for approval." in text(again)
    assert the_order().status == "submitted"


def test_the_orders_an_approver_may_decide_are_colleagues_orders_waiting_in_their_account(shop):
    """One query holds the rule (SECURITY.md 19); the approvals and landing pages list it."""
    colleague = factories.OrderFactory(
        contract=shop.contract, placed_by=shop.buyer, status="pending_approval"
    )
    nobody = factories.OrderFactory(
        contract=shop.contract, placed_by=None, status="pending_approval"
    )
    own = factories.OrderFactory(
        contract=shop.contract, placed_by=shop.approver, status="pending_approval"
    )
    factories.OrderFactory(contract=shop.contract, placed_by=shop.buyer, status="submitted")
    elsewhere = factories.ContractFactory(account=factories.AccountFactory(slug="globex"))
    factories.OrderFactory(
        contract=elsewhere,
        placed_by=factories.UserFactory(account=elsewhere.account),
        status="pending_approval",
    )

    assert queries.orders_to_decide(shop.approver) == [colleague, nobody]
    assert queries.own_orders_awaiting_approval(shop.approver) == [own]
