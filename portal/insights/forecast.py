"""A sales forecast for the next two quarters, from order history and the weighted pipeline, with
its error measured by back-testing on the past quarters (issue 17, deliverable 5).

The method, as the forecast page words it (METHOD_STEPS):

1. From history, per account: with at least two years of orders before the forecast is made
   (its first month of orders 24 months or more before), its sales in the same quarter a year
   before, times its growth: its last 12 complete months over the 12 months before them, held
   between 0.5 and 1.5 (a year of +300% does not mean another). Otherwise (a younger account,
   whose earlier 12 months are only partly its history and would make any growth look huge,
   or one that sold nothing in them) its run rate: its average quarter of the last 12
   complete months (their sales / 4), or of its months since its first when it is younger.
   Sales are MonthlySales (net of VAT and refunds), in the reporting currency.
2. From the pipeline: each open lead (not won or lost) with a value, a probability and an
   expected close date in the quarter adds value x probability. Won leads are left out: once
   ordered they are in the history. A lead for business the account places every year anyway
   is counted in both parts: the page shows them apart for that reason.
3. The back-test forecasts each of the last four complete quarters from the history before
   that quarter only (step 1; leads keep no history of their probability, so the pipeline is
   not back-tested) and compares it with what was sold: the absolute percentage error of each
   quarter, their mean (MAPE) and the bias ((forecast - actual) / actual over the quarters
   together: positive means the method forecasts too high).

`monthly_history()` reads the history (one statement); `forecast_quarter()` and `backtest()` are
pure functions of it, tested by hand; `forecast()` puts them together for the page (three
statements); `forecast_series()` gives the dashboard plain data to chart.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.accounts.models import KeyAccount
from portal.extensions import db
from portal.hotline.models import Lead
from portal.insights.models import MonthlySales
from portal.insights.periods import (
    add_months,
    cents,
    percent,
    quarter_name,
    quarter_start,
    reporting,
)

#: The growth factor is held within these bounds.
GROWTH_FLOOR = Decimal("0.5")
GROWTH_CEILING = Decimal("1.5")
#: Months of orders an account needs before the forecast for its growth to be used.
GROWTH_HISTORY_MONTHS = 24
#: How many past quarters the back-test forecasts.
BACKTEST_QUARTERS = 4
CLOSED_LEAD_STATUSES = ("won", "lost")

#: The method in words, beside the numbers on the page.
METHOD_STEPS = (
    _l(
        "From history, per account with at least 24 months of orders: its sales in the same "
        "quarter a year before, times its growth (its last 12 complete months over the 12 "
        "months before them, held between 0.5 and 1.5). A younger account, or one with no "
        "sales in those earlier 12 months, is forecast at its average quarter of the last 12 "
        "months, or of its months of orders when it is younger."
    ),
    _l(
        "From the pipeline: each open lead with a value, a probability and an expected close "
        "date in the quarter adds its value times its probability. Won leads are in the "
        "history once ordered; a lead for business the account places every year anyway is "
        "counted in both parts, which is why they are shown apart."
    ),
    _l(
        "Back-test: each of the last four complete quarters is forecast from the history "
        "before it only, and compared with what was sold. MAPE is the mean absolute "
        "percentage error of those quarters; bias is (forecast - actual) / actual over them "
        "together, positive when the method forecasts too high. The pipeline keeps no history "
        "of its probabilities, so only the part from history is back-tested."
    ),
)

#: Monthly sales of each account (any key) by first day of month, in one currency. The
#: earliest key is the account's first month of orders (monthly_history adds it, at zero, when
#: it is older than the months read).
History = Mapping[object, Mapping[date, Decimal]]


def _total(months: Mapping[date, Decimal], start: date, end: date, origin: date) -> Decimal:
    return sum(
        (amount for month, amount in months.items() if start <= month < end and month < origin),
        Decimal(0),
    )


def growth_factor(months: Mapping[date, Decimal], origin: date) -> Decimal | None:
    """Last 12 months before `origin` over the 12 before them, held within the bounds; None
    when the account's first month is fewer than 24 months before `origin` (those earlier
    months are not all its history) or they sold nothing."""
    if not months or min(months) > add_months(origin, -GROWTH_HISTORY_MONTHS):
        return None
    last = _total(months, add_months(origin, -12), origin, origin)
    earlier = _total(months, add_months(origin, -24), add_months(origin, -12), origin)
    if earlier <= 0:
        return None
    return min(max(last / earlier, GROWTH_FLOOR), GROWTH_CEILING)


def run_rate(months: Mapping[date, Decimal], origin: date) -> Decimal:
    """The account's average quarter over the 12 months before `origin`, or over the months
    since its first when it is younger (a month before it existed sold nothing for want of
    the account, not of orders)."""
    if not months:
        return Decimal(0)
    first = min(months)
    covered = min(12, (origin.year - first.year) * 12 + origin.month - first.month)
    if covered <= 0:
        return Decimal(0)
    return _total(months, add_months(origin, -12), origin, origin) * 3 / covered


def account_forecast(months: Mapping[date, Decimal], quarter: date, origin: date) -> Decimal:
    """One account's sales in the quarter starting `quarter`, from its months before `origin`
    (step 1 of the method; unrounded)."""
    growth = growth_factor(months, origin)
    if growth is None:
        return run_rate(months, origin)
    return _total(months, add_months(quarter, -12), add_months(quarter, -9), origin) * growth


def forecast_quarter(history: History, quarter: date, origin: date | None = None) -> Decimal:
    """All accounts' sales in `quarter` from the history before `origin` (default: the
    quarter's first day), rounded to the cent."""
    origin = origin or quarter
    return cents(sum((account_forecast(m, quarter, origin) for m in history.values()), Decimal(0)))


