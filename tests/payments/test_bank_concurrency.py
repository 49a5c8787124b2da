"""The same bank statement uploaded by two finance users at the same moment, in real threads
with their own app contexts and sessions: its lines are stored once and its payments applied
once (the line key's unique constraint, the account locks); and a queued line decided by two
people at once is decided once. On PostgreSQL (skips without one, fails in CI) and SQLite."""

import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.ordering.models import Milestone
from portal.payments import statement_services
from portal.payments.models import BankStatementLine, Payment
from tests import factories
from tests.support.bank import camt053, entry
from tests.support.concurrency import at_once, no_errors

pytestmark = pytest.mark.no_transaction

ROUNDS = 3


def seed(app) -> dict:
    """An account with two shipped orders' milestones of 1,000.00 CNY and two finance users."""
    with app.app_context():
        tag = uuid.uuid4().hex[:8]
        account = factories.AccountFactory(slug=f"bank-{tag}")
        contract = factories.ContractFactory(account=account)
        dues = []
        for _ in range(2):
            order = factories.OrderFactory(
                contract=contract, status="shipped", total_amount=Decimal("1000.00")
            )
            dues.append(factories.MilestoneFactory(order=order, position=1))
        finance = [
            factories.StaffFactory(role="finance", email=f"finance{i}-{tag}@northwind.example").id
            for i in range(2)
        ]
        return {
            "tag": tag,
            "account": account.id,
            "milestones": [m.id for m in dues],
            "numbers": [f"{m.order.number}-1" for m in dues],
            "finance": finance,
        }


def statement(ids) -> bytes:
    tag = ids["tag"]
    return camt053(
        [
            entry("1000.00", ids["numbers"][0], bank_reference=f"{tag}-1"),
            entry("400.00", ids["numbers"][1], bank_reference=f"{tag}-2"),
            entry("5.00", "no number", bank_reference=f"{tag}-3"),
            entry("5.00", f"no number and no bank reference {tag}"),
        ],
        statement_id=f"S-{tag}",
    )


def uploading(app, ids, who: int, data: bytes):
    def call(barrier):
        with app.app_context():
            finance = db.session.get(User, ids["finance"][who])
            barrier.wait(20)
            result = statement_services.upload_statement(finance, "s.xml", data)
            return (result.new, result.applied, result.queued, result.duplicates)

    return call


def state(app, ids):
    with app.app_context():
        paid = [db.session.get(Milestone, i).paid_amount for i in ids["milestones"]]
        payments = db.session.scalar(
            sa.select(sa.func.count(Payment.id)).where(Payment.account_id == ids["account"])
        )
        return paid, payments


def check_the_same_upload_twice_at_once(app):
    for _ in range(ROUNDS):
        ids = seed(app)
        data = statement(ids)
        results = at_once([uploading(app, ids, i, data) for i in range(2)])
        no_errors(results)
        # One upload stored and applied the four lines, the other found them all uploaded
        assert sorted(results) == [(0, 0, 0, 4), (4, 2, 2, 0)], results
        assert state(app, ids) == ([Decimal("1000.00"), Decimal("400.00")], 2)


def test_the_same_statement_uploaded_twice_at_once_applies_once_on_postgres(pg_app):
    check_the_same_upload_twice_at_once(pg_app)


def test_the_same_statement_uploaded_twice_at_once_applies_once_on_sqlite(sqlite_app):
    check_the_same_upload_twice_at_once(sqlite_app)


def deciding(app, ids, line_id, who: int, assign: bool):
    def call(barrier):
        with app.app_context():
            finance = db.session.get(User, ids["finance"][who])
            account = db.session.get(KeyAccount, ids["account"])
            barrier.wait(20)
            if assign:
                statement_services.assign_line(
                    finance, line_id, account, {ids["milestones"][1]: Decimal("5.00")}
                )
                return "assigned"
            statement_services.return_line(finance, line_id, "not ours")
            return "returned"

    return call


def test_a_queued_line_decided_twice_at_once_is_decided_once_on_postgres(pg_app):
    for _ in range(ROUNDS):
        ids = seed(pg_app)
        with pg_app.app_context():
            finance = db.session.get(User, ids["finance"][0])
            statement_services.upload_statement(finance, "s.xml", statement(ids))
            line_id = db.session.scalar(
                sa.select(BankStatementLine.id).where(
                    BankStatementLine.line_key == f"{ids['tag']}-3".upper()
                )
            )
        results = at_once(
            [deciding(pg_app, ids, line_id, 0, True), deciding(pg_app, ids, line_id, 1, False)]
        )
        done = [r for r in results if isinstance(r, str)]
        refused = [r for r in results if isinstance(r, ServiceError)]
        assert (len(done), len(refused)) == (1, 1), results
        assert "decided already" in refused[0].message
        paid, payments = state(pg_app, ids)
        assert paid[1] == (Decimal("405.00") if done == ["assigned"] else Decimal("400.00"))
        assert payments == (3 if done == ["assigned"] else 2)
