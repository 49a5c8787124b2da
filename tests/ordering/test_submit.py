"""`submit_order` says whether a submit made the order or found the one an earlier submit of
the same token made (the API answers 201 or 200 by it); `account_orders` is the statement the
order history and the API's cursor pages share."""

import uuid

import sqlalchemy as sa

from portal.extensions import db
from portal.ordering import placement, queries
from portal.ordering.models import Order
from tests.support.ordering import fill_cart, place


def test_a_repeated_submit_finds_the_first_order_and_says_so(shop):
    fill_cart(shop.buyer, [("NW-MN27", 2)])
    token = uuid.uuid4().hex
    checkout = placement.Checkout(shop.address.id)

    first = placement.submit_order(shop.buyer, shop.account, checkout, token)
    again = placement.submit_order(shop.buyer, shop.account, checkout, token)

    assert (first.is_new, again.is_new) == (True, False)
    assert again.order.id == first.order.id
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1
    assert placement.place_order(shop.buyer, shop.account, checkout, token).id == first.order.id


def test_account_orders_filters_by_status_and_placer(shop):
    submitted = place(shop, [("NW-MN27", 1)])
    waiting = place(shop, [("NW-LT14", 7)])
    by_approver = place(shop, [("NW-MN27", 1)], buyer=shop.approver)

    def numbers(**filters):
        statement = queries.account_orders(shop.account.id, **filters).order_by(Order.id)
        return [order.number for order in db.session.scalars(statement).unique()]

    assert numbers() == [submitted.number, waiting.number, by_approver.number]
    assert numbers(status="pending_approval") == [waiting.number]
    assert numbers(placed_by_id=shop.approver.id) == [by_approver.number]
