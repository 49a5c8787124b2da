"""The account lock is what keeps two credit decisions apart (SECURITY.md 36), shown where no
other lock hides it: placing takes the order-number counter's row too, resuming a hold does not.
Mutation testing found that removing the lock's FOR UPDATE passed every test before this one.
"""

import contextlib
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.contracts.models import Contract
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.ordering import credit, placement, services
from portal.ordering.models import Order
from tests import factories
from tests.support.concurrency import WAIT, at_once, seed

pytestmark = pytest.mark.no_transaction

#: How long a resume that has checked the credit waits for the other to have checked too.
RENDEZVOUS = 3


def test_two_resumes_at_once_of_orders_held_for_credit_fit_only_one(pg_app, monkeypatch):
    # Given two orders of 600.00, both held for credit, and then room for one of them
    ids = seed(pg_app, buyers=2, credit_limit="100.00", price="600.00")
    with pg_app.app_context():
        account = db.session.get(KeyAccount, ids.account)
        held = [
            placement.place_order(
                db.session.get(User, buyer),
                account,
                placement.Checkout(ids.address),
                f"credit-lock-{buyer}",
                items=[(ids.sku, 1)],
            )
            for buyer in ids.buyers
        ]
        assert all(order.is_over_credit for order in held)
        held = [order.id for order in held]
        contract = db.session.scalar(sa.select(Contract).where(Contract.account_id == ids.account))
        contract.credit_limit_amount = Decimal("1000.00")
        finance = factories.UserFactory(account=None, role="finance", email="fin@race.example")
        finance_id = finance.id
        db.session.commit()

    # And each resume, once it has checked the credit, waits for the other to check as well
    # (without the lock both check before either commits; with it the second waits for the
    # first to commit and the rendezvous times out)
    rendezvous = threading.Barrier(2)
    checked = credit.credit_excess

    def credit_excess_then_wait(order):
        excess = checked(order)
        with contextlib.suppress(threading.BrokenBarrierError):
            rendezvous.wait(RENDEZVOUS)
        return excess

    monkeypatch.setattr(services, "credit_excess", credit_excess_then_wait)

    def resuming(order_id):
        def call(barrier):
            with pg_app.app_context():
                actor = db.session.get(User, finance_id)
                order = db.session.get(Order, order_id)
                barrier.wait(WAIT)
                services.resume_order(actor, order, "credit raised")
                return order.status

        return call

    # When finance resumes both at the same moment
    results = at_once([resuming(order_id) for order_id in held])

    # Then one resumes and the other is refused: exposure stays within the limit
    resumed = [r for r in results if r == "submitted"]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert (len(resumed), len(refused)) == (1, 1), results
    with pg_app.app_context():
        assert credit.exposure(ids.account, "CNY").amount == Decimal("600.00")
