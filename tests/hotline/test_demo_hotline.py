"""The "Done when" checks of issue 6 for the hotline, on the demo data."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from portal.accounts.models import KeyAccount, User
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.hotline import services
from portal.hotline.business_hours import business_time_between
from portal.hotline.models import BusinessCalendar, HotlineRequest
from portal.hotline.queries import calendar_for
from portal.notifications.delivery import deliver_due
from portal.notifications.models import OutboxMessage
from tests.support.web import signed_in

SHANGHAI = ZoneInfo("Asia/Shanghai")


def user(email) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def acme() -> KeyAccount:
    return db.session.scalar(sa.select(KeyAccount).where(KeyAccount.slug == "acme"))


def file(now):
    return services.file_request(
        user("buyer@acme.example"),
        acme(),
        topic="quote",
        description="Please quote 20 docks.",
        phone="+86 21 5555 0101",
        now=now,
    )


def test_the_demo_has_a_default_calendar_and_seeds_its_requests_once():
    seed_demo(history=False)
    calendar = db.session.scalar(sa.select(BusinessCalendar).where(BusinessCalendar.is_default))
    assert (calendar.working_days, calendar.opens_at.hour, calendar.closes_at.hour) == (
        "12345",
        9,
        18,
    )
    # China's statutory holidays and make-up working days, from the holidays library
    assert calendar.country == "CN"
    assert not calendar_for(acme()).is_working_day(date(2026, 10, 1))
    assert calendar_for(acme()).is_working_day(date(2026, 10, 10))
    assert acme().tier == "platinum"
    requests = db.session.scalar(sa.select(sa.func.count(HotlineRequest.id)))
    assert requests >= 3
    assert seed_demo(history=False) == 0
    assert db.session.scalar(sa.select(sa.func.count(HotlineRequest.id))) == requests


def test_a_request_of_acme_goes_to_inside_with_a_deadline_2_business_hours_ahead():
    seed_demo(history=False)
    thursday_10_shanghai = datetime(2026, 11, 26, 2, tzinfo=UTC)
    filed = file(thursday_10_shanghai)
    assert user("inside@northwind.example").id == filed.assignee_id
    assert filed.due_at.astimezone(SHANGHAI) == datetime(2026, 11, 26, 12, tzinfo=SHANGHAI)
    assert business_time_between(
        filed.created_at, filed.due_at, calendar_for(acme()), "Asia/Shanghai"
    ) == timedelta(hours=2)
    (message,) = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.subject.contains(filed.number))
    )
    assert message.to_address == "inside@northwind.example"


def test_the_e_mail_of_a_demo_request_reaches_the_smtp_server(smtp_server):
    seed_demo(history=False)
    filed = file(datetime(2026, 11, 26, 2, tzinfo=UTC))

    deliver_due()

    (received,) = [m for m in smtp_server.messages if filed.number in m["Subject"]]
    assert received["To"] == "inside@northwind.example"
    plain = received.get_body(("plain",)).get_content()
    assert "Please quote 20 docks." in plain
    assert f"/staff/hotline/{filed.id}" in plain


def test_with_inside_away_the_next_request_goes_to_inside2():
    seed_demo(history=False)
    inside = user("inside@northwind.example")
    services.set_availability(inside, inside, True, date(2026, 11, 20), date(2026, 12, 1))
    filed = file(datetime(2026, 11, 26, 2, tzinfo=UTC))
    assert filed.assignee_id == user("inside2@northwind.example").id


def test_a_request_filed_on_a_friday_evening_falls_due_on_monday_morning():
    seed_demo(history=False)
    friday_evening = datetime(2026, 11, 27, 19, 30, tzinfo=SHANGHAI)
    filed = file(friday_evening.astimezone(UTC))
    assert filed.due_at.astimezone(SHANGHAI) == datetime(2026, 11, 30, 11, tzinfo=SHANGHAI)


def test_the_demo_buyer_files_through_the_page(web):
    seed_demo(history=False)
    buyer = signed_in(web, "buyer@acme.example", DEMO_PASSWORD)
    data = {"topic": "technical", "description": "Need an engineer.", "phone": "+86 21 5555 0101"}
    assert buyer.post("/a/acme/hotline", data=data | {"callback_window": "any"}).status_code == 303
    page = buyer.get("/a/acme/hotline").get_data(as_text=True)
    assert 'data-assignee="inside@northwind.example"' in page
