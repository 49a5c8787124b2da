"""The periods the KPIs are read over, month and quarter arithmetic, and amounts in the reporting
currency (the KPI and forecast pages add up accounts that trade in different currencies)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l

#: The period picker, the first the default: the trailing 12 complete months, the quarter so
#: far, the last complete quarter, the year so far.
PERIODS = ("t12m", "this_quarter", "last_quarter", "this_year")
PERIOD_LABELS = {
    "t12m": _l("Last 12 complete months"),
    "this_quarter": _l("This quarter"),
    "last_quarter": _l("Last quarter"),
    "this_year": _l("This year"),
}
CENT = Decimal("0.01")


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def quarter_name(start: date) -> str:
    """2026-Q3: the same in every language (a machine-readable label as well)."""
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Period:
    """Days `start` (inclusive) to `end` (exclusive), both first days of a month; `today` is
    the day the figures are read on (deadlines after it are not judged yet)."""

    key: str
    start: date
    end: date
    today: date

    @property
    def label(self):
        return PERIOD_LABELS[self.key]

    @property
    def last_day(self) -> date:
        """The last day the period covers so far: today, or the eve of its end."""
        return min(self.end, self.today + timedelta(days=1)) - timedelta(days=1)

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """The period as UTC instants, its days read in `zone` (the company's)."""
        tz = ZoneInfo(zone)
        return (
            datetime.combine(self.start, time(), tzinfo=tz).astimezone(UTC),
            datetime.combine(self.end, time(), tzinfo=tz).astimezone(UTC),
        )


def period_of(key: str | None, today: date) -> Period:
    """The period named `key` (an unknown or missing key gives the default) as of `today`."""
    key = key if key in PERIODS else PERIODS[0]
    this_month = date(today.year, today.month, 1)
    this_quarter = quarter_start(today)
    if key == "this_quarter":
        return Period(key, this_quarter, add_months(this_quarter, 3), today)
    if key == "last_quarter":
        return Period(key, add_months(this_quarter, -3), this_quarter, today)
    if key == "this_year":
        return Period(key, date(today.year, 1, 1), date(today.year + 1, 1, 1), today)
    return Period(key, add_months(this_month, -12), this_month, today)


def company_today() -> date:
    from portal.core.db import utcnow

    return utcnow().astimezone(ZoneInfo(current_app.config["COMPANY_TIME_ZONE"])).date()


@dataclass(frozen=True)
class Reporting:
    """The reporting currency and what one unit of each currency is worth in it."""

    currency: str
    rates: dict[str, Decimal]

    def rate(self, currency: str) -> Decimal | None:
        """How many units of the reporting currency one unit of `currency` is worth; None
        when the settings give no rate for it."""
        return Decimal(1) if currency == self.currency else self.rates.get(currency)

    def convert(self, amount: Decimal, currency: str) -> Decimal | None:
        """`amount` in the reporting currency (unrounded); None when `currency` has no rate."""
        rate = self.rate(currency)
        return None if rate is None else amount * rate


def reporting() -> Reporting:
    """The settings REPORTING_CURRENCY and REPORTING_RATES (config.reporting_rates)."""
    config = current_app.config
    rates = config["REPORTING_RATES"]
    return Reporting(
        config["REPORTING_CURRENCY"],
        {currency: Decimal(str(rate)) for currency, rate in rates.items()},
    )


def percent(part, whole) -> Decimal | None:
    """part / whole as a percentage rounded half-up to two places; None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
