"""The figures of a small hand-made history (three accounts, two years), computed by hand.

Every snapshot is as of 5 December 2026 (`today`), so the T12M is December 2025 to November 2026
and the prior 12 months December 2024 to November 2025.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.db import db_session_dialect
from portal.extensions import db
from portal.insights import figures
from portal.insights.models import AccountSnapshot, MonthlySales
from tests.factories import (
    AccountFactory,
    AccountSnapshotFactory,
    ContractFactory,
    HotlineRequestFactory,
    ListPriceFactory,
    MilestoneFactory,
    MonthlySalesFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    RefundFactory,
    SpendEstimateFactory,
    committed_once,
)
from tests.support.web import count_queries

TODAY = date(2026, 12, 5)
D = Decimal


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def order(contract, on, status, *lines, currency="CNY"):
    """An order of `lines`: (net, gross) or (net, gross, product, quantity); net None is an old
    order without VAT (its net is the line total)."""
    made = OrderFactory(
        contract=contract,
        placed_on=on,
        status=status,
        currency=currency,
        total_amount=sum(D(line[1]) for line in lines),
    )
    for position, line in enumerate(lines, start=1):
        net, gross = line[0], D(line[1])
        product, quantity = line[2:] if len(line) > 2 else (None, 1)
        OrderLineFactory(
            order=made,
            position=position,
            product_id=product.id if product else None,
            quantity=quantity,
            unit_price_amount=gross / quantity,
            line_total_amount=gross,
            net_amount=None if net is None else D(net),
            vat_amount=None if net is None else gross - D(net),
            tax_rate_percent=None if net is None else (D(13) if currency == "CNY" else D(0)),
        )
    return made


def refund(account, made, amount, on, status="refunded"):
    return RefundFactory(
        milestone=MilestoneFactory(order=made),
        payment__account=account,
        amount=D(amount),
        status=status,
        refunded_on=on,
    )


@pytest.fixture
def rates(app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTING_CURRENCY", "CNY")
    monkeypatch.setitem(app.config, "REPORTING_RATES", {"USD": D("7.10")})


@pytest.fixture
def history(rates):
    with committed_once():
        acme = AccountFactory(slug="acme", currency="CNY")
        bolt = AccountFactory(slug="bolt", currency="CNY")
        condor = AccountFactory(slug="condor", currency="USD", time_zone="America/New_York")
        a, b = ContractFactory(account=acme), ContractFactory(account=bolt)
        c = ContractFactory(account=condor, currency="USD")
        dock = ProductFactory()  # its cost is known in CNY (and in USD, which Acme never pays)
        ListPriceFactory(product=dock, currency="CNY", amount=D("565.00"), cost_amount=D("400"))
        ListPriceFactory(product=dock, currency="USD", amount=D("80.00"), cost_amount=D("50"))
        cable = ProductFactory()  # its cost is not known
        ListPriceFactory(product=cable, currency="CNY", amount=D("113.00"))

        # Acme, CNY, prices include 13% VAT.
        order(a, date(2024, 11, 15), "closed", ("700.00", "791.00"))  # its first order
        order(a, date(2025, 1, 10), "closed", ("1000.00", "1130.00"), ("500.00", "565.00"))
        order(a, date(2025, 3, 15), "closed", ("2000.00", "2260.00"))
        order(a, date(2025, 6, 20), "shipped", ("1000.00", "1130.00"))
        january = order(a, date(2026, 1, 5), "delivered", ("3000.00", "3390.00", cable, 30))
        refund(acme, january, "565.00", date(2026, 2, 10))
        refund(acme, january, "113.00", None, status="owed")  # not yet back: nothing off
        order(a, date(2026, 3, 10), "released", ("1000.00", "1130.00", dock, 2))
        order(a, date(2026, 3, 20), "closed", ("500.00", "565.00"))
        cancelled = order(a, date(2026, 4, 1), "cancelled", ("9999.00", "11298.87"))
        refund(acme, cancelled, "1000.00", date(2026, 4, 15))  # of a cancelled order: never counted
        order(a, date(2026, 5, 1), "pending_approval", ("5555.00", "6277.15"))
        order(a, date(2026, 6, 2), "on_hold", ("4444.00", "5021.72"))
        order(a, date(2026, 8, 1), "closed", (None, "2000.00"))  # before VAT was recorded
        order(a, date(2026, 11, 30), "closed", ("1000.00", "1130.00", dock, 1))
        order(a, date(2026, 12, 2), "released", ("1000.00", "1130.00"))  # this month
        SpendEstimateFactory(account=acme, amount=D("10000"), as_of=date(2025, 6, 1))
        SpendEstimateFactory(account=acme, amount=D("28000"), as_of=date(2026, 6, 1))
        SpendEstimateFactory(account=acme, amount=D("50000"), as_of=date(2027, 1, 1))  # later
        MonthlySalesFactory(account=acme, month=date(2026, 7, 1), net_amount=D("999"), orders=9)

        # Acme's hotline: due in the T12M and met, due and late, due and still open; due
        # before the T12M (answered within it); due this month.
        met = HotlineRequestFactory(account=acme, due_at=at("2026-02-10T02:00"))
        met.closed_at, met.status = at("2026-02-10T01:30"), "closed"
        met.survey_rating, met.survey_answered_at = 5, at("2026-02-11T03:00")
        late = HotlineRequestFactory(account=acme, due_at=at("2026-05-10T03:00"))
        late.closed_at, late.status = at("2026-05-11T03:00"), "closed"
        late.survey_rating, late.survey_answered_at = 4, at("2026-05-12T03:00")
        HotlineRequestFactory(account=acme, due_at=at("2026-07-01T02:00"))
        old = HotlineRequestFactory(account=acme, due_at=at("2025-11-20T02:00"))
        old.closed_at, old.status = at("2025-11-20T01:00"), "closed"
        old.survey_rating, old.survey_answered_at = 4, at("2026-01-05T03:00")
        older = HotlineRequestFactory(account=acme, due_at=at("2025-10-20T02:00"))
        older.closed_at, older.status = at("2025-10-20T01:00"), "closed"
        older.survey_rating, older.survey_answered_at = 1, at("2025-10-21T03:00")
        HotlineRequestFactory(account=acme, due_at=at("2026-12-03T02:00"))

        # Bolt, CNY: ordered less this year; its estimate is in dollars; it has a stage already.
        order(b, date(2025, 2, 10), "closed", ("800.00", "904.00"))
        order(b, date(2025, 5, 5), "delivered", ("400.00", "452.00"))
        order(b, date(2026, 2, 15), "closed", ("600.00", "678.00"))
        SpendEstimateFactory(account=bolt, amount=D("5000"), currency="USD")
        AccountSnapshotFactory(account=bolt, stage="retention", stage_rule="share_from")

        # Condor, USD, zero-rated export (gross = net): new this year.
        order(c, date(2026, 9, 10), "closed", ("1000.00", "1000.00"), currency="USD")
        order(c, date(2026, 10, 10), "shipped", ("200.00", "200.00"), currency="USD")
        SpendEstimateFactory(account=condor, amount=D("4000"), as_of=date(2026, 1, 1))
    return acme, bolt, condor


def snapshot(account) -> AccountSnapshot:
    return db.session.get(AccountSnapshot, account.id, populate_existing=True)


def monthly(account) -> list[tuple]:
    return [
        (m.month, m.net_amount, m.orders, m.costed_net_amount, m.cost_amount)
        for m in db.session.scalars(
            sa.select(MonthlySales)
            .where(MonthlySales.account_id == account.id)
            .order_by(MonthlySales.month)
        )
    ]


def test_acme_figures_match_the_hand_computed_ones(history):
    acme, _, _ = history
    assert figures.refresh_snapshots(today=TODAY) == 3
    s = snapshot(acme)
    assert (s.as_of, s.currency) == (TODAY, "CNY")
    # T12M, Dec 2025 - Nov 2026: Jan 3000.00 - Feb refund 565.00 x 3000.00 / 3390.00 = 500.00
    # + Mar 1000.00 + 500.00 + Aug 2000.00 (line total, no VAT recorded) + Nov 1000.00
    # = 7000.00. Not counted: the cancelled order (and its refund), the pending and the held
    # ones, the refund still owed, the order of December 2026.
    assert s.sales_t12m == D("7000.00")
    # Prior, Dec 2024 - Nov 2025: Jan 1500.00 + Mar 2000.00 + Jun 1000.00 = 4500.00 (Nov 2024's
    # 700.00 is before).
    assert s.sales_prior_12m == D("4500.00")
    # 7000 / 4500 - 1 = 0.55555... -> 55.56%
    assert s.growth_percent == D("55.56")
    # The latest estimate on or before 5 Dec 2026 is 28000 (1 Jun 2026; the one of 2027 is
    # later): 7000 / 28000 = 25.00%
    assert s.spend_estimate_amount == D("28000")
    assert s.wallet_share_percent == D("25.00")
    # Ordering months last year: Jan, Mar, Jun 2025; this year Jan and Mar 2026 too, not Jun:
    # 2 / 3 = 66.67%
    assert s.retention_percent == D("66.67")
    # First counted order Nov 2024; Dec 2026 - Nov 2024 = 25 months.
    assert s.months_of_history == 25
    # Orders Jan, Mar (two), Aug, Nov: 5; 7000.00 / 5 = 1400.00; 5 / 12 = 0.4166... -> 0.42
    assert s.orders_t12m == 5
    assert s.average_order_amount == D("1400.00")
    assert s.orders_per_month == D("0.42")
    # Lines with a known CNY cost: the dock, 2 in March (net 1000.00, cost 2 x 400 = 800) and
    # 1 in November (net 1000.00, cost 400): 2000.00 and 1200.00. The cable has no cost.
    assert (s.costed_sales_t12m, s.cost_t12m) == (D("2000.00"), D("1200.00"))
    # Due in the T12M: Feb (closed half an hour early: met), May (closed a day late), Jul
    # (still open): 3 due, 1 met. Oct/Nov 2025 and Dec 2026 are outside.
    assert (s.hotline_due, s.hotline_met) == (3, 1)
    # Answered in the T12M: 5 (Feb), 4 (May), 4 (Jan, of a request due before): 13 / 3 = 4.33
    # (the 1 of Oct 2025 is before).
    assert (s.survey_count, s.survey_average) == (3, D("4.33"))
    # 7000.00 CNY is 7000.00 in the reporting currency; Condor's 8520.00 ranks first.
    assert (s.sales_t12m_reporting, s.sales_rank) == (D("7000.00"), 2)
    # A new snapshot starts in acquisition, for the stages to set.
    assert (s.stage, s.stage_rule, s.is_at_risk) == ("acquisition", "new_account", False)


def test_acme_monthly_sales_hold_each_month_of_its_history(history):
    acme, _, _ = history
    figures.refresh_snapshots(today=TODAY)
    zero = D(0)
    assert monthly(acme) == [
        (date(2024, 11, 1), D("700.00"), 1, zero, zero),
        (date(2025, 1, 1), D("1500.00"), 1, zero, zero),
        (date(2025, 3, 1), D("2000.00"), 1, zero, zero),
        (date(2025, 6, 1), D("1000.00"), 1, zero, zero),
        (date(2026, 1, 1), D("3000.00"), 1, zero, zero),
        # Only the refund: 565.00 x 3000.00 / 3390.00 = 500.00 off.
        (date(2026, 2, 1), D("-500.00"), 0, zero, zero),
        (date(2026, 3, 1), D("1500.00"), 2, D("1000.00"), D("800.00")),
        # July's stale row is gone: nothing counted was placed then.
        (date(2026, 8, 1), D("2000.00"), 1, zero, zero),
        (date(2026, 11, 1), D("1000.00"), 1, D("1000.00"), D("400.00")),
        (date(2026, 12, 1), D("1000.00"), 1, zero, zero),
    ]


def test_bolt_shrank_and_kept_its_stage(history):
    _, bolt, _ = history
    figures.refresh_snapshots(today=TODAY)
    s = snapshot(bolt)
    # T12M: Feb 2026 600.00; prior: Feb 2025 800.00 + May 2025 400.00 = 1200.00
    assert (s.sales_t12m, s.sales_prior_12m) == (D("600.00"), D("1200.00"))
    # 600 / 1200 - 1 = -50.00%
    assert s.growth_percent == D("-50.00")
    # Its estimate is in USD, not its CNY: no wallet share.
    assert (s.spend_estimate_amount, s.wallet_share_percent) == (None, None)
    # Ordered Feb and May 2025; of those, Feb again in 2026: 1 / 2 = 50.00%
    assert s.retention_percent == D("50.00")
    # First order Feb 2025: Dec 2026 - Feb 2025 = 22 months.
    assert s.months_of_history == 22
    # 1 order; 600.00 / 1 = 600.00; 1 / 12 = 0.0833... -> 0.08
    assert (s.orders_t12m, s.average_order_amount, s.orders_per_month) == (
        1,
        D("600.00"),
        D("0.08"),
    )
    assert (s.hotline_due, s.hotline_met, s.survey_count, s.survey_average) == (0, 0, 0, None)
    # 600.00 CNY, third.
    assert (s.sales_t12m_reporting, s.sales_rank) == (D("600.00"), 3)
    # The stage stays as it was (the stages part sets it).
    assert (s.stage, s.stage_rule) == ("retention", "share_from")


def test_condor_trades_in_dollars_and_ranks_first_in_yuan(history):
    _, _, condor = history
    figures.refresh_snapshots(today=TODAY)
    s = snapshot(condor)
    # T12M: Sep 1000.00 + Oct 200.00 = 1200.00 USD (gross = net); nothing before.
    assert (s.currency, s.sales_t12m, s.sales_prior_12m) == ("USD", D("1200.00"), D("0"))
    # No prior sales: no growth; no ordering months last year: no retention.
    assert (s.growth_percent, s.retention_percent) == (None, None)
    # 1200 / 4000 = 30.00%
    assert s.wallet_share_percent == D("30.00")
    # First order Sep 2026: Dec 2026 - Sep 2026 = 3 months.
    assert s.months_of_history == 3
    # 2 orders: 1200.00 / 2 = 600.00; 2 / 12 = 0.1666... -> 0.17
    assert (s.orders_t12m, s.average_order_amount, s.orders_per_month) == (
        2,
        D("600.00"),
        D("0.17"),
    )
    # 1200.00 USD x 7.10 = 8520.00 CNY: the highest, first.
    assert (s.sales_t12m_reporting, s.sales_rank) == (D("8520.00"), 1)


def test_a_refresh_twice_gives_the_same_rows(history):
    acme, bolt, condor = history
    figures.refresh_snapshots(today=TODAY)
    columns = [c for c in AccountSnapshot.__table__.columns if c.name != "computed_at"]
    first = db.session.execute(sa.select(*columns).order_by(AccountSnapshot.account_id)).all()
    months = [monthly(a) for a in history]
    figures.refresh_snapshots(today=TODAY)
    again = db.session.execute(sa.select(*columns).order_by(AccountSnapshot.account_id)).all()
    assert again == first
    assert [monthly(a) for a in history] == months
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountSnapshot)) == 3


def test_without_today_each_account_counts_as_of_its_own_local_date(history, time_machine):
    acme, _, condor = history
    # 1 Jan 2027 03:00 in Shanghai is still 31 Dec 2026 in New York.
    time_machine.move_to(at("2026-12-31T19:00"), tick=False)
    figures.refresh_snapshots()
    assert snapshot(acme).as_of == date(2027, 1, 1)
    assert snapshot(condor).as_of == date(2026, 12, 31)
    # Acme's T12M is now Jan - Dec 2026: 7000.00 + Dec 1000.00 = 8000.00
    assert snapshot(acme).sales_t12m == D("8000.00")


def test_a_currency_without_a_reporting_rate_is_refused(history, app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTING_RATES", {})
    with pytest.raises(ValueError, match="USD"):
        figures.refresh_snapshots(today=TODAY)


def test_a_refresh_costs_the_same_statements_for_3_and_for_30_accounts(rates):
    counts = []
    for how_many in (3, 30):
        with committed_once():
            for _ in range(how_many - len(counts) * 3):
                contract = ContractFactory(account=AccountFactory())
                order(contract, date(2026, 3, 1), "closed", ("100.00", "113.00"))
                SpendEstimateFactory(account=contract.account)
                HotlineRequestFactory(account=contract.account, due_at=at("2026-04-01T02:00"))
        db.session.execute(sa.delete(AccountSnapshot))
        db.session.commit()
        with count_queries() as first:  # every snapshot new: inserted
            figures.refresh_snapshots(today=TODAY)
        with count_queries() as again:  # every snapshot there: updated
            figures.refresh_snapshots(today=TODAY)
        counts.append((len(first), len(again)))
    # Accounts, snapshots there, orders by month, their lines by month, refunds, estimates,
    # hotline, surveys; then delete and insert the months, and insert or update the snapshots;
    # on PostgreSQL first the memory to aggregate in.
    expected = 12 if db_session_dialect() == "postgresql" else 11
    assert counts == [(expected, expected), (expected, expected)]
    # Accounts with equal sales rank by id.
    ranks = db.session.scalars(
        sa.select(AccountSnapshot.sales_rank).order_by(AccountSnapshot.account_id)
    )
    assert list(ranks) == list(range(1, 31))


def test_a_percentage_rounds_half_up_and_stays_within_its_column():
    assert figures.percent(D(5), D(12)) == D("41.67")  # 41.666...
    assert figures.percent(D(1), D(8)) == D("12.50")  # 12.5 exactly
    assert figures.percent(D(1), D(800)) == D("0.13")  # 0.125: half-up, not to even
    assert figures.percent(D(1), D("0.000001")) == D("9999899.99")
    assert figures.percent(D(-1), D("0.000001")) == D("-9999899.99")
