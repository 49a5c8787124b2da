"""The same spend estimate sent twice at the same moment (a double click): the account's row
lock makes the second see the first, and one row is written."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.core.db import write_ahead
from portal.extensions import db
from portal.insights import estimates
from portal.insights.models import SpendEstimate
from tests import factories
from tests.support.concurrency import WAIT, at_once, no_errors

pytestmark = pytest.mark.no_transaction


def sending(app, account_id: int, actor_id: int):
    def call(barrier):
        with app.app_context():
            write_ahead()  # as a POST request does
            account = db.session.get(KeyAccount, account_id)
            actor = db.session.get(User, actor_id)
            db.session.commit()  # SQLite: no write lock held while waiting for the other
            barrier.wait(WAIT)
            return estimates.add_estimate(
                actor, account, Decimal("2500000.00"), date(2025, 6, 30), "Annual report 2025"
            ).id

    return call


@pytest.mark.parametrize("which", ["pg_app", "sqlite_app"])
def test_two_identical_estimates_at_once_write_one_row(request, which):
    app = request.getfixturevalue(which)
    with app.app_context():
        account = factories.AccountFactory(slug=f"race-{uuid.uuid4().hex[:10]}")
        actor = factories.StaffFactory(role="inside_sales")
        db.session.commit()
        ids = (account.id, actor.id)
    results = at_once([sending(app, *ids), sending(app, *ids)])
    no_errors(results)
    assert results[0] == results[1]
    with app.app_context():
        rows = db.session.scalar(
            sa.select(sa.func.count(SpendEstimate.id)).where(SpendEstimate.account_id == ids[0])
        )
        assert rows == 1
