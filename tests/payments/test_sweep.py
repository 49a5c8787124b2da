"""The daily overdue sweep: it marks unpaid milestones past their due date in the account's
time zone, reminds the buyer who placed the order and every active finance user once, unmarks
what got paid, and two sweeps at once still remind once. The CLI command runs it."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.contracts.services import today_for
from portal.extensions import db
from portal.notifications.models import Notice
from portal.ordering.models import Milestone
from portal.payments.sweep import SweepResult, sweep_overdue
from tests import factories
from tests.support.concurrency import at_once
from tests.support.web import signed_in

# Overdue is counted in each account's own days: CI runs these at several clocks and zones.
pytestmark = pytest.mark.date_sensitive


def due(order, position=1, *, days_ago=1, paid="0", amount="100.00"):
    """A milestone of `order` due `days_ago` days before the account's today."""
    today = today_for(db.session.get(KeyAccount, order.account_id))
    due_on = today - timedelta(days=days_ago)
    return factories.MilestoneFactory(
        order=order,
        position=position,
        amount=Decimal(amount),
        paid_amount=Decimal(paid),
        due_on=due_on,
        invoiced_on=min(today, due_on),
    )


def fresh(milestone) -> Milestone:
    db.session.expire_all()
    return db.session.get(Milestone, milestone.id)


def notices() -> list[tuple[int, str, str]]:
    db.session.expire_all()
    return [
        (n.user_id, n.text, n.link)
        for n in db.session.scalars(sa.select(Notice).order_by(Notice.id))
    ]


@pytest.fixture
def acme():
    with factories.committed_once():
        account = factories.AccountFactory(slug="acme", name="Acme Hospital Group")
        buyer = factories.UserFactory(account=account, email="buyer@acme.example")
        contract = factories.ContractFactory(account=account)
        return {
            "account": account,
            "buyer": buyer,
            "contract": contract,
            "order": factories.OrderFactory(contract=contract, placed_by=buyer, status="shipped"),
            "finance": [
                factories.StaffFactory(role="finance", email=f"finance{n}@northwind.example")
                for n in range(2)
            ],
            # Neither an inactive finance user nor other staff hear of it
            "retired": factories.StaffFactory(
                role="finance", email="retired@northwind.example", is_active=False
            ),
            "inside": factories.StaffFactory(role="inside_sales", email="inside@northwind.example"),
        }


def test_an_unpaid_milestone_past_its_due_date_is_marked_and_reminded_once(acme):
    # Given a milestone due yesterday, partly paid
    late = due(acme["order"], days_ago=1, paid="40.00")
    number = f"{acme['order'].number}-1"

    # When the sweep runs
    result = sweep_overdue()

    # Then it is overdue since today (the day after its due date)
    assert fresh(late).overdue_since == late.due_on + timedelta(days=1)
    assert result == SweepResult(marked=1, cleared=0, notices=3)
    # The buyer who placed the order hears of it, with a link to the invoice; so does each
    # active finance user, with a link to the desk
    sent = notices()
    [to_buyer] = [n for n in sent if n[0] == acme["buyer"].id]
    assert number in to_buyer[1] and "CN¥60.00" in to_buyer[1]
    assert to_buyer[2] == f"/a/acme/invoices/{number}"
    to_finance = [n for n in sent if n[0] != acme["buyer"].id]
    assert sorted(n[0] for n in to_finance) == sorted(u.id for u in acme["finance"])
    assert all("Acme Hospital Group" in n[1] and number in n[1] for n in to_finance)
    assert all(n[2] == "/staff/finance?account=acme" for n in to_finance)

    # And a second sweep the same day changes nothing and sends nothing
    assert sweep_overdue() == SweepResult(marked=0, cleared=0, notices=0)
    assert len(notices()) == 3
    assert fresh(late).overdue_since == late.due_on + timedelta(days=1)


def test_a_milestone_long_overdue_is_overdue_since_the_day_after_its_due_date(acme):
    late = due(acme["order"], days_ago=40)
    sweep_overdue()
    assert fresh(late).overdue_since == late.due_on + timedelta(days=1)


