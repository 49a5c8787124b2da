"""Two tabs ordering one quote (报价单) at the same moment, in real threads, each with its own
app context and session, on a PostgreSQL database of this module's own (`pg_app`,
tests/fixtures/own_databases.py): one order, whatever the tokens."""

import uuid

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.ordering.models import Order
from portal.ordering.placement import Checkout
from portal.quotes import orders, queries
from portal.quotes.models import Quote, QuoteEvent
from tests.support.concurrency import WAIT, at_once, seed
from tests.support.quotes import accepted_quote

pytestmark = pytest.mark.no_transaction

ROUNDS = 5


def ordering(app, ids, number: str, token: str):
    """A call for `at_once`: the buyer orders the quote in an app context of its own; the
    order's id, or the exception."""

    def call(barrier):
        with app.app_context():
            buyer = db.session.get(User, ids.buyers[0])
            account = db.session.get(KeyAccount, ids.account)
            quote = queries.quote_of_account(account.id, number)
            barrier.wait(WAIT)
            return orders.order_quote(buyer, account, quote, Checkout(ids.address), token).id

    return call


@pytest.mark.parametrize("same_token", [False, True], ids=["two tabs", "double click"])
def test_one_quote_ordered_twice_at_once_makes_one_order(pg_app, same_token):
    for _ in range(ROUNDS):
        # Given an accepted quote, and two submits at the same moment
        ids = seed(pg_app, buyers=1)
        with pg_app.app_context():
            number = accepted_quote(ids.slug, [(ids.sku, 2, "550.00")]).number
        tokens = [uuid.uuid4().hex] * 2 if same_token else [uuid.uuid4().hex for _ in "ab"]

        results = at_once([ordering(pg_app, ids, number, token) for token in tokens])

        # Then one order; the other submit lands on it (one token) or is refused naming it
        with pg_app.app_context():
            (order,) = db.session.scalars(sa.select(Order).where(Order.account_id == ids.account))
            quote = db.session.scalar(sa.select(Quote).where(Quote.number == number))
            assert (quote.status, quote.order_id) == ("ordered", order.id)
            kinds = db.session.scalars(
                sa.select(QuoteEvent.kind).where(QuoteEvent.quote_id == quote.id)
            ).all()
            assert kinds.count("ordered") == 1
        if same_token:
            assert results == [order.id, order.id]
        else:
            assert order.id in results
            (refused,) = [r for r in results if r != order.id]
            assert isinstance(refused, ServiceError), refused
            assert f"was ordered already: order {order.number}." in refused.message