def actual_quarter(history: History, quarter: date) -> Decimal:
    end = add_months(quarter, 3)
    return cents(sum((_total(m, quarter, end, end) for m in history.values()), Decimal(0)))


@dataclass(frozen=True)
class BacktestRow:
    quarter: date
    forecast: Decimal
    actual: Decimal

    @property
    def name(self) -> str:
        return quarter_name(self.quarter)

    @property
    def error(self) -> Decimal:
        return self.forecast - self.actual

    @property
    def error_percent(self) -> Decimal | None:
        """|forecast - actual| / actual, percent; None when nothing was sold."""
        return percent(abs(self.error), self.actual)


@dataclass(frozen=True)
class Backtest:
    rows: list[BacktestRow]

    @property
    def mape(self) -> Decimal | None:
        """Mean absolute percentage error over the quarters that sold something."""
        errors = [abs(row.error) / row.actual for row in self.rows if row.actual > 0]
        if not errors:
            return None
        return percent(sum(errors, Decimal(0)), len(errors))

    @property
    def bias(self) -> Decimal | None:
        """(total forecast - total actual) / total actual, percent."""
        return percent(
            sum((r.error for r in self.rows), Decimal(0)), sum((r.actual for r in self.rows), 0)
        )


def backtest(history: History, quarters: Sequence[date]) -> Backtest:
    """Forecast each quarter (its first day) from the history before it, against its actual."""
    return Backtest(
        [BacktestRow(q, forecast_quarter(history, q), actual_quarter(history, q)) for q in quarters]
    )


# --- reading the database ---