def test_only_unpaid_milestones_of_open_orders_past_their_due_date_are_marked(acme):
    order = acme["order"]
    today_due = due(order, 1, days_ago=0)
    paid = due(order, 2, days_ago=5, paid="100.00")
    no_date = factories.MilestoneFactory(order=order, position=3)
    cancelled = factories.OrderFactory(
        contract=acme["contract"], placed_by=acme["buyer"], status="cancelled"
    )
    of_cancelled = due(cancelled, 1, days_ago=5)
    closed = factories.OrderFactory(
        contract=acme["contract"], placed_by=acme["buyer"], status="closed"
    )
    of_closed = due(closed, 1, days_ago=5)

    assert sweep_overdue() == SweepResult(marked=0, cleared=0, notices=0)
    for milestone in (today_due, paid, no_date, of_cancelled, of_closed):
        assert fresh(milestone).overdue_since is None
    assert notices() == []


def test_a_milestone_paid_after_it_was_marked_is_cleared_without_a_notice(acme):
    late = due(acme["order"], 1, days_ago=3)
    other = due(acme["order"], 2, days_ago=3)
    sweep_overdue()
    sent = len(notices())
    paid = fresh(late)
    paid.paid_amount = paid.amount
    db.session.commit()

    assert sweep_overdue() == SweepResult(marked=0, cleared=1, notices=0)
    assert fresh(late).overdue_since is None
    assert fresh(other).overdue_since is not None
    assert len(notices()) == sent


def test_the_milestones_of_an_order_cancelled_after_they_were_marked_are_cleared(acme):
    late = due(acme["order"], days_ago=3)
    sweep_overdue()
    acme["order"].status = "cancelled"
    db.session.commit()
    assert sweep_overdue().cleared == 1
    assert fresh(late).overdue_since is None


def test_a_buyer_no_longer_active_is_not_reminded(acme):
    due(acme["order"], days_ago=2)
    acme["buyer"].is_active = False
    db.session.commit()
    assert sweep_overdue() == SweepResult(marked=1, cleared=0, notices=2)
    assert acme["buyer"].id not in [n[0] for n in notices()]


def test_today_is_the_accounts_own(acme):
    # Given a milestone due on the 10th, in Shanghai (UTC+8) and in New York
    order = acme["order"]
    ny = factories.AccountFactory(slug="ny", name="New York Clinic", time_zone="America/New_York")
    ny_order = factories.OrderFactory(
        contract=factories.ContractFactory(account=ny), status="shipped"
    )
    tenth = date(2026, 3, 10)
    shanghai_milestone = factories.MilestoneFactory(
        order=order, position=1, due_on=tenth, invoiced_on=tenth, amount=Decimal("100.00")
    )
    ny_milestone = factories.MilestoneFactory(
        order=ny_order, position=1, due_on=tenth, invoiced_on=tenth, amount=Decimal("100.00")
    )

    # When the sweep runs at 18:00 UTC on the 10th: already the 11th in Shanghai, still the
    # 10th in New York (and in UTC)
    at = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("portal.accounts.models.utcnow", lambda: at)
        result = sweep_overdue()

    # Then only Shanghai's is overdue, since the 11th
    assert result.marked == 1
    assert fresh(shanghai_milestone).overdue_since == date(2026, 3, 11)
    assert fresh(ny_milestone).overdue_since is None

    # And on the 11th in New York too, New York's is
    assert sweep_overdue(today_for=lambda account: date(2026, 3, 11)).marked == 1
    assert fresh(ny_milestone).overdue_since == date(2026, 3, 11)


def test_the_cli_command_runs_the_sweep(app, acme):
    late = due(acme["order"], days_ago=1)
    output = app.test_cli_runner().invoke(args=["sweep-overdue"])
    assert output.exit_code == 0, output.output
    assert "1 newly overdue, 0 cleared, 3 notices written" in output.output
    assert fresh(late).overdue_since is not None
    again = app.test_cli_runner().invoke(args=["sweep-overdue"])
    assert "0 newly overdue, 0 cleared, 0 notices written" in again.output


