"""The buyer's orders in the API: placing once per Idempotency-Key, the history, one order,
cancelling, approvals; the rules of the checkout and order pages (the shop:
tests/fixtures/shop.py; the buyer's spending limit is 50,000.00, NW-LT14 costs 7,650.00)."""

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import User
from portal.api import tokens
from portal.catalog.models import Product
from portal.extensions import db
from portal.ordering.models import Order
from tests import factories
from tests.support.api import bearer, issue_token
from tests.support.api_answers import assert_documented
from tests.support.cart import cart_of
from tests.support.concurrency import WAIT, at_once, no_errors, seed
from tests.support.ordering import fill_cart, place
from tests.support.web import count_queries


@pytest.fixture
def orderer(shop):
    return bearer(issue_token(shop.buyer, scopes=("read", "order")))


@pytest.fixture
def approver(shop):
    return bearer(issue_token(shop.approver, scopes=("read", "approve")))


def order_body(shop, **changes) -> dict:
    return {
        "lines": [{"sku": "NW-LT14", "quantity": 2}, {"sku": "NW-MN27", "quantity": "１"}],
        "ship_to_address_id": shop.address.id,
        "po_number": "PO-1",
        **changes,
    }


def post_order(client, headers, body, key=None):
    return client.post(
        "/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex}
    )


def orders() -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Order).order_by(Order.id)))


def test_an_order_is_placed_at_contract_prices_with_vat(client, shop, orderer):
    answer = post_order(client, orderer, order_body(shop, note="Gate 3"))

    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert_documented(client, answer, "/api/v1/orders", "post")
    body = answer.get_json()
    [order] = orders()
    assert answer.headers["Location"].endswith(f"/api/v1/orders/{order.number}")
    assert (body["number"], body["status"], body["po_number"]) == (
        order.number,
        "submitted",
        "PO-1",
    )
    assert body["total"] == {"amount": "17339.15", "currency": "CNY"}  # 2 x 7,650 + 2,039.15
    assert [(line["sku"], line["quantity"]) for line in body["lines"]] == [
        ("NW-LT14", 2),
        ("NW-MN27", 1),
    ]
    for line in body["lines"]:
        assert Decimal(line["net"]["amount"]) + Decimal(line["vat"]["amount"]) == Decimal(
            line["gross"]["amount"]
        )
    assert body["totals"]["gross"]["amount"] == "17339.15"
    assert body["placed_by"] == "Bea Buyer" and body["note"] == "Gate 3"
    assert body["payment_term"] == order.payment_term_name and body["milestones"]
    assert body["ship_to_address_id"] == shop.address.id and body["can_cancel"]


def test_the_same_key_twice_makes_one_order_and_the_same_answer(client, shop, orderer):
    key = uuid.uuid4().hex
    first = post_order(client, orderer, order_body(shop), key)
    again = post_order(client, orderer, order_body(shop), key)

    assert (first.status_code, again.status_code) == (201, 200)
    assert_documented(client, again, "/api/v1/orders", "post")
    assert again.get_json() == first.get_json()
    assert len(orders()) == 1


def test_the_same_key_with_another_request_is_refused(client, shop, orderer):
    key = uuid.uuid4().hex
    assert post_order(client, orderer, order_body(shop), key).status_code == 201
    for changes in (
        {"lines": [{"sku": "NW-LT14", "quantity": 3}]},
        {"po_number": "PO-2"},
        {"note": "another"},
    ):
        answer = post_order(client, orderer, order_body(shop, **changes), key)
        assert answer.status_code == 422
        assert answer.get_json()["code"] == "idempotency_key_reused"
    assert len(orders()) == 1


def test_keys_are_the_callers_own(client, shop, orderer):
    """Another user's key of the same text places an order of its own."""
    key = "order-1"
    colleague = factories.UserFactory(account=shop.account, email="colleague@acme.example")
    db.session.commit()
    colleagues = bearer(issue_token(colleague, scopes=("read", "order")))
    assert post_order(client, orderer, order_body(shop), key).status_code == 201
    assert (
        post_order(client, colleagues, order_body(shop, po_number="PO-9"), key).status_code == 201
    )
    assert len(orders()) == 2


def test_without_an_idempotency_key_nothing_is_placed(client, shop, orderer):
    answer = client.post("/api/v1/orders", json=order_body(shop), headers=orderer)
    assert answer.status_code == 400
    assert answer.get_json()["code"] == "idempotency_key_required"
    assert orders() == []


def test_the_cart_is_ordered_and_emptied(client, shop, orderer):
    fill_cart(shop.buyer, [("NW-MN27", 3)])
    db.session.commit()
    body = order_body(shop, from_cart=True)
    del body["lines"]

    answer = post_order(client, orderer, body)

    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert [(line["sku"], line["quantity"]) for line in answer.get_json()["lines"]] == [
        ("NW-MN27", 3)
    ]
    assert cart_of(shop.buyer) == {}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lines": [{"sku": "NW-LT14", "quantity": "1,5"}]}, "body.lines.0.quantity"),
        ({"lines": [{"sku": "NO-SUCH", "quantity": 1}]}, None),
        ({"ship_to_address_id": 999_999}, "body.ship_to_address_id"),
        ({"requested_delivery_on": "2000-01-01"}, "body.requested_delivery_on"),
        ({"from_cart": True}, None),  # lines and from_cart at once
    ],
)
def test_refusals_place_nothing(client, shop, orderer, changes, field):
    answer = post_order(client, orderer, order_body(shop, **changes))

    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert_documented(client, answer, "/api/v1/orders", "post")
    if field:
        assert field in [error["field"] for error in answer.get_json()["errors"]]
    assert orders() == []