def monthly_history(since: date) -> tuple[dict[int, dict[date, Decimal]], set[str]]:
    """Each account's monthly sales from `since`, in the reporting currency, with its first
    month of orders at zero when that is before `since` (one statement); and the currencies
    left out for want of a rate."""
    money = reporting()
    history: dict[int, dict[date, Decimal]] = {}
    missing: set[str] = set()
    earlier = sa.orm.aliased(MonthlySales)
    first = (
        sa.select(sa.func.min(earlier.month))
        .where(earlier.account_id == MonthlySales.account_id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(
            MonthlySales.account_id,
            MonthlySales.month,
            MonthlySales.currency,
            MonthlySales.net_amount,
            first,
        ).where(MonthlySales.month >= since)
    )
    for account_id, month, currency, net, first_month in rows:
        months = history.setdefault(account_id, {})
        if first_month < since:
            months.setdefault(first_month, Decimal(0))
        amount = money.convert(net, currency)
        if amount is None:
            missing.add(currency)
            continue
        months[month] = months.get(month, Decimal(0)) + amount
    return history, missing


@dataclass(frozen=True)
class QuarterForecast:
    quarter: date
    from_history: Decimal
    pipeline: Decimal
    leads: int

    @property
    def name(self) -> str:
        return quarter_name(self.quarter)

    @property
    def total(self) -> Decimal:
        return self.from_history + self.pipeline


@dataclass(frozen=True)
class Forecast:
    today: date
    #: The first month not in the history the forecast reads (the current one).
    origin: date
    currency: str
    quarters: list[QuarterForecast]
    backtest: Backtest
    #: Open leads not in the forecast: no value, probability or date, or a date outside the
    #: two quarters.
    leads_left_out: int
    missing_rates: set[str]


def forecast(today: date) -> Forecast:
    """The next two quarters after `today`'s, and the back-test of the last four complete
    quarters (three statements)."""
    origin = date(today.year, today.month, 1)
    current = quarter_start(today)
    ahead = [add_months(current, 3), add_months(current, 6)]
    past = [add_months(current, -3 * n) for n in range(BACKTEST_QUARTERS, 0, -1)]
    history, missing = monthly_history(add_months(past[0], -24))
    weighted, counted, left_out = _pipeline(ahead, missing)
    quarters = [
        QuarterForecast(q, forecast_quarter(history, q, origin), weighted[i], counted[i])
        for i, q in enumerate(ahead)
    ]
    return Forecast(
        today,
        origin,
        reporting().currency,
        quarters,
        backtest(history, past),
        left_out,
        missing,
    )


def _pipeline(quarters: list[date], missing: set[str]):
    """Per quarter: the weighted value of the open leads expected to close in it, and how many;
    and how many open leads are in neither (one statement)."""
    money = reporting()
    currency = sa.func.coalesce(Lead.currency, KeyAccount.currency)
    known = sa.and_(
        Lead.value_amount.is_not(None),
        Lead.probability_percent.is_not(None),
        Lead.expected_close_on.is_not(None),
    )
    bucket = sa.case(
        (
            sa.and_(
                known,
                Lead.expected_close_on >= quarters[0],
                Lead.expected_close_on < quarters[1],
            ),
            0,
        ),
        (
            sa.and_(
                known,
                Lead.expected_close_on >= quarters[1],
                Lead.expected_close_on < add_months(quarters[1], 3),
            ),
            1,
        ),
        else_=-1,
    ).label("bucket")
    rows = db.session.execute(
        sa.select(
            bucket,
            currency,
            Lead.probability_percent,
            sa.func.sum(Lead.value_amount),
            sa.func.count(),
        )
        .join(KeyAccount, KeyAccount.id == Lead.account_id)
        .where(Lead.status.not_in(CLOSED_LEAD_STATUSES))
        .group_by(bucket, currency, Lead.probability_percent)
    )
    weighted = [Decimal(0)] * len(quarters)
    counted = [0] * len(quarters)
    left_out = 0
    for index, lead_currency, probability, value, count in rows:
        amount = None if index < 0 else money.convert(value, lead_currency)
        if amount is None:
            if index >= 0:
                missing.add(lead_currency)
            left_out += count
            continue
        weighted[index] += amount * probability / 100
        counted[index] += count
    return [cents(w) for w in weighted], counted, left_out


def forecast_series(today: date) -> list[dict]:
    """For a chart: the back-tested quarters (actual and forecast) and the next two (forecast
    from history, pipeline), oldest first, amounts in the reporting currency as Decimals:
    [{"quarter": "2026-Q1", "actual": ..., "forecast": ..., "pipeline": None}, ...]."""
    made = forecast(today)
    series = [
        {"quarter": row.name, "actual": row.actual, "forecast": row.forecast, "pipeline": None}
        for row in made.backtest.rows
    ]
    series += [
        {"quarter": q.name, "actual": None, "forecast": q.from_history, "pipeline": q.pipeline}
        for q in made.quarters
    ]
    return series