def test_the_statement_and_the_finance_desk_agree_with_the_sweep(web, acme):
    """The statement shows overdue since the day the sweep records; the desk counts the days
    overdue from the same due date."""
    from tests.support.web import signed_in

    late = due(acme["order"], days_ago=3)
    sweep_overdue()
    since = fresh(late).overdue_since
    statement = signed_in(web, "buyer@acme.example").get("/a/acme/invoices?status=overdue")
    assert 'data-status="overdue"' in statement.data.decode()
    desk = signed_in(web, "finance0@northwind.example").get("/staff/finance").data.decode()
    assert f'data-milestone-id="{late.id}"' in desk
    assert 'data-days-overdue="3"' in desk
    assert since == late.due_on + timedelta(days=1)


# Two sweeps at once


def seed(app) -> dict:
    """An account of its own with one milestone due yesterday, its buyer and a finance user."""
    with app.app_context():
        tag = uuid.uuid4().hex[:10]
        account = factories.AccountFactory(slug=f"sweep-{tag}")
        buyer = factories.UserFactory(account=account, email=f"buyer-{tag}@example.com")
        order = factories.OrderFactory(
            contract=factories.ContractFactory(account=account), placed_by=buyer, status="shipped"
        )
        milestone = due(order, days_ago=1)
        factories.StaffFactory(role="finance", email=f"finance-{tag}@northwind.example")
        return {"milestone": milestone.id, "link": f"/a/{account.slug}/invoices/{order.number}-1"}


def sweeping(app):
    def call(barrier):
        with app.app_context():
            barrier.wait(20)
            return sweep_overdue()

    return call


def assert_reminded_once(app, results, ids) -> None:
    """Whichever sweep marked it: one notice to the buyer, one to each active finance user."""
    assert all(isinstance(r, SweepResult) for r in results), results
    number = ids["link"].rsplit("/", 1)[1]
    with app.app_context():
        assert db.session.get(Milestone, ids["milestone"]).overdue_since is not None
        to_buyer = db.session.scalar(
            sa.select(sa.func.count(Notice.id)).where(Notice.link == ids["link"])
        )
        mentioning = db.session.scalar(
            sa.select(sa.func.count(Notice.id)).where(Notice.text.contains(number))
        )
        finance = db.session.scalar(
            sa.select(sa.func.count(User.id)).where(User.role == "finance", User.is_active)
        )
    assert (to_buyer, mentioning) == (1, 1 + finance)


@pytest.mark.no_transaction
def test_two_sweeps_at_once_remind_once_on_postgres(pg_app):
    for _ in range(5):
        ids = seed(pg_app)
        results = at_once([sweeping(pg_app) for _ in range(2)])
        assert_reminded_once(pg_app, results, ids)


@pytest.mark.no_transaction
def test_two_sweeps_at_once_remind_once_on_sqlite(sqlite_app):
    for _ in range(5):
        ids = seed(sqlite_app)
        results = at_once([sweeping(sqlite_app) for _ in range(2)])
        assert_reminded_once(sqlite_app, results, ids)


def test_finance_reads_the_sweeps_reminder_on_the_staff_dashboard_and_marks_it_read(web, acme):
    due(acme["order"], days_ago=3)
    sweep_overdue()
    finance = signed_in(web, acme["finance"][0].email)

    dashboard = finance.get("/staff/").get_data(as_text=True)
    assert "data-notice-id" in dashboard
    assert f"{acme['order'].number}-1" in dashboard
    assert "/staff/finance?account=acme" in dashboard

    assert finance.post("/staff/notices/read").status_code == 303
    assert "data-notice-id" not in finance.get("/staff/").get_data(as_text=True)
    # Only the reader's own notices are marked read.
    unread = db.session.scalars(sa.select(Notice).where(Notice.read_at.is_(None))).all()
    assert {n.user_id for n in unread} == {acme["buyer"].id, acme["finance"][1].id}
