"""Each key account's figures (DESIGN.md section 4, "Key-account insights"), kept as snapshots.

`refresh_snapshots` recomputes, for every key account, its monthly sales (MonthlySales, the
last 36 months) and its snapshot (AccountSnapshot) as of the account's local today, in a fixed
handful of set-based statements (grouped by account and month) however many accounts and
orders there are. What the figures mean, as staff read them:

- **Counted orders**: orders released to production or later (released, shipped, delivered,
  closed), in the calendar month of the day they were placed (the account's local date).
  Cancelled orders never count, nor do orders waiting for approval, submitted, confirmed or on
  hold. Their amount is net of VAT: the sum of their lines' net amounts (the line total for
  orders placed before VAT was recorded).
- **Refunds**: a refund confirmed (status "refunded") of a counted order takes its net share
  (refund x order net / order gross, rounded half-up to the cent) off the month it was refunded
  in. Refunds of cancelled orders take nothing off: the cancelled order never counted.
- **T12M** (trailing 12 months): the counted sales of the 12 complete calendar months before
  the month of the snapshot's date (as of 5 December 2026: December 2025 to November 2026); the
  current month, still running, does not count. **Prior 12 months**: the 12 months before those.
  **Growth** = T12M / prior 12 months - 1, none when the prior 12 months sold nothing.
- **Wallet share** = T12M / the latest spend estimate (by its date, then entry) dated on or
  before the snapshot's date; none without an estimate or when the estimate is in another
  currency than the account's.
- **Retention**: of the calendar months of the prior 12 months in which the account placed a
  counted order, the share whose same month a year later (in the T12M) also had one; none when
  it placed no counted order in the prior 12 months.
- **Months of history**: whole months from the month of its first counted order to the month of
  the snapshot's date (first ordered in December 2025, as of December 2026: 12); 0 without any.
- **Orders**, **average order value** (T12M / orders) and **frequency** (orders / 12 per month)
  over the T12M.
- **Margin inputs**: over the T12M lines whose product has a known unit cost in the order's
  currency (catalog list price's cost, as it is now): their net, and their cost (quantity x unit
  cost). Refunds do not change them.
- **Hotline deadlines**: the requests whose response deadline fell in the T12M months, and those
  of them closed by their deadline (closed at or before it: the rule by which the deadline sweep
  escalates a request still open or in progress as "unanswered"). The month of a deadline, and of
  a survey answer, is its UTC calendar month (deadlines fall in business hours, which for the
  accounts in China are the same day in UTC).
- **Survey**: the ratings (1 to 5) of hotline surveys answered in the T12M months, their count
  and average.
- **Reporting T12M**: T12M converted to the reporting currency at the configured rate
  (REPORTING_CURRENCY, REPORTING_RATES), rounded half-up to the cent; **sales rank** 1 is the
  highest, ties by account id.

Percentages are stored as percent rounded half-up to two places. The stage columns are left as
they were for existing snapshots (stages.assign_stages sets them right after); a new snapshot
starts in acquisition, rule "new_account".
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from portal.accounts.models import KeyAccount
from portal.catalog.models import ListPrice
from portal.core.dates import month_start_sql
from portal.core.db import Amount, begin_write, db_session_dialect, utcnow
from portal.core.money import quantize
from portal.extensions import db
from portal.hotline.models import HotlineRequest
from portal.insights.models import AccountSnapshot, MonthlySales, SpendEstimate
from portal.insights.periods import reporting
from portal.ordering.lifecycle import PAST_THE_GATE
from portal.ordering.models import Order, OrderLine
from portal.payments.models import Refund

#: Orders whose sales count: released to production or later, not cancelled.
COUNTED_STATUSES = tuple(s for s in PAST_THE_GATE if s != "cancelled")
#: How many calendar months of MonthlySales each refresh rewrites (the current one included).
HISTORY_MONTHS = 36
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
#: The largest value a Percent column (NUMERIC(9, 2)) holds, less 100 so growth fits too.
PERCENT_LIMIT = Decimal("9999999.99") - HUNDRED


def refresh_snapshots(today: date | None = None) -> int:
    """Recompute MonthlySales and AccountSnapshot for every key account as of its local today
    (or `today`, for tests and benchmarks); commits; returns how many accounts."""
    begin_write(db.session)
    if db_session_dialect() == "postgresql":
        # Room to aggregate a million orders' lines by account and month in memory: the
        # planner overestimates the groups (no statistics on months) and would sort on disk.
        db.session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    accounts = _accounts(today)
    if not accounts:
        db.session.commit()
        return 0
    first = min(a.month for a in accounts) - (HISTORY_MONTHS - 1)
    last_day = max(a.as_of for a in accounts)
    months, first_months = _monthly_sales(first, last_day)
    estimates = _latest_estimates(accounts, last_day)
    hotline = _hotline(first)
    surveys = _surveys(first)
    snapshots = [_snapshot(a, months, first_months, estimates, hotline, surveys) for a in accounts]
    _rank(snapshots)
    now = utcnow()
    for snapshot in snapshots:
        snapshot["computed_at"] = now
    _write(accounts, months, month_start(first), snapshots)
    db.session.commit()
    return len(accounts)


# Months as integers (year x 12 + month - 1), the same on every database


def month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)


# Reading


@dataclass
class _Account:
    id: int
    currency: str
    as_of: date
    month: int
    is_new: bool = True


@dataclass
class _Month:
    net: Decimal = Decimal(0)
    orders: int = 0
    costed_net: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)


@dataclass
class _Counts:
    count: int = 0
    other: int = 0  # hotline: met; survey: sum of ratings


def _accounts(today: date | None) -> list[_Account]:
    now = utcnow()
    zones: dict[str, ZoneInfo] = {}
    rows = db.session.execute(
        sa.select(KeyAccount.id, KeyAccount.currency, KeyAccount.time_zone).order_by(KeyAccount.id)
    )
    accounts = []
    for account_id, currency, time_zone in rows:
        if today is None:
            zone = zones.setdefault(time_zone, ZoneInfo(time_zone))
            as_of = now.astimezone(zone).date()
        else:
            as_of = today
        accounts.append(_Account(account_id, currency, as_of, month_number(as_of)))
    existing = set(db.session.scalars(sa.select(AccountSnapshot.account_id)))
    for account in accounts:
        account.is_new = account.id not in existing
    return accounts


def _monthly_sales(
    first: int, last_day: date
) -> tuple[dict[tuple[int, int], _Month], dict[int, int]]:
    """{(account id, month number): its counted sales} from month `first` on, orders and
    refunds; and {account id: the month number of its first counted order}.

    Two statements that PostgreSQL answers with hash aggregates (no COUNT(DISTINCT), which
    sorts every line): the orders per month over all of history (also giving the first month),
    and their lines' amounts per month in the window."""
    dialect = db_session_dialect()
    start = month_start(first)
    month = month_start_sql(Order.placed_on, dialect).label("month")
    months: dict[tuple[int, int], _Month] = defaultdict(_Month)
    first_months: dict[int, int] = {}
    counted = db.session.execute(
        sa.select(Order.account_id, month, sa.func.count())
        .where(Order.status.in_(COUNTED_STATUSES), Order.placed_on <= last_day)
        .group_by(Order.account_id, sa.literal_column("month"))
    )
    for account_id, day, orders in counted:
        number = month_number(day)
        first_months[account_id] = min(number, first_months.get(account_id, number))
        if number >= first:
            months[account_id, number].orders = orders
    net = sa.func.coalesce(OrderLine.net_amount, OrderLine.line_total_amount)
    cost = sa.type_coerce(OrderLine.quantity * ListPrice.cost_amount, Amount)
    amounts = db.session.execute(
        sa.select(
            Order.account_id,
            month,
            sa.type_coerce(sa.func.sum(net), Amount),
            sa.type_coerce(sa.func.sum(sa.case((ListPrice.cost_amount.is_not(None), net))), Amount),
            sa.type_coerce(sa.func.sum(cost), Amount),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .outerjoin(
            ListPrice,
            sa.and_(
                ListPrice.product_id == OrderLine.product_id, ListPrice.currency == Order.currency
            ),
        )
        .where(
            Order.status.in_(COUNTED_STATUSES),
            Order.placed_on >= start,
            Order.placed_on <= last_day,
        )
        .group_by(Order.account_id, sa.literal_column("month"))
    )
    for account_id, day, net_amount, costed, cost_amount in amounts:
        bucket = months[account_id, month_number(day)]
        bucket.net = net_amount or Decimal(0)
        bucket.costed_net = costed or Decimal(0)
        bucket.cost = cost_amount or Decimal(0)
    for account_id, number, amount in _refunds(start, last_day):
        months[account_id, number].net -= amount
    return months, first_months


def _refunds(start: date, last_day: date) -> list[tuple[int, int, Decimal]]:
    """(account id, month number, net share) of each refund of a counted order made then."""
    order_net = (
        sa.select(
            sa.type_coerce(
                sa.func.sum(sa.func.coalesce(OrderLine.net_amount, OrderLine.line_total_amount)),
                Amount,
            )
        )
        .where(OrderLine.order_id == Order.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(
            Refund.account_id,
            Refund.refunded_on,
            Refund.amount,
            Order.total_amount,
            Order.currency,
            order_net,
        )
        .join(Order, Order.id == Refund.order_id)
        .where(
            Refund.status == "refunded",
            Refund.refunded_on >= start,
            Refund.refunded_on <= last_day,
            Order.status.in_(COUNTED_STATUSES),
        )
    )
    shares = []
    for account_id, refunded_on, amount, gross, currency, net in rows:
        if not gross or net is None:
            continue
        share = quantize(amount * net / gross, currency)
        shares.append((account_id, month_number(refunded_on), share))
    return shares


def _latest_estimates(accounts: list[_Account], last_day: date) -> dict[int, tuple[Decimal, str]]:
    """{account id: (amount, currency) of its latest estimate on or before its as_of}."""
    as_of = {a.id: a.as_of for a in accounts}
    latest = {}
    rows = db.session.execute(
        sa.select(
            SpendEstimate.account_id,
            SpendEstimate.as_of,
            SpendEstimate.amount,
            SpendEstimate.currency,
        )
        .where(SpendEstimate.as_of <= last_day)
        .order_by(SpendEstimate.account_id, SpendEstimate.as_of, SpendEstimate.id)
    )
    for account_id, on, amount, currency in rows:
        if account_id in as_of and on <= as_of[account_id]:
            latest[account_id] = (amount, currency)
    return latest


def _hotline(first: int) -> dict[tuple[int, int], _Counts]:
    """{(account id, month number): requests due that month, and those closed by then}."""
    month = month_start_sql(HotlineRequest.due_at, db_session_dialect()).label("month")
    met = sa.case(
        (
            sa.and_(
                HotlineRequest.closed_at.is_not(None),
                HotlineRequest.closed_at <= HotlineRequest.due_at,
            ),
            1,
        ),
        else_=0,
    )
    rows = db.session.execute(
        sa.select(HotlineRequest.account_id, month, sa.func.count(), sa.func.sum(met))
        .where(HotlineRequest.due_at >= _utc_midnight(month_start(first)))
        .group_by(HotlineRequest.account_id, sa.literal_column("month"))
    )
    return {(a, month_number(m)): _Counts(count, int(met or 0)) for a, m, count, met in rows}


def _surveys(first: int) -> dict[tuple[int, int], _Counts]:
    """{(account id, month number): survey answers that month, and the sum of their ratings}."""
    month = month_start_sql(HotlineRequest.survey_answered_at, db_session_dialect()).label("month")
    rows = db.session.execute(
        sa.select(
            HotlineRequest.account_id,
            month,
            sa.func.count(HotlineRequest.survey_rating),
            sa.func.sum(HotlineRequest.survey_rating),
        )
        .where(
            HotlineRequest.survey_answered_at >= _utc_midnight(month_start(first)),
            HotlineRequest.survey_rating.is_not(None),
        )
        .group_by(HotlineRequest.account_id, sa.literal_column("month"))
    )
    return {(a, month_number(m)): _Counts(count, int(total or 0)) for a, m, count, total in rows}


def _utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# Computing


def percent(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator / denominator in percent, rounded half-up to two places (within what a
    Percent column holds: a growth from next to nothing is capped, not an overflow)."""
    value = (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    return max(-PERCENT_LIMIT, min(PERCENT_LIMIT, value))


def _snapshot(account, months, first_months, estimates, hotline, surveys) -> dict:
    current = account.month
    t12m_months = range(current - 12, current)
    prior_months = range(current - 24, current - 12)
    empty = _Month()

    def bucket(number):
        return months.get((account.id, number), empty)

    t12m = sum((bucket(m).net for m in t12m_months), Decimal(0))
    prior = sum((bucket(m).net for m in prior_months), Decimal(0))
    orders = sum(bucket(m).orders for m in t12m_months)
    ordered_last_year = [m for m in prior_months if bucket(m).orders > 0]
    retained = [m for m in ordered_last_year if bucket(m + 12).orders > 0]
    first_month = first_months.get(account.id)
    estimate = estimates.get(account.id)
    if estimate is not None and estimate[1] != account.currency:
        estimate = None
    due = [hotline.get((account.id, m), _Counts()) for m in t12m_months]
    answers = [surveys.get((account.id, m), _Counts()) for m in t12m_months]
    survey_count = sum(a.count for a in answers)
    row = {
        "account_id": account.id,
        "as_of": account.as_of,
        "currency": account.currency,
        "sales_t12m": t12m,
        "sales_prior_12m": prior,
        "sales_t12m_reporting": quantize(t12m * _rate(account.currency), reporting().currency),
        "growth_percent": percent(t12m, prior) - HUNDRED if prior > 0 else None,
        "spend_estimate_amount": estimate[0] if estimate else None,
        "wallet_share_percent": percent(t12m, estimate[0]) if estimate else None,
        "retention_percent": (
            percent(len(retained), len(ordered_last_year)) if ordered_last_year else None
        ),
        "months_of_history": current - first_month if first_month is not None else 0,
        "orders_t12m": orders,
        "average_order_amount": quantize(t12m / orders, account.currency) if orders else None,
        "orders_per_month": (Decimal(orders) / 12).quantize(CENT, rounding=ROUND_HALF_UP),
        "costed_sales_t12m": sum((bucket(m).costed_net for m in t12m_months), Decimal(0)),
        "cost_t12m": sum((bucket(m).cost for m in t12m_months), Decimal(0)),
        "hotline_due": sum(d.count for d in due),
        "hotline_met": sum(d.other for d in due),
        "survey_count": survey_count,
        "survey_average": (
            (Decimal(sum(a.other for a in answers)) / survey_count).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
            if survey_count
            else None
        ),
    }
    if account.is_new:
        row.update(stage="acquisition", stage_rule="new_account", is_at_risk=False, risk_rules="")
    return row


def _rate(currency: str) -> Decimal:
    """How many units of the reporting currency one unit of `currency` is worth; a currency
    without a rate stops the refresh, naming it."""
    rate = reporting().rate(currency)
    if rate is None:
        raise ValueError(f"REPORTING_RATES has no rate for {currency}")
    return rate


def _rank(snapshots: list[dict]) -> None:
    ordered = sorted(snapshots, key=lambda s: (-s["sales_t12m_reporting"], s["account_id"]))
    for place, snapshot in enumerate(ordered, start=1):
        snapshot["sales_rank"] = place


# Writing: a few bulk statements


def _write(accounts, months, start: date, snapshots: list[dict]) -> None:
    currency = {a.id: a.currency for a in accounts}
    db.session.execute(sa.delete(MonthlySales).where(MonthlySales.month >= start))
    rows = [
        {
            "account_id": account_id,
            "month": month_start(number),
            "currency": currency[account_id],
            "net_amount": bucket.net,
            "orders": bucket.orders,
            "costed_net_amount": bucket.costed_net,
            "cost_amount": bucket.cost,
        }
        for (account_id, number), bucket in sorted(months.items())
        if account_id in currency
    ]
    if rows:
        db.session.execute(sa.insert(MonthlySales), rows)
    new = [s for s in snapshots if "stage" in s]
    known = [s for s in snapshots if "stage" not in s]
    if known:
        db.session.execute(sa.update(AccountSnapshot), known)
    if new:
        db.session.execute(sa.insert(AccountSnapshot), new)
