"""Orders placed at the same moment, in real threads, each with its own app context and
database session, against a database of this module's own (SECURITY.md 35, 36, 38): `pg_app`
and `sqlite_app` (tests/fixtures/own_databases.py).
"""

import re
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.cart import queries as cart_queries
from portal.cart.models import Cart
from portal.catalog.models import Product
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.ordering import credit, placement
from portal.ordering.models import Order
from tests import factories
from tests.support.concurrency import WAIT, Ids, at_once, no_errors, seed
from tests.support.web import login

pytestmark = pytest.mark.no_transaction


def fill_cart(app, ids: Ids, buyer: int, quantity: int = 1) -> None:
    with app.app_context():
        product = db.session.scalar(sa.select(Product).where(Product.sku == ids.sku))
        cart = db.session.scalar(sa.select(Cart).where(Cart.user_id == buyer))
        cart = cart or factories.CartFactory(user=db.session.get(User, buyer))
        factories.CartLineFactory(cart=cart, product=product, quantity=quantity)


def placing(app, ids: Ids, buyer: int, token: str | None = None, *, from_cart: bool = False):
    """A call for `at_once`: the buyer places an order in a request-like app context of its
    own, and it returns what the order looks like after commit."""

    def call(barrier):
        with app.app_context():
            user = db.session.get(User, buyer)
            account = db.session.get(KeyAccount, ids.account)
            barrier.wait(WAIT)
            order = placement.place_order(
                user,
                account,
                placement.Checkout(ids.address),
                token or uuid.uuid4().hex,
                items=None if from_cart else [(ids.sku, 1)],
            )
            return {
                "id": order.id,
                "number": order.number,
                "status": order.status,
                "is_over_credit": order.is_over_credit,
            }

    return call


def orders_of(app, ids: Ids) -> list[Order]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Order).where(Order.account_id == ids.account).order_by(Order.id)
            )
        )


ROUNDS = 5


# SECURITY.md 35: one order per checkout, however many submits


def test_two_submits_of_one_checkout_at_once_make_one_order(pg_app):
    for _ in range(ROUNDS):
        # Given a buyer with a cart, and one checkout form (one token)
        ids = seed(pg_app, buyers=1)
        fill_cart(pg_app, ids, ids.buyers[0], quantity=3)
        token = uuid.uuid4().hex

        # When the form is submitted twice at the same moment
        results = at_once([placing(pg_app, ids, ids.buyers[0], token, from_cart=True)] * 2)

        # Then there is one order, both submits land on it, and the cart was emptied
        no_errors(results)
        (order,) = orders_of(pg_app, ids)
        assert [r["id"] for r in results] == [order.id, order.id]
        with pg_app.app_context():
            assert cart_queries.cart_items(ids.buyers[0]) == []


def test_two_checkout_posts_of_one_form_at_once_make_one_order(pg_app):
    """The same through HTTP: two browsers of one buyer post the same checkout form."""
    ids = seed(pg_app, buyers=1)
    clients = [pg_app.test_client() for _ in range(2)]
    for client in clients:
        assert login(client, ids.emails[0]).status_code == 302
    for _ in range(3):
        fill_cart(pg_app, ids, ids.buyers[0], quantity=2)
        form = {"ship_to": str(ids.address), "checkout_token": uuid.uuid4().hex}
        before = len(orders_of(pg_app, ids))

        def posting(client, form=form):
            def call(barrier):
                barrier.wait(WAIT)
                return client.post(f"/a/{ids.slug}/checkout", data=form)

            return call

        responses = at_once([posting(c) for c in clients])

        no_errors(responses)
        orders = orders_of(pg_app, ids)
        assert len(orders) == before + 1
        path = f"/a/{ids.slug}/orders/{orders[-1].number}"
        assert [(r.status_code, r.location) for r in responses] == [(303, path)] * 2
        with pg_app.app_context():
            assert cart_queries.cart_items(ids.buyers[0]) == []


# SECURITY.md 36: the last of the credit goes to one order only


def test_two_orders_for_the_last_of_the_credit_at_once_one_fits_and_one_is_held(pg_app):
    for _ in range(ROUNDS):
        # Given 1,000.00 of credit and two buyers, each ordering 600.00 at the same moment
        ids = seed(pg_app, buyers=2, credit_limit="1000.00", price="600.00")

        results = at_once([placing(pg_app, ids, buyer) for buyer in ids.buyers])

        # Then exactly one holds credit; the other is held for credit
        no_errors(results)
        fits = [r for r in results if r["status"] != "on_hold"]
        held = [r for r in results if r["status"] == "on_hold"]
        assert len(fits) == 1 and len(held) == 1, results
        assert (fits[0]["status"], fits[0]["is_over_credit"]) == ("submitted", False)
        assert held[0]["is_over_credit"]
        # And exposure never passes the limit
        with pg_app.app_context():
            assert credit.exposure(ids.account, "CNY").amount == Decimal("600.00")
            (held_order,) = [o for o in orders_of(pg_app, ids) if o.is_over_credit]
            assert held_order.hold_reason == "Exceeds available credit by CN¥200.00."


# SECURITY.md 38: SQLite under concurrent writers


THREADS = 8


def test_sqlite_serves_concurrent_orders_without_database_is_locked(sqlite_app):
    # Given an account on a file database with WAL, and eight buyers
    ids = seed(sqlite_app, buyers=THREADS)
    with sqlite_app.app_context():
        mode = db.session.execute(sa.text("PRAGMA journal_mode")).scalar()
    assert mode == "wal"

    results = []
    for _ in range(2):
        # When all of them place an order at the same moment
        results += at_once([placing(sqlite_app, ids, buyer) for buyer in ids.buyers])

    # Then each gets an order or a clean refusal, never "database is locked"
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, ServiceError)
    ]
    assert not unexpected, unexpected
    # (Nothing here is refused: every buyer gets an order, with numbers in sequence.)
    assert all(isinstance(r, dict) for r in results)
    orders = orders_of(sqlite_app, ids)
    assert len(orders) == 2 * THREADS
    numbers = sorted(int(re.search(r"\d{6}$", o.number).group()) for o in orders)
    assert numbers == list(range(numbers[0], numbers[0] + 2 * THREADS))
