"""Two adds of one user at the same moment (a double click, two tabs) add up: the cart is made
once and locked, so neither a unique violation nor a lost update reaches the buyer."""

import dataclasses
import threading

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.cart import queries as cart_queries
from portal.cart import quick_order, services
from portal.cart.models import Cart
from portal.catalog.models import Product
from portal.extensions import db
from tests.support.concurrency import WAIT, at_once, no_errors, seed

pytestmark = pytest.mark.no_transaction

ROUNDS = 5


def adding(app, ids, buyer: int, quantity: int):
    def call(barrier):
        with app.app_context():
            user = db.session.get(User, buyer)
            account = db.session.get(KeyAccount, ids.account)
            barrier.wait(WAIT)
            return services.add_rows(
                user, account, quick_order.parse_pasted(f"{ids.sku} {quantity}")
            ).units

    return call


def upper_case_sku(app, ids):
    """The catalog stores SKUs in upper case (catalog.services.SKU_PATTERN); seed() does not."""
    with app.app_context():
        db.session.execute(
            sa.update(Product).where(Product.sku == ids.sku).values(sku=ids.sku.upper())
        )
        db.session.commit()
    return dataclasses.replace(ids, sku=ids.sku.upper())


@pytest.mark.parametrize("already", [0, 5], ids=["new cart", "line in the cart"])
@pytest.mark.parametrize("which", ["pg_app", "sqlite_app"])
def test_two_adds_of_one_user_at_once_add_up(request, which, already):
    app = request.getfixturevalue(which)
    for _ in range(ROUNDS):
        # Given a buyer with no cart yet, or with the product in the cart already
        ids = upper_case_sku(app, seed(app, buyers=1))
        buyer = ids.buyers[0]
        if already:
            adding(app, ids, buyer, already)(threading.Barrier(1))

        # When two requests of theirs add 1 and 2 at the same moment
        results = at_once([adding(app, ids, buyer, 1), adding(app, ids, buyer, 2)])

        # Then both count, in one cart
        no_errors(results)
        with app.app_context():
            assert cart_queries.cart_items(buyer) == [(ids.sku, already + 3)]
            carts = db.session.scalar(
                sa.select(sa.func.count(Cart.id)).where(Cart.user_id == buyer)
            )
            assert carts == 1
