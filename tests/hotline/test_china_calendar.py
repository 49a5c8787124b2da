"""Working days as China has them: statutory holidays and make-up working days (调休) from the
`holidays` library count for hotline deadlines and care tasks of accounts in China; accounts
elsewhere keep their own calendar; a year the library has no official arrangement for falls back
to the law's holidays (hotline.public_holidays)."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.hotline import care, services
from portal.hotline.business_hours import WorkCalendar, add_business_hours
from portal.hotline.public_holidays import is_announced
from portal.hotline.queries import calendar_for
from tests import factories
from tests.support.web import signed_in

# Each test names its own instants; the calendar must not depend on the clock it runs under.
pytestmark = pytest.mark.date_sensitive

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINA = WorkCalendar(country="CN")


def shanghai(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def due(start: datetime, hours: float, calendar: WorkCalendar = CHINA) -> datetime:
    return add_business_hours(start, hours, calendar, SHANGHAI).astimezone(SHANGHAI)


@pytest.fixture
def china(desk):
    """Acme (platinum, 2 hours) and a gold account of Shanghai (8 hours) under China's
    calendar, the default; Globex (Chicago) under the United States'."""
    factories.BusinessCalendarFactory(is_default=True, country="CN", has_public_holidays=True)
    american = factories.BusinessCalendarFactory(country="US", has_public_holidays=True)
    desk.other.business_calendar_id = american.id
    gold = factories.AccountFactory(
        slug="lotus", tier="gold", time_zone="Asia/Shanghai", inside_sales_rep=desk.inside
    )
    db.session.commit()
    desk.gold = gold
    desk.gold_buyer = factories.UserFactory(account=gold, email="buyer@lotus.example")
    return desk


def file(account, buyer, now: datetime):
    return services.file_request(
        buyer,
        account,
        topic="quote",
        description="Please quote 20 docks.",
        phone="+86 21 5555 0101",
        now=now.astimezone(UTC),
    )


# Deadlines


def test_a_request_filed_before_the_national_day_week_falls_due_after_it(china):
    # 2026: 1-7 October off; one hour left on 30 September, seven on Thursday 8 October.
    filed = file(china.gold, china.gold_buyer, shanghai(2026, 9, 30, 17))
    assert filed.due_at.astimezone(SHANGHAI) == shanghai(2026, 10, 8, 16)


def test_a_make_up_saturday_counts_as_a_working_day(china):
    # Saturday 10 October 2026 is worked for the National Day week.
    filed = file(china.account, china.buyer, shanghai(2026, 10, 9, 17))
    assert filed.due_at.astimezone(SHANGHAI) == shanghai(2026, 10, 10, 10)
    # And Sunday 20 September 2026 too, while an ordinary Sunday is not.
    assert due(shanghai(2026, 9, 18, 17), 2) == shanghai(2026, 9, 20, 10)
    assert due(shanghai(2026, 9, 11, 17, 30), 2) == shanghai(2026, 9, 14, 10, 30)


def test_the_2026_spring_festival_is_off_with_its_make_up_saturdays_worked():
    # Off 15-23 February 2026; Saturdays 14 and 28 February are worked.
    assert [CHINA.is_working_day(date(2026, 2, day)) for day in range(13, 25)] == [
        True,  # Fri 13
        True,  # Sat 14, make-up
        *[False] * 9,  # Sun 15 to Mon 23
        True,  # Tue 24
    ]
    assert CHINA.is_working_day(date(2026, 2, 28))
    assert due(shanghai(2026, 2, 14, 17, 30), 2) == shanghai(2026, 2, 24, 10, 30)


def test_a_year_beyond_the_librarys_arrangements_falls_back_to_the_statutory_holidays():
    assert is_announced("CN", 2026)
    assert not is_announced("CN", 2027)
    # 2027 and 2028 by the law: the holidays count, a weekend one moved to the next weekday;
    # no make-up working days are known, so weekends stay off.
    assert due(shanghai(2027, 9, 30, 17), 8) == shanghai(2027, 10, 6, 16)
    assert not CHINA.is_working_day(date(2027, 10, 9))
    assert due(shanghai(2028, 1, 24, 17), 2) == shanghai(2028, 1, 31, 10)
    assert CHINA.is_working_day(date(2028, 2, 29))
    # Past the library's last year (2100) there is nothing to count but weekdays: Monday
    # 3 January 2101 is worked although New Year's Day fell on the Saturday before.
    assert due(shanghai(2101, 1, 3, 17), 2) == shanghai(2101, 1, 4, 10)


