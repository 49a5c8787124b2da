"""Response deadlines counted in business hours, and times shown in an account's zone: pure
functions, no database."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.hotline.public_holidays import public_days

#: How far ahead to look for working time before giving up (a calendar with every day a holiday).
_MAX_DAYS = 3660


@dataclass(frozen=True)
class WorkCalendar:
    """Working days (ISO weekday digits), opening hours as wall-clock times, its own holidays
    and make-up working days (days off by weekday that are worked), and the country whose
    public holidays and make-up working days (China's 调休 Saturdays and Sundays) count too,
    as hotline.public_holidays knows them. Its own days beat the country's."""

    working_days: str = "12345"
    opens_at: time = time(9)
    closes_at: time = time(18)
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    #: ISO code of the country whose public holidays count; "" for none.
    country: str = ""

    @classmethod
    def of(
        cls, calendar, holidays: Iterable[date] = (), workdays: Iterable[date] = ()
    ) -> "WorkCalendar":
        """From a BusinessCalendar row, its holidays' days and its make-up working days."""
        return cls(
            working_days=calendar.working_days,
            opens_at=calendar.opens_at,
            closes_at=calendar.closes_at,
            holidays=frozenset(holidays),
            workdays=frozenset(workdays),
            country=calendar.country if calendar.has_public_holidays else "",
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        if self.country:
            days_off, days_on = public_days(self.country, day.year)
            if day in days_on:
                return True
            if day in days_off:
                return False
        return str(day.isoweekday()) in self.working_days

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        for _ in range(_MAX_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within ten years")

    def hours_on(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        """Opening and closing on `day`, in UTC (so that arithmetic is in real time across
        daylight-saving changes), or None on a day off."""
        if not self.is_working_day(day):
            return None
        opens = datetime.combine(day, self.opens_at, tzinfo=tz).astimezone(UTC)
        closes = datetime.combine(day, self.closes_at, tzinfo=tz).astimezone(UTC)
        return opens, closes


def add_business_hours(
    start: datetime, hours: float, calendar: WorkCalendar, tz: ZoneInfo | str
) -> datetime:
    """The moment `hours` of working time after `start` (UTC in, UTC out).

    Time counts only on working days that are not holidays, between opening and closing in the
    wall-clock time of `tz`. A start outside those hours starts counting at the next opening;
    a deadline that uses up a day's last minute falls at its closing time.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if hours < 0:
        raise ValueError("hours must not be negative")
    has_weekdays = any(str(d) in calendar.working_days for d in range(1, 8))
    if not (has_weekdays or calendar.workdays or calendar.country):
        raise ValueError("the calendar has no working days")
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    cursor = start.astimezone(UTC)
    remaining = timedelta(hours=hours)
    day = cursor.astimezone(zone).date()
    for _ in range(_MAX_DAYS):
        opening = calendar.hours_on(day, zone)
        if opening is not None:
            opens, closes = opening
            cursor = max(cursor, opens)
            if cursor <= closes:
                available = closes - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
                cursor = closes
        day += timedelta(days=1)
    raise ValueError("no working time within ten years")


def business_time_between(
    start: datetime, end: datetime, calendar: WorkCalendar, tz: ZoneInfo | str
) -> timedelta:
    """How much working time lies between two moments (the inverse of add_business_hours)."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta()
    day = start.astimezone(zone).date()
    while day <= end.astimezone(zone).date():
        opening = calendar.hours_on(day, zone)
        if opening is not None:
            lo, hi = max(start, opening[0]), min(end, opening[1])
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def is_within_hours(moment: datetime, calendar: WorkCalendar, tz: ZoneInfo | str) -> bool:
    """Whether `moment` lies within the opening hours (closing time included) of a working day."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    opening = calendar.hours_on(moment.astimezone(zone).date(), zone)
    return opening is not None and opening[0] <= moment <= opening[1]


def local_time(moment: datetime | None, time_zone: str) -> datetime | None:
    """A UTC timestamp as wall-clock time in an account's time zone."""
    return None if moment is None else moment.astimezone(ZoneInfo(time_zone))
