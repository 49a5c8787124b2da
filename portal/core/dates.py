"""Dates and times as people read them: one style per locale, 24-hour times, zones labelled.

The one place where a date becomes text for people (pages, messages, notices, e-mails; the
`date`, `time` and `datetime` template filters call it; tests/core/test_dates.py checks that
nothing else formats one). Machine forms (data- attributes, `<time datetime=...>`, CSV exports,
dedupe keys) stay ISO 8601 and never come here.

- a date: `5 Dec 2026` in English, `2026年12月5日` in Chinese (another locale: Babel's medium
  date);
- a time: `14:05`, always 24-hour;
- a date and time: the locale's medium joining of the two, `5 Dec 2026, 14:05` or
  `2026年12月5日 14:05`, in the viewer's time zone (flask_babel.get_timezone: a buyer's
  account's, a staff user's own) or the one given;
- the zone, where it can differ from the reader's: the IANA name in brackets after the time,
  `14:05 (Asia/Shanghai)`, the same in every language. Staff pages and e-mails label their
  times; a buyer's pages show the account's own zone and leave it out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
from babel import Locale
from babel.core import get_global
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.dates import get_timezone_location
from flask import has_app_context, has_request_context
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core.db import UTCDateTime

#: The date style of each language; a locale not listed uses Babel's medium date.
DATE_PATTERNS = {"en": "d MMM y", "zh": "y年M月d日"}
#: A month (a chart's axis, a table of months): `Dec 2026`, `2026年12月`.
MONTH_PATTERNS = {"en": "MMM y", "zh": "y年M月"}
#: Times are 24-hour in every language.
TIME_PATTERN = "HH:mm"


#: Dates as people and banks' exports write them: 2026-12-01, 2026/12/01, 20261201, 2026.12.01,
#: 2026年12月1日, 01.12.2026 (a time after a space or a T is ignored).
WRITTEN_DAY_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日", "%d.%m.%Y")


def read_day(text: str) -> date | None:
    """The day a plain-width text writes in one of WRITTEN_DAY_FORMATS, or None."""
    head = text.strip().split(" ")[0].split("T")[0]
    for form in WRITTEN_DAY_FORMATS:
        try:
            return datetime.strptime(head, form).date()
        except ValueError:
            continue
    return None


def format_day(value: date | datetime | None, zone: str | tzinfo | None = None) -> str:
    """A day, such as 5 Dec 2026 or 2026年12月5日; a timestamp gives its day in `zone` (the
    viewer's by default). None gives ""."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _in_zone(value, zone).date()
    locale = _locale()
    return _babel_date(value, _date_pattern(locale), locale=locale)


def format_month(value: date) -> str:
    """The month of a day, such as Dec 2026 or 2026年12月."""
    locale = _locale()
    pattern = MONTH_PATTERNS.get(locale.language) or locale.datetime_skeletons["yMMM"].pattern
    return _babel_date(value, pattern, locale=locale)


def format_clock(
    moment: datetime | None, zone: str | tzinfo | None = None, labelled: bool | None = None
) -> str:
    """A time of day, such as 14:05 or, labelled, 14:05 (Asia/Shanghai)."""
    if moment is None:
        return ""
    local = _in_zone(moment, zone)
    text = _babel_time(local.time(), TIME_PATTERN, locale=_locale())
    return _label(text, local, labelled)


def format_moment(
    moment: datetime | None, zone: str | tzinfo | None = None, labelled: bool | None = None
) -> str:
    """A date and time, such as 5 Dec 2026, 14:05 or 2026年12月5日 14:05 (Asia/Shanghai).

    `zone` defaults to the viewer's; `labelled` (None: unless the viewer is a buyer, who
    sees the account's zone) adds the zone's name."""
    if moment is None:
        return ""
    local = _in_zone(moment, zone)
    locale = _locale()
    day = _babel_date(local.date(), _date_pattern(locale), locale=locale)
    clock = _babel_time(local.time(), TIME_PATTERN, locale=locale)
    text = _joining(locale).replace("{1}", day).replace("{0}", clock)
    return _label(text, local, labelled)


def zone_name(zone: tzinfo) -> str:
    """The IANA name of a zone, such as Asia/Shanghai (pytz and zoneinfo zones alike)."""
    return getattr(zone, "key", None) or getattr(zone, "zone", None) or str(zone)


def _label(text: str, local: datetime, labelled: bool | None) -> str:
    if labelled is None:
        labelled = not _viewer_is_buyer()
    return f"{text} ({zone_name(local.tzinfo)})" if labelled else text


def _viewer_is_buyer() -> bool:
    if not has_request_context():
        return False
    return bool(current_user.is_authenticated and getattr(current_user, "is_buyer_side", False))


def _in_zone(moment: datetime, zone: str | tzinfo | None) -> datetime:
    """`moment` (aware; naive means UTC) as wall-clock time in `zone` (default: the viewer's)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    elif zone is None:
        zone = (get_timezone() if has_app_context() else None) or UTC
    return moment.astimezone(zone)


def _locale() -> Locale:
    return (get_locale() if has_app_context() else None) or Locale.parse("en")


@cache
def _date_pattern(locale: Locale) -> str:
    return DATE_PATTERNS.get(locale.language) or locale.date_formats["medium"].pattern


@cache
def _joining(locale: Locale) -> str:
    joining = locale.datetime_formats["medium"]
    return joining if isinstance(joining, str) else "{1} {0}"


# Time zones people choose from: the IANA zones of places (no aliases such as "Zulu",
# "EST5EDT" or "US/Central"), the supplier's usual ones first, each named in the viewer's
# language.

#: Where the supplier and its accounts mostly are: first in every list.
COMMON = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
)
#: Old names of zones that have another now (Asia/Chungking is Asia/Shanghai), per CLDR.
_ALIASES = frozenset(get_global("zone_aliases"))
#: The regions of the IANA database's place names (not the old aliases such as "US/Central").
_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def place_zones() -> list[str]:
    """Every zone of a place, the common ones first, then by name."""
    rest = sorted(
        zone
        for zone in available_timezones()
        if zone.split("/")[0] in _REGIONS and zone not in COMMON and zone not in _ALIASES
    )
    return [*COMMON, *rest]


def time_zone_choices() -> list[SelectChoice]:
    """(zone, "Asia/Shanghai · China (Shanghai) Time") in the viewer's language."""
    return [SelectChoice(zone, label) for zone, label in _choices(str(get_locale() or "en"))]


@lru_cache(maxsize=4)
def _choices(locale: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (zone, zone if zone == "UTC" else f"{zone} · {get_timezone_location(zone, locale=locale)}")
        for zone in place_zones()
    )


def month_start_sql(column, dialect: str):
    """SQL for the first day of the month of a date column, or of a UTC timestamp column's UTC
    date: date_trunc on PostgreSQL, strftime on SQLite (dates and timestamps are text there)."""
    if dialect == "postgresql":
        if isinstance(column.type, UTCDateTime):
            # date_trunc on a timestamptz reads it in the session's time zone: read it in UTC.
            column = sa.func.timezone(sa.literal_column("'UTC'"), column)
        # A literal, not a parameter: PostgreSQL must see GROUP BY's expression as the SELECT's.
        return sa.cast(sa.func.date_trunc(sa.literal_column("'month'"), column), sa.Date)
    return sa.type_coerce(sa.func.strftime(sa.literal_column("'%Y-%m-01'"), column), sa.Date)