def test_a_repeated_po_number_needs_confirming(client, shop, orderer):
    assert post_order(client, orderer, order_body(shop)).status_code == 201
    refused = post_order(client, orderer, order_body(shop))
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["field"] == "body.po_repeat_confirmed"
    confirmed = post_order(client, orderer, order_body(shop, po_repeat_confirmed=True))
    assert confirmed.status_code == 201


def test_above_the_spending_limit_the_order_waits_for_approval(client, shop, orderer, approver):
    answer = post_order(
        client, orderer, order_body(shop, lines=[{"sku": "NW-LT14", "quantity": 7}])
    )
    assert answer.status_code == 201
    number = answer.get_json()["number"]
    assert answer.get_json()["status"] == "pending_approval"

    waiting = client.get("/api/v1/approvals", headers=approver)
    assert waiting.status_code == 200
    assert_documented(client, waiting, "/api/v1/approvals", "get")
    assert [order["number"] for order in waiting.get_json()["data"]] == [number]

    no_comment = client.post(
        f"/api/v1/approvals/{number}/approve", json={"comment": " "}, headers=approver
    )
    assert no_comment.status_code == 422
    approved = client.post(
        f"/api/v1/approvals/{number}/approve", json={"comment": "Budgeted"}, headers=approver
    )
    assert approved.status_code == 200, approved.get_data(as_text=True)
    assert_documented(client, approved, "/api/v1/approvals/<number>/approve", "post")
    assert approved.get_json()["status"] == "submitted"
    assert approved.get_json()["decision_comment"] == "Budgeted"
    assert client.get("/api/v1/approvals", headers=approver).get_json()["data"] == []


def test_an_approver_rejects_but_never_decides_their_own_order(client, shop, orderer, approver):
    number = post_order(
        client, orderer, order_body(shop, lines=[{"sku": "NW-LT14", "quantity": 7}])
    ).get_json()["number"]
    rejected = client.post(
        f"/api/v1/approvals/{number}/reject", json={"comment": "Not this quarter"}, headers=approver
    )
    assert rejected.status_code == 200
    assert rejected.get_json()["status"] == "cancelled"

    shop.approver.spending_limit_amount = Decimal("1000.00")
    shop.approver.spending_limit_currency = "CNY"
    db.session.commit()
    own = place(shop, [("NW-LT14", 1)], buyer=shop.approver)
    assert own.status == "pending_approval"
    answer = client.post(
        f"/api/v1/approvals/{own.number}/approve", json={"comment": "Mine"}, headers=approver
    )
    assert answer.status_code == 422
    db.session.expire_all()
    assert db.session.get(Order, own.id).status == "pending_approval"


def test_a_buyer_token_has_no_approvals(client, shop, orderer):
    everything = bearer(issue_token(shop.buyer, scopes=("read", "order")))
    assert client.get("/api/v1/approvals", headers=everything).status_code == 404
    order = place(shop, [("NW-LT14", 7)])
    answer = client.post(
        f"/api/v1/approvals/{order.number}/approve", json={"comment": "ok"}, headers=orderer
    )
    assert answer.status_code == 404


def test_deciding_needs_the_approve_scope(client, shop):
    order = place(shop, [("NW-LT14", 7)])
    reader = bearer(issue_token(shop.approver))
    answer = client.post(
        f"/api/v1/approvals/{order.number}/approve", json={"comment": "ok"}, headers=reader
    )
    assert answer.status_code == 403 and answer.get_json()["code"] == "insufficient_scope"
    assert client.get("/api/v1/approvals", headers=reader).status_code == 200


def test_a_read_only_token_cannot_order(client, shop):
    reader = bearer(issue_token(shop.buyer))
    answer = post_order(client, reader, order_body(shop))
    assert answer.status_code == 403
    assert answer.get_json()["code"] == "insufficient_scope"
    assert orders() == []


def test_the_history_newest_first_by_cursor_and_status(client, shop, orderer):
    placed = [place(shop, [("NW-MN27", 1)], po_number=f"PO-{n}") for n in range(3)]
    waiting = place(shop, [("NW-LT14", 7)])

    first = client.get("/api/v1/orders?limit=2", headers=orderer)
    assert first.status_code == 200
    assert_documented(client, first, "/api/v1/orders", "get")
    body = first.get_json()
    assert [o["number"] for o in body["data"]] == [waiting.number, placed[2].number]
    rest = client.get(f"/api/v1/orders?limit=2&cursor={body['next_cursor']}", headers=orderer)
    assert [o["number"] for o in rest.get_json()["data"]] == [placed[1].number, placed[0].number]
    assert rest.get_json()["next_cursor"] is None
    only = client.get("/api/v1/orders?status=pending_approval", headers=orderer).get_json()
    assert [o["number"] for o in only["data"]] == [waiting.number]
    bad = client.get("/api/v1/orders?status=lost", headers=orderer)
    assert bad.status_code == 422
    assert client.get("/api/v1/orders?cursor=!!", headers=orderer).status_code == 400


