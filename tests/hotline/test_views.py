"""Hotline pages through HTTP: the buyer's form and list, the staff queue and its actions."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from markupsafe import escape

from portal.extensions import db
from portal.hotline import services
from portal.hotline.models import HotlineRequest, RequestEvent, SampleRequest
from portal.notifications.models import OutboxMessage
from tests import factories
from tests.support.locales import reading_in
from tests.support.web import count_queries, signed_in

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def text(page) -> str:
    return page.get_data(as_text=True)


def form(**changes) -> dict:
    data = {
        "topic": "order_problem",
        "description": "The dock does not charge.",
        "phone": "+86 21 5555 0101",
        "callback_window": "morning",
        "order_number": "",
    }
    data.update(changes)
    return data


def requests_in_db() -> list[HotlineRequest]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(HotlineRequest).order_by(HotlineRequest.id)))


def request_attributes(page) -> list[dict]:
    return [
        dict(zip(("id", "assignee", "due_at"), found, strict=True))
        for found in re.findall(
            r'data-request-id="(\d+)" data-assignee="([^"]*)" data-due-at="([^"]+)"', text(page)
        )
    ]


@pytest.fixture
def buyer(web, desk):
    return signed_in(web, desk.buyer.email)


# Buyer side


def test_the_form_has_the_topics_and_the_phone_prefilled(buyer):
    page = buyer.get("/a/acme/hotline")
    assert page.status_code == 200
    body = text(page)
    assert 'value="+86 21 5555 0101"' in body
    assert 'type="tel"' in body
    for label in ("Order problem", "New purchase plan", "Technical or pre-sales engineer"):
        assert label in body
    assert 'href="tel:+862155550100"' in body


def test_filing_a_request_lists_it_with_assignee_and_local_deadline(buyer, desk):
    response = buyer.post("/a/acme/hotline", data=form())
    assert response.status_code == 303
    (filed,) = requests_in_db()
    assert (filed.assignee_id, filed.contact_id) == (desk.inside.id, desk.buyer.id)
    page = buyer.get("/a/acme/hotline")
    assert filed.number in text(page)
    (attributes,) = request_attributes(page)
    due = datetime.fromisoformat(attributes["due_at"])
    assert attributes == {
        "id": str(filed.id),
        "assignee": "inside@northwind.example",
        "due_at": attributes["due_at"],
    }
    assert due.utcoffset() == timedelta(hours=8)  # Asia/Shanghai
    assert due == filed.due_at
    assert "Inside will call you back" in text(page)


def test_unassigned_requests_carry_an_empty_assignee(buyer, desk):
    for user in (desk.inside, desk.inside2, desk.inside3):
        user.is_available = False
    db.session.commit()
    buyer.post("/a/acme/hotline", data=form())
    (attributes,) = request_attributes(buyer.get("/a/acme/hotline"))
    assert attributes["assignee"] == ""


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ("", "Describe what you need."),
        ("   \n ", "Describe what you need."),
        ("x" * 4001, "The description is 4001 characters long; at most 4000 are allowed."),
    ],
    ids=["empty", "blank", "oversized"],
)
def test_an_empty_or_oversized_description_is_refused_and_nothing_written(
    buyer, description, message
):
    page = buyer.post("/a/acme/hotline", data=form(description=description))
    assert page.status_code == 422
    assert message in text(page)
    assert requests_in_db() == []
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize("payload", [SCRIPT, IMG])
def test_script_in_a_description_is_shown_escaped(buyer, web, desk, payload):
    buyer.post("/a/acme/hotline", data=form(description=payload))
    (filed,) = requests_in_db()
    assert filed.description == payload
    escaped = str(escape(payload))
    pages = [buyer.get("/a/acme/hotline")]
    staff = signed_in(web, desk.inside.email)
    pages.append(staff.get(f"/staff/hotline/{filed.id}"))
    for page in pages:
        assert payload not in text(page)
        assert escaped in text(page)
        assert "<script>alert(1)" not in text(page)
        assert "<img src=x" not in text(page)


def test_the_phone_field_takes_phone_numbers_only(buyer):
    page = buyer.post("/a/acme/hotline", data=form(phone="ring Alice after lunch"))
    assert page.status_code == 422
    assert "is not a phone number" in text(page)
    assert requests_in_db() == []


def test_a_form_re_rendered_after_an_error_keeps_the_payload_escaped(buyer):
    page = buyer.post("/a/acme/hotline", data=form(description=SCRIPT, phone=""))
    assert page.status_code == 422
    assert SCRIPT not in text(page)
    assert "&lt;script&gt;" in text(page)


def test_another_accounts_requests_are_not_shown_nor_reachable(web, buyer, desk):
    theirs = factories.HotlineRequestFactory(account=desk.other, filed_by=desk.other_buyer)
    ours = factories.HotlineRequestFactory(
        account=desk.account, filed_by=desk.buyer, description="Acme's secret plan"
    )
    assert request_attributes(buyer.get("/a/acme/hotline"))[0]["id"] == str(ours.id)
    assert buyer.get(f"/a/acme/hotline/{theirs.id}/survey").status_code == 404
    assert buyer.get("/a/globex/hotline").status_code == 404
    globex = signed_in(web, desk.other_buyer.email)
    assert globex.get(f"/a/globex/hotline/{ours.id}/survey").status_code == 404
    assert globex.get(f"/a/acme/hotline/{ours.id}/survey").status_code == 404
    globex_page = text(globex.get("/a/globex/hotline"))
    assert "secret plan" not in globex_page
    assert [a["id"] for a in request_attributes(globex.get("/a/globex/hotline"))] == [
        str(theirs.id)
    ]


def test_an_order_reference_of_another_account_is_refused(buyer, desk):
    theirs = factories.OrderFactory(
        contract=factories.ContractFactory(account=desk.other), placed_by=desk.other_buyer
    )
    page = buyer.post("/a/acme/hotline", data=form(order_number=theirs.number))
    assert page.status_code == 422
    assert f"There is no order {theirs.number} of your company." in text(page)
    assert requests_in_db() == []


def test_the_buyer_list_takes_a_constant_number_of_queries(buyer, desk):
    def statements_with(total):
        for _ in range(total - len(requests_in_db())):
            factories.HotlineRequestFactory(
                account=desk.account, filed_by=desk.buyer, assignee_id=desk.inside.id
            )
        with count_queries() as statements:
            page = buyer.get("/a/acme/hotline")
        assert len(request_attributes(page)) == total
        return len(statements)

    few, many = statements_with(3), statements_with(12)
    assert few == many
    assert many <= 5


def test_the_landing_page_offers_the_hotline_number_and_a_call_back_button(buyer):
    body = text(buyer.get("/a/acme/"))
    assert 'href="tel:+862155550100"' in body
    assert 'href="/a/acme/hotline"' in body and "Request a call-back" in body


def test_the_contact_answers_the_survey_of_a_closed_request(buyer, desk):
    filed = factories.HotlineRequestFactory(
        account=desk.account, filed_by=desk.buyer, status="closed", outcome="resolved"
    )
    page = buyer.get(f"/a/acme/hotline/{filed.id}/survey")
    assert page.status_code == 200 and 'name="rating"' in text(page)
    assert buyer.post(f"/a/acme/hotline/{filed.id}/survey", data={"rating": "5"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(HotlineRequest, filed.id).survey_rating == 5
    again = buyer.post(f"/a/acme/hotline/{filed.id}/survey", data={"rating": "1"})
    assert again.status_code == 403
    db.session.expire_all()
    assert db.session.get(HotlineRequest, filed.id).survey_rating == 5


def test_a_colleague_cannot_answer_someone_elses_survey(web, desk):
    filed = factories.HotlineRequestFactory(
        account=desk.account, filed_by=desk.buyer, status="closed", outcome="resolved"
    )
    colleague = signed_in(web, desk.colleague.email)
    assert colleague.get(f"/a/acme/hotline/{filed.id}/survey").status_code == 200
    posted = colleague.post(f"/a/acme/hotline/{filed.id}/survey", data={"rating": "1"})
    assert posted.status_code == 403


# Staff side


def overdue_and_not(desk):
    now = datetime.now(UTC)
    late = factories.HotlineRequestFactory(
        account=desk.account, assignee_id=desk.inside.id, due_at=now - timedelta(hours=1)
    )
    soon = factories.HotlineRequestFactory(
        account=desk.account, assignee_id=desk.inside.id, due_at=now + timedelta(hours=1)
    )
    later = factories.HotlineRequestFactory(
        account=desk.other, assignee_id=desk.inside2.id, due_at=now + timedelta(hours=5)
    )
    return late, soon, later


@pytest.mark.date_sensitive
def test_the_queue_lists_overdue_first_then_by_deadline_with_tabs(web, desk):
    late, soon, later = overdue_and_not(desk)
    later.due_at = late.due_at + timedelta(minutes=1)  # earlier than soon, but not overdue? no:
    later.due_at = datetime.now(UTC) + timedelta(minutes=30)
    db.session.commit()
    staff = signed_in(web, desk.inside.email)
    mine = staff.get("/staff/hotline")
    assert [a["id"] for a in request_attributes(mine)] == [str(late.id), str(soon.id)]
    assert 'data-overdue="true"' in text(mine) and "table-danger" in text(mine)
    team = staff.get("/staff/hotline?tab=team")
    assert [a["id"] for a in request_attributes(team)] == [
        str(late.id),
        str(later.id),
        str(soon.id),
    ]
    assert "Globex Manufacturing" in text(team)
    services.close(desk.inside, soon, "resolved", "")
    closed = staff.get("/staff/hotline?tab=closed")
    assert [a["id"] for a in request_attributes(closed)] == [str(soon.id)]


def test_the_queue_takes_a_constant_number_of_queries(web, desk):
    staff = signed_in(web, desk.manager.email)

    def statements_with(total):
        for n in range(total - len(requests_in_db())):
            factories.HotlineRequestFactory(
                account=desk.account if n % 2 else desk.other,
                assignee_id=(desk.inside if n % 2 else desk.inside2).id,
            )
        with count_queries() as statements:
            page = staff.get("/staff/hotline?tab=team")
        assert len(request_attributes(page)) == total
        return len(statements)

    few, many = statements_with(3), statements_with(12)
    assert few == many
    assert many <= 4


def test_staff_claim_log_a_call_and_close_from_the_detail_page(web, desk):
    factories.ProductFactory(sku="NW-SRV2")
    filed = services.file_request(
        desk.buyer,
        desk.account,
        topic="evaluation_unit",
        description="One server.",
        phone="021 5555 0101",
    )
    staff = signed_in(web, desk.inside2.email)
    detail = staff.get(f"/staff/hotline/{filed.id}")
    assert "Routed to the account&#39;s inside-sales rep inside@northwind.example." in text(detail)
    assert staff.post(f"/staff/hotline/{filed.id}/claim").status_code == 303
    call = {"call_outcome": "reached", "notes": "Wants one for 4 weeks."}
    assert staff.post(f"/staff/hotline/{filed.id}/call", data=call).status_code == 303
    close = {"outcome": "evaluation_unit", "note": "", "sku": "NW-SRV2", "quantity": "1"}
    assert staff.post(f"/staff/hotline/{filed.id}/close", data=close).status_code == 303
    db.session.expire_all()
    filed = db.session.get(HotlineRequest, filed.id)
    assert (filed.status, filed.assignee_id, filed.outcome) == (
        "closed",
        desk.inside2.id,
        "evaluation_unit",
    )
    kinds = db.session.scalars(
        sa.select(RequestEvent.kind).where(RequestEvent.request_id == filed.id)
    ).all()
    assert kinds == ["routed", "claimed", "call", "closed"]
    assert db.session.scalar(sa.select(SampleRequest.status)) == "requested"


def test_a_refused_close_shows_the_message_and_changes_nothing(web, desk):
    filed = factories.HotlineRequestFactory(account=desk.account, assignee_id=desk.inside.id)
    staff = signed_in(web, desk.inside.email)
    close = {"outcome": "evaluation_unit", "note": "", "sku": "NW-NOPE", "quantity": "1"}
    page = staff.post(f"/staff/hotline/{filed.id}/close", data=close)
    assert page.status_code == 422 and "There is no product NW-NOPE." in text(page)
    db.session.expire_all()
    assert db.session.get(HotlineRequest, filed.id).status == "open"


def test_staff_reassign_with_a_reason(web, desk):
    filed = factories.HotlineRequestFactory(account=desk.account, assignee_id=desk.inside.id)
    staff = signed_in(web, desk.manager.email)
    data = {"assignee_id": str(desk.inside3.id), "reason": "Inside is overloaded"}
    assert staff.post(f"/staff/hotline/{filed.id}/reassign", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(HotlineRequest, filed.id).assignee_id == desk.inside3.id


def test_call_centre_staff_file_for_a_caller_but_do_not_work_requests(web, desk):
    staff = signed_in(web, desk.call_center.email)
    assert "Acme Hospital Group" in text(staff.get("/staff/hotline/new"))
    page = staff.get("/staff/hotline/new?account=acme")
    assert "approver@acme.example" in text(page)
    response = staff.post(
        "/staff/hotline/new?account=acme", data=form(contact_id=str(desk.colleague.id))
    )
    assert response.status_code == 303
    (filed,) = requests_in_db()
    assert (filed.filed_by_id, filed.contact_id) == (desk.call_center.id, desk.colleague.id)
    assert staff.post(f"/staff/hotline/{filed.id}/claim").status_code == 403
    assert 'action="/staff/hotline/' not in text(staff.get(f"/staff/hotline/{filed.id}"))


def test_a_manager_decides_a_sample_but_not_their_own(web, desk):
    theirs = factories.SampleRequestFactory(account=desk.account, requested_by_id=desk.inside.id)
    own = factories.SampleRequestFactory(account=desk.account, requested_by_id=desk.manager.id)
    staff = signed_in(web, desk.manager.email)
    page = staff.get("/staff/samples")
    assert f'action="/staff/samples/{theirs.id}"' in text(page)
    assert f'action="/staff/samples/{own.id}"' not in text(page)
    staff.post(f"/staff/samples/{theirs.id}", data={"to": "approved"})
    staff.post(f"/staff/samples/{own.id}", data={"to": "approved"})
    db.session.expire_all()
    assert db.session.get(SampleRequest, theirs.id).status == "approved"
    assert db.session.get(SampleRequest, own.id).status == "requested"
    shipped = {"to": "shipped", "due_back_on": "2026-12-31"}
    staff.post(f"/staff/samples/{theirs.id}", data=shipped)
    db.session.expire_all()
    assert db.session.get(SampleRequest, theirs.id).due_back_on == date(2026, 12, 31)


def test_availability_own_for_everyone_all_inside_sales_for_managers(web, desk):
    inside = signed_in(web, desk.inside.email)
    page = text(inside.get("/staff/availability"))
    assert "inside@northwind.example" in page and "inside2@northwind.example" not in page
    mark = {"user_id": str(desk.inside.id), "away_from": "2026-11-20", "away_until": "2026-12-01"}
    assert inside.post("/staff/availability", data=mark).status_code == 303
    other = {"user_id": str(desk.inside2.id), "is_available": ""}
    assert inside.post("/staff/availability", data=other).status_code == 404
    manager = signed_in(web, desk.manager.email)
    assert "inside3@northwind.example" in text(manager.get("/staff/availability"))
    assert manager.post("/staff/availability", data=other).status_code == 303
    db.session.expire_all()
    assert db.session.get(type(desk.inside), desk.inside.id).away_until == date(2026, 12, 1)
    assert db.session.get(type(desk.inside2), desk.inside2.id).is_available is False


@pytest.mark.date_sensitive
def test_the_staff_dashboard_links_the_queue_with_counts(web, desk):
    overdue_and_not(desk)
    page = text(signed_in(web, desk.inside.email).get("/staff/"))
    assert 'data-hotline-mine="2"' in page and 'data-hotline-overdue="1"' in page
    assert 'href="/staff/hotline"' in page


# Deadlines as each reader sees them: the buyer in the account's zone; staff in their own,
# labelled, in their language's date style.

DUE = datetime(2026, 12, 7, 6, 5, tzinfo=UTC)  # 14:05 in Shanghai, 07:05 in Berlin


def test_the_buyer_sees_a_deadline_in_the_accounts_time_without_a_label(buyer, desk):
    factories.HotlineRequestFactory(account=desk.account, contact_id=desk.buyer.id, due_at=DUE)
    page = text(buyer.get("/a/acme/hotline"))
    assert "7 Dec 2026, 14:05" in page
    assert "14:05 (" not in page


@pytest.mark.parametrize(
    ("locale", "zone", "shown"),
    [
        ("en", "Asia/Shanghai", "7 Dec 2026, 14:05 (Asia/Shanghai)"),
        ("en", "Europe/Berlin", "7 Dec 2026, 07:05 (Europe/Berlin)"),
        ("zh_Hans", "Asia/Shanghai", "2026年12月7日 14:05 (Asia/Shanghai)"),
    ],
)
def test_staff_see_a_deadline_in_their_own_zone_labelled(web, desk, locale, zone, shown):
    filed = factories.HotlineRequestFactory(
        account=desk.account, assignee_id=desk.inside.id, due_at=DUE
    )
    staff = signed_in(web, desk.inside.email)
    with reading_in(web, locale, zone):
        queue = text(staff.get("/staff/hotline"))
        detail = text(staff.get(f"/staff/hotline/{filed.id}"))
    assert shown in queue and shown in detail
    assert f'data-due-at="{DUE.astimezone(ZoneInfo("Asia/Shanghai")).isoformat()}"' in queue
