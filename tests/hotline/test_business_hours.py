"""Response deadlines in business hours: tables of cases and a property over random starts."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.hotline.business_hours import (
    WorkCalendar,
    add_business_hours,
    business_time_between,
    is_within_hours,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = WorkCalendar()  # Monday to Friday, 09:00-18:00
WITH_HOLIDAYS = WorkCalendar(holidays=frozenset({date(2026, 12, 25), date(2027, 1, 1)}))


def at(zone, *parts) -> datetime:
    return datetime(*parts, tzinfo=zone)


# 2026-11-27 is a Friday; 2026-11-30 a Monday.
CASES = [
    # (what, start (local), hours, calendar, due (local))
    ("inside hours", at(SHANGHAI, 2026, 11, 26, 10, 0), 2, OFFICE, at(SHANGHAI, 2026, 11, 26, 12)),
    (
        "filed Friday 19:00 -> due Monday 11:00 (2h)",
        at(SHANGHAI, 2026, 11, 27, 19, 0),
        2,
        OFFICE,
        at(SHANGHAI, 2026, 11, 30, 11),
    ),
    (
        "filed at 17:30 rolls over to the next morning",
        at(SHANGHAI, 2026, 11, 26, 17, 30),
        2,
        OFFICE,
        at(SHANGHAI, 2026, 11, 27, 10, 30),
    ),
    (
        "filed Friday 17:30 rolls over the weekend",
        at(SHANGHAI, 2026, 11, 27, 17, 30),
        2,
        OFFICE,
        at(SHANGHAI, 2026, 11, 30, 10, 30),
    ),
    (
        "before opening counts from opening",
        at(SHANGHAI, 2026, 11, 26, 6, 0),
        2,
        OFFICE,
        at(SHANGHAI, 2026, 11, 26, 11),
    ),
    ("on a Sunday", at(SHANGHAI, 2026, 11, 29, 12), 8, OFFICE, at(SHANGHAI, 2026, 11, 30, 17)),
    (
        "8 hours from 11:00 end the next morning",
        at(SHANGHAI, 2026, 11, 26, 11),
        8,
        OFFICE,
        at(SHANGHAI, 2026, 11, 27, 10),
    ),
    (
        "ending exactly at closing stays that day",
        at(SHANGHAI, 2026, 11, 26, 16),
        2,
        OFFICE,
        at(SHANGHAI, 2026, 11, 26, 18),
    ),
    (
        "a holiday is skipped (Christmas Friday)",
        at(SHANGHAI, 2026, 12, 24, 17),
        2,
        WITH_HOLIDAYS,
        at(SHANGHAI, 2026, 12, 28, 10),
    ),
    (
        "New Year's Day holiday",
        at(SHANGHAI, 2026, 12, 31, 18, 30),
        2,
        WITH_HOLIDAYS,
        at(SHANGHAI, 2027, 1, 4, 11),
    ),
    (
        "a Saturday working week",
        at(SHANGHAI, 2026, 11, 27, 19),
        2,
        WorkCalendar(working_days="123456"),
        at(SHANGHAI, 2026, 11, 28, 11),
    ),
    (
        "zero hours outside hours is the next opening",
        at(SHANGHAI, 2026, 11, 27, 19),
        0,
        OFFICE,
        at(SHANGHAI, 2026, 11, 30, 9),
    ),
    (
        "a week of hours",
        at(SHANGHAI, 2026, 11, 30, 9),
        45,
        OFFICE,
        at(SHANGHAI, 2026, 12, 4, 18),
    ),
    (
        "Berlin: across the October clock change, wall-clock hours",
        at(BERLIN, 2026, 10, 23, 17),
        2,
        OFFICE,
        at(BERLIN, 2026, 10, 26, 10),
    ),
    (
        "New York: across the March clock change",
        at(NEW_YORK, 2026, 3, 6, 17, 30),
        2,
        OFFICE,
        at(NEW_YORK, 2026, 3, 9, 10, 30),
    ),
]


@pytest.mark.parametrize(
    ("start", "hours", "calendar", "due"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_deadline_falls_after_the_given_business_hours(start, hours, calendar, due):
    result = add_business_hours(start.astimezone(UTC), hours, calendar, start.tzinfo)
    assert result.tzinfo is not None
    assert result == due
    assert result.astimezone(start.tzinfo).replace(tzinfo=None) == due.replace(tzinfo=None)


def test_the_same_utc_moment_falls_due_differently_in_another_time_zone():
    friday_evening_shanghai = at(SHANGHAI, 2026, 11, 27, 19).astimezone(UTC)  # 11:00 UTC
    assert add_business_hours(friday_evening_shanghai, 2, OFFICE, "Europe/Berlin") == at(
        BERLIN, 2026, 11, 27, 14
    )


def test_naive_starts_and_empty_calendars_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_hours(datetime(2026, 11, 27, 10), 2, OFFICE, SHANGHAI)
    with pytest.raises(ValueError, match="no working days"):
        add_business_hours(
            at(SHANGHAI, 2026, 11, 27, 10), 2, WorkCalendar(working_days=""), SHANGHAI
        )


ZONES = st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"])
CALENDARS = st.builds(
    WorkCalendar,
    working_days=st.sets(st.sampled_from("1234567"), min_size=1).map(lambda s: "".join(sorted(s))),
    opens_at=st.sampled_from([time(7), time(8, 30), time(9)]),
    closes_at=st.sampled_from([time(12), time(17, 45), time(18)]),
    holidays=st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20),
)


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(datetime(2026, 1, 1), datetime(2027, 6, 30), timezones=st.just(UTC)),
    hours=st.integers(0, 60) | st.floats(0, 30, allow_nan=False),
    calendar=CALENDARS,
    zone=ZONES,
)
def test_a_deadline_is_inside_business_hours_and_after_its_start(start, hours, calendar, zone):
    due = add_business_hours(start, hours, calendar, zone)
    assert due >= start
    assert is_within_hours(due, calendar, zone)
    counted = business_time_between(start, due, calendar, zone)
    assert abs(counted - timedelta(hours=hours)) < timedelta(milliseconds=1)
