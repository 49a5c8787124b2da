"""Business calendars of the demo: China's by default, the United States' for Globex.

Deadlines count business hours of an account's calendar (hotline.queries.calendar_for); a
calendar may count its country's public holidays and make-up working days
(hotline.public_holidays) besides its own holidays.
"""

from datetime import date, time

import sqlalchemy as sa

from portal.accounts.models import KeyAccount
from portal.extensions import db
from portal.hotline.models import BusinessCalendar, Holiday

#: Business calendars: (name, country, counts the country's public holidays, working days,
#: opens, closes, the accounts that use it). The first is the default: Chinese accounts count
#: China's statutory holidays and make-up working days (hotline.public_holidays); Globex, in
#: Chicago, the United States' federal holidays.
CALENDARS = [
    ("China: statutory holidays, Mon-Fri 09:00-18:00", "CN", True, "12345", time(9), time(18), ()),
    (
        "United States: federal holidays, Mon-Fri 09:00-18:00",
        "US",
        True,
        "12345",
        time(9),
        time(18),
        ("globex",),
    ),
]
#: The demo's own holidays beside the library's: a company closure.
HOLIDAYS = [
    (date(2027, 12, 31), "Northwind stocktaking"),
]


def seed_demo_calendars() -> int:
    """The calendars, the first one the default; accounts named get theirs (once: staff may
    change it afterwards)."""
    created = 0
    for position, spec in enumerate(CALENDARS):
        name, country, has_public, days, opens, closes, slugs = spec
        calendar = db.session.scalar(
            sa.select(BusinessCalendar).where(BusinessCalendar.name == name)
        )
        if calendar is not None:
            continue
        is_default = position == 0
        if is_default:  # a demo seeded before China's calendar: it becomes the default
            db.session.execute(sa.update(BusinessCalendar).values(is_default=False))
        calendar = BusinessCalendar(
            name=name,
            is_default=is_default,
            country=country,
            has_public_holidays=has_public,
            working_days=days,
            opens_at=opens,
            closes_at=closes,
        )
        db.session.add(calendar)
        db.session.flush()
        created += 1
        if is_default:
            for day, holiday in HOLIDAYS:
                db.session.add(Holiday(calendar_id=calendar.id, day=day, name=holiday))
                created += 1
        db.session.execute(
            sa.update(KeyAccount)
            .where(KeyAccount.slug.in_(slugs))
            .values(business_calendar_id=calendar.id)
        )
    return created
