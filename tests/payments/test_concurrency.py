"""Two remittances for the last of a milestone at the same moment, in real threads with their
own app contexts and sessions: one is recorded, the other refused, and the milestone is never
paid beyond its amount (SECURITY.md 36). Runs on PostgreSQL (skips without one, fails in CI)
and on a SQLite file database."""

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.ordering.models import Milestone
from portal.payments import services
from portal.payments.models import Payment, PaymentAllocation
from tests import factories
from tests.support.concurrency import at_once

pytestmark = pytest.mark.no_transaction

ROUNDS = 5


def seed(app) -> dict:
    """An account of its own with one shipped order's milestone of 1,000.00 CNY, due today,
    and a finance user."""
    with app.app_context():
        tag = uuid.uuid4().hex[:10]
        account = factories.AccountFactory(slug=f"pay-{tag}")
        order = factories.OrderFactory(
            contract=factories.ContractFactory(account=account),
            status="shipped",
            total_amount=Decimal("1000.00"),
        )
        milestone = factories.MilestoneFactory(order=order, due_on=account.local_date())
        finance = factories.StaffFactory(role="finance", email=f"finance-{tag}@northwind.example")
        return {"account": account.id, "milestone": milestone.id, "finance": finance.id}


def remitting(app, ids: dict, reference: str, amount: str):
    def call(barrier):
        with app.app_context():
            finance = db.session.get(User, ids["finance"])
            account = db.session.get(KeyAccount, ids["account"])
            remittance = services.Remittance(
                amount=Decimal(amount),
                received_on=account.local_date(),  # today where the account is
                reference=reference,
                allocations={ids["milestone"]: Decimal(amount)},
            )
            barrier.wait(20)
            return services.record_remittance(finance, account, remittance).id

    return call


def state(app, ids: dict) -> tuple[Decimal, Decimal, int]:
    with app.app_context():
        milestone = db.session.get(Milestone, ids["milestone"])
        allocated = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PaymentAllocation.amount), 0)).where(
                PaymentAllocation.milestone_id == milestone.id
            )
        )
        payments = db.session.scalar(
            sa.select(sa.func.count(Payment.id)).where(Payment.account_id == ids["account"])
        )
        return milestone.paid_amount, Decimal(allocated), payments


def assert_one_recorded(results, app, ids) -> None:
    recorded = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert (len(recorded), len(refused)) == (1, 1), results
    assert "unpaid" in refused[0].message
    assert state(app, ids) == (Decimal("800.00"), Decimal("800.00"), 1)


def test_two_remittances_for_the_last_of_a_milestone_at_once_on_postgres(pg_app):
    for _ in range(ROUNDS):
        # Given a milestone of 1,000.00 and two transfers of 800.00 recorded at the same moment
        ids = seed(pg_app)
        results = at_once([remitting(pg_app, ids, f"REF-{i}", "800.00") for i in range(2)])
        # Then one is recorded and the other refused: it is never paid beyond its amount
        assert_one_recorded(results, pg_app, ids)


def test_two_remittances_for_the_last_of_a_milestone_at_once_on_sqlite(sqlite_app):
    for _ in range(ROUNDS):
        ids = seed(sqlite_app)
        results = at_once([remitting(sqlite_app, ids, f"REF-{i}", "800.00") for i in range(2)])
        assert_one_recorded(results, sqlite_app, ids)


def test_the_same_transfer_recorded_twice_at_once_is_recorded_once(pg_app):
    for _ in range(ROUNDS):
        ids = seed(pg_app)
        results = at_once([remitting(pg_app, ids, "SAME-REF", "100.00") for _ in range(2)])
        recorded = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if isinstance(r, ServiceError)]
        assert (len(recorded), len(refused)) == (1, 1), results
        assert "already recorded" in refused[0].message
        assert state(pg_app, ids) == (Decimal("100.00"), Decimal("100.00"), 1)
