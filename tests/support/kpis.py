"""A small hand-made world for the KPI tests and pages, read on 5 Dec 2026 (Asia/Shanghai):
reps in a team and out of one, accounts in two currencies, their monthly sales, quotes,
hotline requests with surveys, care tasks with their contacts, and stage snapshots. The values
each KPI should take are worked out by hand in tests/insights/test_kpis.py."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from portal.accounts.models import KeyAccount, Team, User
from portal.quotes.models import QuoteVersion
from tests import factories

TODAY = date(2026, 12, 5)
#: 12:00 in Shanghai on TODAY.
NOW = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@dataclass
class World:
    east: Team
    inside: User
    inside2: User
    field: User
    manager: User
    acme: KeyAccount
    globex: KeyAccount
    initech: KeyAccount
    lotus: KeyAccount


def sales(account, month: date, net, orders, costed="0", cost="0"):
    factories.MonthlySalesFactory(
        account=account,
        month=month,
        net_amount=Decimal(net),
        orders=orders,
        costed_net_amount=Decimal(costed),
        cost_amount=Decimal(cost),
    )


def quote(account, rep, status, *, accepted_at=None, lost_at=None):
    made = factories.QuoteFactory(
        account=account, assignee=rep, status=status, lost_at=lost_at, currency=account.currency
    )
    if accepted_at is not None:
        factories.db.session.add(
            QuoteVersion(
                quote_id=made.id,
                account_id=account.id,
                number=2,
                side="supplier",
                status="sent",
                accepted_at=accepted_at,
            )
        )
        factories.db.session.flush()
    return made


def request(account, rep, due_at, *, claimed_at=None, closed_at=None, rating=None, rated_at=None):
    return factories.HotlineRequestFactory(
        account=account,
        assignee=rep,
        due_at=due_at,
        claimed_at=claimed_at,
        closed_at=closed_at,
        status="closed" if closed_at else "in_progress" if claimed_at else "open",
        survey_rating=rating,
        survey_answered_at=rated_at,
    )


def build_world() -> World:
    with factories.committed_once():
        east = factories.TeamFactory(name="East desk")
        staff = factories.StaffFactory
        inside = staff(email="inside@northwind.example", name="Ina", role="inside_sales", team=east)
        inside2 = staff(email="inside2@northwind.example", name="Ivo", role="inside_sales")
        field = staff(email="field@northwind.example", name="Fay", role="field_sales", team=east)
        manager = staff(email="manager@northwind.example", name="Max", role="sales_manager")
        account = factories.AccountFactory
        acme = account(slug="acme", name="Acme", inside_sales_rep=inside, field_sales_rep=field)
        globex = account(
            slug="globex",
            name="Globex",
            currency="USD",
            inside_sales_rep=inside2,
            field_sales_rep=field,
        )
        initech = account(slug="initech", name="Initech", inside_sales_rep=inside)
        lotus = account(slug="lotus", name="Lotus", inside_sales_rep=inside, field_sales_rep=field)

        # Sales: the period (last 12 complete months) is Dec 2025 to Nov 2026.
        sales(acme, date(2025, 11, 1), "5000.00", 9, "5000.00", "1000.00")  # before it
        sales(acme, date(2025, 12, 1), "1000.00", 2, "800.00", "600.00")
        sales(acme, date(2026, 6, 1), "2000.00", 3, "1000.00", "900.00")
        sales(globex, date(2026, 3, 1), "100.00", 1, "100.00", "50.00")  # USD
        sales(initech, date(2026, 11, 1), "500.00", 1)
        sales(initech, date(2026, 12, 1), "700.00", 1)  # this month: after it

        # Quotes of Ina: two won and one lost in the period, one lost before it.
        quote(acme, inside, "ordered", accepted_at=at(2026, 3, 10, 2))
        quote(acme, inside, "lost", lost_at=at(2026, 4, 1, 2))
        quote(acme, inside, "lost", lost_at=at(2025, 10, 1, 2))
        quote(initech, inside, "accepted", accepted_at=at(2026, 11, 30, 2))
        quote(globex, inside2, "sent")

        # Hotline: Ina's requests
        request(acme, inside, at(2026, 5, 1, 8), claimed_at=at(2026, 5, 1, 7),
                closed_at=at(2026, 5, 1, 7, 30), rating=5, rated_at=at(2026, 5, 2, 1))  # fmt: skip
        claimed = request(acme, inside, at(2026, 5, 2, 8), claimed_at=at(2026, 5, 2, 7),
                          closed_at=at(2026, 5, 2, 9))  # fmt: skip
        factories.RequestEventFactory(request=claimed, kind="call", at=at(2026, 5, 2, 7, 30))
        request(acme, inside, at(2026, 6, 1, 8), claimed_at=at(2026, 6, 1, 7),
                closed_at=at(2026, 6, 1, 8), rating=4, rated_at=at(2026, 6, 3, 1))  # fmt: skip
        request(acme, inside, at(2026, 7, 1, 8), claimed_at=at(2026, 7, 1, 9))  # still open
        request(acme, inside, at(2026, 12, 10, 8))  # deadline still ahead
        request(acme, inside, at(2025, 11, 1, 8))  # before the period
        # ... and Ivo's: met by closing; the survey answered before the period
        request(globex, inside2, at(2026, 2, 1, 8), closed_at=at(2026, 2, 1, 6), rating=2,
                rated_at=at(2025, 11, 20, 1))  # fmt: skip

        # Care: Acme's monthly call (Ina's duty), its contacts in Shanghai's days
        call = factories.CareTaskFactory(account=acme, every_days=30, next_due_on=date(2027, 1, 10))
        for moment in (
            at(2026, 1, 5, 2),  # Mon 5 Jan: the first, not judged
            at(2026, 2, 3, 2),  # due Wed 4 Feb: on time
            at(2026, 3, 12, 2),  # due Thu 5 Mar: late
            at(2026, 4, 13, 2),  # due Sat 11 Apr, so Mon 13 Apr: on time
        ):
            factories.CareContactFactory(task=call, at=moment, by=inside)
        # Initech's weekly check, overdue since 20 Nov; a stopped one is not counted
        factories.CareTaskFactory(account=initech, every_days=7, next_due_on=date(2026, 11, 20))
        factories.CareTaskFactory(
            account=initech, every_days=7, next_due_on=date(2026, 10, 1), is_active=False
        )

        # Stages: Acme and Lotus in retention, Globex in expansion; Initech not staged yet.
        factories.AccountSnapshotFactory(account=acme, stage="retention", stage_rule="share_from")
        factories.AccountSnapshotFactory(account=lotus, stage="retention", stage_rule="share_from")
        factories.AccountSnapshotFactory(account=globex)
        return World(east, inside, inside2, field, manager, acme, globex, initech, lotus)