def test_the_calendar_does_not_depend_on_the_clock_it_is_read_under(china):
    for instant in ("2026-01-05T01:00Z", "2028-02-29T15:00Z"):
        with time_machine.travel(instant, tick=False):
            calendar = calendar_for(china.account)
        assert not calendar.is_working_day(date(2026, 10, 1))
        assert calendar.is_working_day(date(2026, 10, 10))


def test_accounts_elsewhere_keep_their_own_calendar(china):
    globex = calendar_for(china.other)
    assert globex.is_working_day(date(2026, 10, 1))  # China's National Day
    assert not globex.is_working_day(date(2026, 11, 26))  # Thanksgiving
    assert not globex.is_working_day(date(2026, 10, 10))  # China's make-up Saturday


def test_a_closure_of_the_calendars_own_beats_a_make_up_working_day(china):
    calendar = factories.BusinessCalendarFactory(country="CN", has_public_holidays=True)
    factories.HolidayFactory(calendar=calendar, day=date(2026, 10, 10), name="Stocktaking")
    china.account.business_calendar_id = calendar.id
    db.session.commit()
    assert not calendar_for(china.account).is_working_day(date(2026, 10, 10))
    assert calendar_for(china.account).is_working_day(date(2026, 9, 20))


def test_a_calendar_without_public_holidays_counts_weekdays_only(china):
    calendar = factories.BusinessCalendarFactory(country="CN", has_public_holidays=False)
    china.account.business_calendar_id = calendar.id
    db.session.commit()
    assert calendar_for(china.account).is_working_day(date(2026, 10, 1))
    assert WorkCalendar(opens_at=time(9)).is_working_day(date(2026, 10, 1))


# Care tasks


def test_a_care_task_due_in_a_holiday_week_falls_due_on_the_first_working_day_after(china):
    task = care.add_care_task(
        china.inside, china.account, "call", "Monthly call", 30, date(2026, 10, 3)
    )
    assert task.next_due_on == date(2026, 10, 8)
    with time_machine.travel(shanghai(2026, 9, 3, 11), tick=False):
        care.log_contact(china.inside, china.account, task, "Called.")
    # 3 September + 30 days is Saturday 3 October, in the National Day week.
    assert task.next_due_on == date(2026, 10, 8)
    with time_machine.travel(shanghai(2026, 9, 10, 11), tick=False):
        care.log_contact(china.inside, china.account, task, "Called again.")
    # 10 September + 30 days is Saturday 10 October, a make-up working day.
    assert task.next_due_on == date(2026, 10, 10)


# Choosing an account's calendar


def test_a_sales_manager_chooses_the_calendar_an_account_counts_in(web, china):
    american = calendar_for(china.other)
    assert american.country == "US"
    client = signed_in(web, "manager@northwind.example")
    page = client.get("/staff/accounts/globex/care").get_data(as_text=True)
    assert 'data-calendar-country="US"' in page
    response = client.post("/staff/accounts/globex/calendar", data={"calendar": "0"})
    assert response.status_code == 303
    db.session.expire_all()
    assert calendar_for(china.other).country == "CN"
    page = client.get("/staff/accounts/globex/care").get_data(as_text=True)
    assert 'data-calendar-country="CN"' in page
    (event,) = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "account.calendar")
    )
    assert event.target == "account:globex"


def test_a_calendar_that_does_not_exist_is_refused_and_inside_sales_may_not_choose(web, china):
    manager = signed_in(web, "manager@northwind.example")
    manager.post("/staff/accounts/globex/calendar", data={"calendar": "999999"})
    db.session.expire_all()
    assert calendar_for(china.other).country == "US"
    inside = signed_in(web, "inside@northwind.example")
    page = inside.get("/staff/accounts/acme/care").get_data(as_text=True)
    assert "calendar-form" not in page
    response = inside.post("/staff/accounts/acme/calendar", data={"calendar": "0"})
    assert response.status_code in (403, 404)
