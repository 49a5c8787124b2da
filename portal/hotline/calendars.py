"""Business calendars: which one an account's deadlines count in (staff choose), and the demo's:
China's by default, the United States' for Globex.

Deadlines count business hours of an account's calendar (hotline.queries.calendar_for); a
calendar may count its country's public holidays and make-up working days
(hotline.public_holidays) besides its own holidays.
"""

from datetime import date, time

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.accounts.models import KeyAccount
from portal.core import audit
from portal.core.errors import ServiceError
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


# Reads and the one verb: which calendar an account's deadlines count in


def calendars() -> list[BusinessCalendar]:
    """Every calendar, the default first, then by name."""
    return list(
        db.session.scalars(
            sa.select(BusinessCalendar).order_by(
                BusinessCalendar.is_default.desc(), BusinessCalendar.name
            )
        )
    )


def calendar_of(account: KeyAccount, among: list[BusinessCalendar]) -> BusinessCalendar | None:
    """The calendar `account` counts in, of `among`: its own, else the default."""
    by_id = {calendar.id: calendar for calendar in among}
    if account.business_calendar_id in by_id:
        return by_id[account.business_calendar_id]
    return next((calendar for calendar in among if calendar.is_default), None)


def set_account_calendar(actor, account: KeyAccount, calendar_id: int | None) -> None:
    """Make the account's deadlines and care dates count in that calendar (None: the
    default); audited, commits."""
    if calendar_id is not None and db.session.get(BusinessCalendar, calendar_id) is None:
        raise ServiceError(_("Choose one of the calendars offered."), field="calendar")
    old = account.business_calendar_id
    if old != calendar_id:
        account.business_calendar_id = calendar_id
        audit.record(
            actor,
            "account.calendar",
            f"account:{account.slug}",
            {"business_calendar_id": (old, calendar_id)},
        )
    db.session.commit()