def test_the_history_costs_a_constant_number_of_queries(client, shop, orderer):
    def statements(limit):
        with count_queries() as seen:
            answer = client.get(f"/api/v1/orders?limit={limit}", headers=orderer)
        assert len(answer.get_json()["data"]) == limit
        return len(seen)

    others = [factories.UserFactory(account=shop.account) for _ in range(3)]
    db.session.commit()
    for n in range(30):
        place(shop, [("NW-MN27", 1)], buyer=others[n % 3])
    statements(3)  # the token's first use is recorded once
    assert statements(3) == statements(30)


def test_one_order_and_another_accounts_is_404(client, shop, orderer):
    order = place(shop, [("NW-LT14", 1)])
    answer = client.get(f"/api/v1/orders/{order.number}", headers=orderer)
    assert answer.status_code == 200
    assert_documented(client, answer, "/api/v1/orders/<number>", "get")
    assert answer.get_json()["number"] == order.number

    stranger = factories.UserFactory(account=factories.AccountFactory(slug="globex"))
    db.session.commit()
    theirs = bearer(issue_token(stranger, scopes=("read", "order")))
    missing = client.get(f"/api/v1/orders/{order.number}", headers=theirs)
    assert missing.status_code == 404
    assert_documented(client, missing, "/api/v1/orders/<number>", "get")
    cancel = client.post(
        f"/api/v1/orders/{order.number}/cancel", json={"reason": "x"}, headers=theirs
    )
    assert cancel.status_code == 404
    assert client.get("/api/v1/orders", headers=theirs).get_json()["data"] == []


def test_cancelling_as_the_page_allows(client, shop, orderer):
    order = place(shop, [("NW-LT14", 1)])
    no_reason = client.post(
        f"/api/v1/orders/{order.number}/cancel", json={"reason": ""}, headers=orderer
    )
    assert no_reason.status_code == 422
    colleague = factories.UserFactory(account=shop.account)
    db.session.commit()
    not_theirs = client.post(
        f"/api/v1/orders/{order.number}/cancel",
        json={"reason": "Wrong"},
        headers=bearer(issue_token(colleague, scopes=("read", "order"))),
    )
    assert not_theirs.status_code == 403

    answer = client.post(
        f"/api/v1/orders/{order.number}/cancel", json={"reason": "Ordered twice"}, headers=orderer
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert_documented(client, answer, "/api/v1/orders/<number>/cancel", "post")
    assert (answer.get_json()["status"], answer.get_json()["cancel_reason"]) == (
        "cancelled",
        "Ordered twice",
    )
    assert answer.get_json()["can_cancel"] is False


def test_the_ship_to_addresses(client, shop, orderer):
    answer = client.get("/api/v1/addresses", headers=orderer)
    assert answer.status_code == 200
    assert_documented(client, answer, "/api/v1/addresses", "get")
    [address] = answer.get_json()["data"]
    assert address["id"] == shop.address.id and address["printed"]


# Two requests with the same key at the same moment, each in its own app context and session


def _same_key_at_once(app):
    ids = seed(app, buyers=1)
    sku = ids.sku.upper()  # as the catalog keeps SKUs (the seed's has lower-case letters)
    with app.app_context():
        db.session.execute(sa.update(Product).where(Product.sku == ids.sku).values(sku=sku))
        buyer = db.session.get(User, ids.buyers[0])
        _token, plain = tokens.issue(buyer, buyer, "test", ["read", "order"], 30)
        db.session.commit()
    headers = {**bearer(plain), "Idempotency-Key": "same-key"}
    body = {"lines": [{"sku": sku, "quantity": 1}], "ship_to_address_id": ids.address}

    def posting(client):
        def call(barrier):
            barrier.wait(WAIT)
            return client.post("/api/v1/orders", json=body, headers=headers)

        return call

    answers = at_once([posting(app.test_client()) for _ in range(2)])
    no_errors(answers)
    assert all(a.status_code < 300 for a in answers), [a.get_data(as_text=True) for a in answers]
    with app.app_context():
        numbers = db.session.scalars(
            sa.select(Order.number).where(Order.account_id == ids.account)
        ).all()
    assert len(numbers) == 1
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert [a.get_json()["number"] for a in answers] == numbers * 2


@pytest.mark.no_transaction
def test_the_same_key_at_once_makes_one_order_on_postgresql(pg_app):
    for _ in range(3):
        _same_key_at_once(pg_app)


@pytest.mark.no_transaction
def test_the_same_key_at_once_makes_one_order_on_sqlite(sqlite_app):
    _same_key_at_once(sqlite_app)
