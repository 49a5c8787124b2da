"""Hotline services: routing, deadlines, validation, outcomes, escalation, samples, survey."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape

from portal.core.audit import AuditEvent
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.hotline import services
from portal.hotline.models import HotlineRequest, Lead, RequestEvent, SampleRequest
from portal.notifications.models import Notice, OutboxMessage
from tests import factories
from tests.support.catalogue import use_chinese_catalogue
from tests.support.hotline import THURSDAY_10


def file(desk, *, by=None, account=None, now=THURSDAY_10, **changes):
    values = {
        "topic": "order_problem",
        "description": "The dock does not charge.",
        "phone": "+86 21 5555 0101",
        "callback_window": "any",
    }
    values.update(changes)
    return services.file_request(by or desk.buyer, account or desk.account, now=now, **values)


def events(hotline_request, kind=None) -> list[RequestEvent]:
    query = sa.select(RequestEvent).where(RequestEvent.request_id == hotline_request.id)
    if kind:
        query = query.where(RequestEvent.kind == kind)
    return list(db.session.scalars(query.order_by(RequestEvent.id)))


def outbox(to=None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if to:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.session.scalars(query))


def away(user, until=date(2026, 12, 1), since=date(2026, 11, 20)):
    user.away_from, user.away_until = since, until
    db.session.commit()


# Routing


def test_a_request_goes_to_the_accounts_inside_sales_rep_with_the_reason(desk):
    filed = file(desk)
    assert filed.assignee_id == desk.inside.id
    (routed,) = events(filed, "routed")
    assert routed.assignee_id == desk.inside.id
    assert "inside@northwind.example" in routed.text


def test_an_away_rep_hands_over_to_the_backup_and_says_until_when(desk):
    away(desk.inside)
    filed = file(desk)
    assert filed.assignee_id == desk.inside2.id
    (routed,) = events(filed, "routed")
    assert routed.text == (
        "inside@northwind.example away until 1 Dec 2026: "
        "routed to backup inside2@northwind.example."
    )


def test_away_is_judged_on_the_accounts_local_date(desk):
    # Away until 26 Nov: at 23:30 UTC on the 26th it is already the 27th in Shanghai.
    away(desk.inside, until=date(2026, 11, 26))
    late_evening_utc = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert file(desk, now=late_evening_utc).assignee_id == desk.inside.id
    assert file(desk, now=datetime(2026, 11, 26, 12, tzinfo=UTC)).assignee_id == desk.inside2.id


def test_a_switched_off_or_inactive_rep_is_not_routed_to(desk):
    desk.inside.is_available = False
    desk.inside2.is_active = False
    db.session.commit()
    filed = file(desk)
    assert filed.assignee_id == desk.inside3.id
    assert "round-robin" in events(filed, "routed")[0].text


def test_round_robin_picks_the_rep_longest_without_a_routed_request(desk):
    away(desk.inside)
    away(desk.inside2)
    first = file(desk)
    assert first.assignee_id == desk.inside3.id  # never routed to: first
    assert "routed round-robin to inside3@northwind.example" in events(first, "routed")[0].text
    # inside3 has one now; a fourth rep who never had one goes first.
    inside4 = factories.StaffFactory(role="inside_sales", email="inside4@northwind.example")
    assert file(desk).assignee_id == inside4.id
    # Both had one: the one with the older one is next.
    assert file(desk).assignee_id == desk.inside3.id


def test_round_robin_counts_routings_of_every_account(desk):
    """The buyer's account scope must not hide other accounts' routings from the rotation."""
    away(desk.inside)
    away(desk.inside2)
    inside4 = factories.StaffFactory(role="inside_sales", email="inside4@northwind.example")
    factories.RequestEventFactory(
        request=factories.HotlineRequestFactory(account=desk.other),
        kind="routed",
        assignee_id=desk.inside3.id,
    )
    from portal.core.db import set_account_scope

    set_account_scope(db.session, desk.account.id)
    try:
        assert file(desk).assignee_id == inside4.id
    finally:
        set_account_scope(db.session, None)


def test_with_nobody_available_the_request_waits_in_the_team_queue(desk):
    for user in (desk.inside, desk.inside2, desk.inside3):
        user.is_available = False
    db.session.commit()
    filed = file(desk)
    assert filed.assignee_id is None
    assert events(filed, "routed")[0].text.endswith("left in the team queue.")
    told = {message.to_address: message for message in outbox()}
    assert set(told) == {
        "inside@northwind.example",
        "inside2@northwind.example",
        "inside3@northwind.example",
        "manager@northwind.example",
    }
    message = told["manager@northwind.example"]
    assert "waits in the team queue: nobody is available" in message.subject
    assert filed.number in message.subject and "The dock does not charge." in message.text_body
    assert "+86 21 5555 0101" in message.text_body


def test_an_inactive_colleague_is_not_told_of_the_team_queue(desk):
    for user in (desk.inside, desk.inside2, desk.inside3):
        user.is_available = False
    desk.inside3.is_active = False
    db.session.commit()
    file(desk)
    assert "inside3@northwind.example" not in {m.to_address for m in outbox()}


# Deadlines


def test_platinum_accounts_get_2_business_hours_and_others_8(desk):
    assert file(desk).due_at == THURSDAY_10 + timedelta(hours=2)
    gold = file(desk, by=desk.other_buyer, account=desk.other)
    # Chicago: Wednesday 20:00 -> Thursday 09:00 + 8h = 17:00 CST = 23:00 UTC.
    assert gold.due_at == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)


def test_a_request_filed_friday_evening_falls_due_monday_morning(desk):
    friday_19_shanghai = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    assert file(desk, now=friday_19_shanghai).due_at == datetime(2026, 11, 30, 3, tzinfo=UTC)


def test_the_accounts_calendar_and_its_holidays_count(desk):
    calendar = factories.BusinessCalendarFactory(working_days="12345")
    factories.HolidayFactory(calendar=calendar, day=date(2026, 11, 30))
    desk.account.business_calendar_id = calendar.id
    db.session.commit()
    friday_19_shanghai = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    assert file(desk, now=friday_19_shanghai).due_at == datetime(2026, 12, 1, 3, tzinfo=UTC)


def test_the_default_calendar_applies_to_accounts_without_one(desk):
    factories.BusinessCalendarFactory(is_default=True, working_days="1234567")
    friday_19_shanghai = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    assert file(desk, now=friday_19_shanghai).due_at == datetime(2026, 11, 28, 3, tzinfo=UTC)


# Validation


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"description": "   "}, "description", "Describe what you need."),
        ({"description": "x" * 4001}, "description", "4001 characters long; at most 4000"),
        ({"topic": "gossip"}, "topic", "Choose a topic."),
        ({"phone": ""}, "phone", "phone number"),
        ({"phone": "1" * 41}, "phone", "at most 40"),
        ({"phone": "call me after lunch"}, "phone", "is not a phone number"),
        ({"phone": "<script>alert(1)</script>"}, "phone", "is not a phone number"),
        ({"phone": "+86 1"}, "phone", "is not a phone number"),
        ({"phone": "2155550100 or ask Li"}, "phone", "is not a phone number"),
        ({"callback_window": "midnight"}, "callback_window", "call-back window"),
        ({"order_number": "NW-2026-999999"}, "order_number", "no order NW-2026-999999"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(
    desk, changes, field, message
):
    with pytest.raises(ServiceError) as refused:
        file(desk, **changes)
    assert refused.value.field == field
    assert message in refused.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(HotlineRequest.id))) == 0
    assert outbox() == []


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+86 21 5555 0101", "+86 21 5555 0101"),
        ("021-5555 0100 转 8001", "021-5555 0100 转 8001"),
        ("（021）5555－0100", "(021)5555-0100"),
        ("＋８６ １３８ ００１３ ８０００", "+86 138 0013 8000"),
        ("+1 (312) 555-0142 ext. 12", "+1 (312) 555-0142 ext. 12"),
    ],
)
def test_the_phone_takes_phone_numbers_typed_any_usual_way(desk, typed, stored):
    assert file(desk, phone=typed).phone == stored


def test_a_description_of_exactly_4000_characters_is_accepted_and_stripped(desk):
    filed = file(desk, description="  " + "x" * 4000 + "\n")
    assert filed.description == "x" * 4000


def test_an_order_of_another_account_is_not_found(desk):
    theirs = factories.OrderFactory(
        contract=factories.ContractFactory(account=desk.other), placed_by=desk.other_buyer
    )
    with pytest.raises(ServiceError, match="no order"):
        file(desk, order_number=theirs.number)
    ours = factories.OrderFactory(
        contract=factories.ContractFactory(account=desk.account), placed_by=desk.buyer
    )
    assert file(desk, order_number=ours.number).order_id == ours.id


def test_the_rep_reads_the_request_e_mail_in_their_language_deadline_and_labels_too(
    desk, app, tmp_path, monkeypatch
):
    """An English buyer files; the Chinese-reading rep's e-mail gave the topic and call-back
    window as codes (quote, morning) and the deadline as "7 Dec 2026, 17:00"."""
    chinese = {"Quote": "报价", "Morning": "上午", "Respond by:": "响应时限："}
    use_chinese_catalogue(monkeypatch, [app], tmp_path / "translations", chinese)
    desk.inside.locale = "zh_Hans"
    db.session.commit()

    file(desk, topic="quote", callback_window="morning")

    (mail,) = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == desk.inside.email)
    )
    for body in (mail.text_body, mail.html_body):
        assert "(报价)" in body and "(上午)" in body
        assert "(quote)" not in body and "(morning)" not in body
        assert re.search(r"2026年11月2\d日 \d\d:\d\d", body)


def test_an_order_number_typed_in_full_width_is_found(desk):
    ours = factories.OrderFactory(
        contract=factories.ContractFactory(account=desk.account), placed_by=desk.buyer
    )
    full_width = ours.number.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert full_width != ours.number
    assert file(desk, order_number=full_width.lower()).order_id == ours.id


def test_a_buyer_cannot_file_for_another_account(desk):
    with pytest.raises(ServiceError):
        file(desk, by=desk.other_buyer)


def test_call_centre_staff_file_for_a_caller_of_the_account(desk):
    filed = file(desk, by=desk.call_center, contact=desk.colleague)
    assert (filed.filed_by_id, filed.contact_id) == (desk.call_center.id, desk.colleague.id)
    with pytest.raises(ServiceError, match="contact"):
        file(desk, by=desk.call_center, contact=desk.other_buyer)


# E-mail in the same transaction


def test_the_assignee_gets_a_notice_and_an_email_committed_with_the_request(desk, monkeypatch):
    commits = []
    real_commit = db.session.commit

    def spy():
        db.session.flush()
        commits.append(
            (
                db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))),
                db.session.scalar(sa.select(sa.func.count(HotlineRequest.id))),
            )
        )
        real_commit()

    monkeypatch.setattr(db.session, "commit", spy)
    filed = file(desk)
    monkeypatch.undo()
    assert commits == [(1, 1)], "one commit carries the request and its e-mail"
    (message,) = outbox()
    assert message.to_address == "inside@northwind.example"
    assert filed.number in message.subject
    assert "The dock does not charge." in message.text_body
    assert db.session.scalar(sa.select(Notice.user_id)) == desk.inside.id


def test_when_the_commit_fails_neither_the_request_nor_its_email_remain(desk, monkeypatch):
    def fail():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", fail)
    with pytest.raises(RuntimeError):
        file(desk)
    monkeypatch.undo()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(HotlineRequest.id))) == 0
    assert outbox() == []


def test_the_email_escapes_the_description_in_html(desk):
    file(desk, description='<script>alert(1)</script> "><img src=x onerror=alert(1)>')
    (message,) = outbox()
    assert "<script>" not in message.html_body
    assert "&lt;script&gt;" in message.html_body
    assert "<img" not in message.html_body


# Working a request


def test_claiming_takes_the_request_and_starts_work(desk):
    filed = file(desk)
    services.claim(desk.inside3, filed)
    assert (filed.assignee_id, filed.status) == (desk.inside3.id, "in_progress")
    assert events(filed, "claimed")[0].actor_id == desk.inside3.id


def test_call_centre_staff_cannot_work_requests(desk):
    filed = file(desk)
    with pytest.raises(ServiceError):
        services.claim(desk.call_center, filed)


def test_reassigning_needs_a_reason_and_an_active_inside_sales_colleague(desk):
    filed = file(desk)
    with pytest.raises(ServiceError, match="note"):
        services.reassign(desk.manager, filed, desk.inside3, "")
    with pytest.raises(ServiceError, match="inside-sales"):
        services.reassign(desk.manager, filed, desk.field, "Knows the product")
    services.reassign(desk.manager, filed, desk.inside3, "Speaks the customer's dialect")
    (event,) = events(filed, "reassigned")
    assert (event.assignee_id, event.actor_id) == (desk.inside3.id, desk.manager.id)
    assert "Speaks the customer's dialect" in event.text
    assert outbox("inside3@northwind.example")


def test_logging_a_call_records_outcome_and_notes(desk):
    filed = file(desk)
    services.log_call(desk.inside, filed, "no_answer", "Rang twice.")
    (event,) = events(filed, "call")
    assert (event.call_outcome, event.text) == ("no_answer", "Rang twice.")
    with pytest.raises(ServiceError):
        services.log_call(desk.inside, filed, "shouted", "")


def test_closing_resolved_sends_the_survey_to_the_contact(desk):
    filed = file(desk)
    assert services.close(desk.inside, filed, "resolved", "Replaced the dock.") is None
    assert (filed.status, filed.outcome) == ("closed", "resolved")
    (survey,) = outbox("buyer@acme.example")
    assert f"/a/acme/hotline/{filed.id}/survey" in survey.text_body
    with pytest.raises(ServiceError, match="closed"):
        services.close(desk.inside, filed, "resolved", "")


def test_a_purchase_plan_becomes_a_lead_of_the_field_sales_rep(desk):
    filed = file(desk, topic="purchase_plan", description="300 desktops next quarter.")
    lead = services.close(desk.inside, filed, "purchase_plan", "Budget approved.")
    assert isinstance(lead, Lead)
    assert (lead.owner_id, lead.status, lead.request_id) == (desk.field.id, "new", filed.id)
    # handed over by the closer, who follows it; in the account's currency, at the stage's odds
    assert (lead.source, lead.handed_over_by_id) == ("purchase_plan", desk.inside.id)
    assert (lead.currency, lead.probability_percent) == (desk.account.currency, 10)
    assert "300 desktops" in lead.summary and "Budget approved." in lead.summary
    (message,) = outbox("field@northwind.example")
    assert f"New lead from hotline request {filed.number}" in message.subject
    for detail in (
        "Acme",  # the account
        "Alice Buyer <buyer@acme.example>",  # the contact
        "+86 21 5555 0101",  # the phone to call back
        "300 desktops next quarter.",  # what they asked
        "Budget approved.",  # what inside sales noted
        "(New purchase plan)",  # the topic by its label, not its code
        "(Any time)",  # when to call back, likewise
    ):
        assert detail in message.text_body, detail
        assert str(escape(detail)) in message.html_body, detail


def test_an_evaluation_unit_becomes_a_sample_request_for_the_managers(desk):
    product = factories.ProductFactory(sku="NW-SRV2")
    filed = file(desk, topic="evaluation_unit")
    sample = services.close(desk.inside, filed, "evaluation_unit", "", sku="nw-srv2", quantity=2)
    assert isinstance(sample, SampleRequest)
    assert (sample.status, sample.product_id, sample.quantity) == ("requested", product.id, 2)
    assert sample.requested_by_id == desk.inside.id
    assert outbox("manager@northwind.example")


def test_an_unknown_sku_refuses_the_close_and_writes_nothing(desk):
    filed = file(desk)
    with pytest.raises(ServiceError, match="NW-NOPE"):
        services.close(desk.inside, filed, "evaluation_unit", "", sku="NW-NOPE")
    db.session.rollback()
    assert db.session.get(HotlineRequest, filed.id).status == "open"
    assert db.session.scalar(sa.select(sa.func.count(SampleRequest.id))) == 0


@pytest.mark.parametrize("outcome", ["quote_sent", "no_action"])
def test_other_outcomes_just_close(desk, outcome):
    filed = file(desk)
    assert services.close(desk.inside, filed, outcome, "") is None
    assert filed.outcome == outcome


# Sample units


def sample_for(desk, **values):
    return factories.SampleRequestFactory(
        account=desk.account, requested_by_id=desk.inside.id, **values
    )


def test_a_manager_approves_a_sample_and_it_is_tracked_until_it_comes_back(desk):
    sample = sample_for(desk)
    services.move_sample(desk.manager, sample, "approved")
    assert (sample.status, sample.decided_by_id) == ("approved", desk.manager.id)
    with pytest.raises(ServiceError, match="due back"):
        services.move_sample(desk.inside, sample, "shipped")
    services.move_sample(desk.inside, sample, "shipped", due_back_on=date(2026, 12, 31))
    services.move_sample(desk.inside, sample, "returned")
    assert sample.status == "returned"
    with pytest.raises(ServiceError, match="cannot become"):
        services.move_sample(desk.inside, sample, "bought")


def test_nobody_approves_a_sample_they_requested(desk):
    sample = factories.SampleRequestFactory(account=desk.account, requested_by_id=desk.manager.id)
    with pytest.raises(ServiceError, match="own request"):
        services.move_sample(desk.manager, sample, "approved")
    services.move_sample(desk.director, sample, "rejected")
    assert sample.status == "rejected"


def test_inside_sales_cannot_decide_on_samples(desk):
    with pytest.raises(ServiceError, match="managers"):
        services.move_sample(desk.inside2, sample_for(desk), "approved")


def test_a_shipped_unit_can_be_bought(desk):
    sample = sample_for(desk, status="shipped", due_back_on=date(2026, 12, 31))
    services.move_sample(desk.manager, sample, "bought")
    assert sample.status == "bought"


# Survey


def test_the_contact_answers_the_survey_once(desk):
    filed = file(desk)
    with pytest.raises(ServiceError, match="when the request is closed"):
        services.answer_survey(desk.buyer, filed, 5, "")
    services.close(desk.inside, filed, "resolved", "")
    with pytest.raises(ServiceError, match="Only the person"):
        services.answer_survey(desk.colleague, filed, 5, "")
    with pytest.raises(ServiceError, match="1 to 5"):
        services.answer_survey(desk.buyer, filed, 6, "")
    services.answer_survey(desk.buyer, filed, 4, "Quick.")
    assert (filed.survey_rating, filed.survey_comment) == (4, "Quick.")
    with pytest.raises(ServiceError, match="already"):
        services.answer_survey(desk.buyer, filed, 1, "Changed my mind.")
    assert filed.survey_rating == 4


# Escalation


def test_overdue_requests_escalate_to_every_sales_manager_once(desk):
    second_manager = factories.StaffFactory(
        role="sales_manager", email="manager2@northwind.example"
    )
    filed = file(desk)
    on_time = file(desk, now=THURSDAY_10 + timedelta(hours=1))
    services.close(desk.inside, file(desk), "resolved", "")  # closed: never escalates
    after = filed.due_at + timedelta(minutes=30)
    assert services.sweep_deadlines(now=after) == "overdue hotline requests escalated: 1"
    assert filed.escalated_at == after and on_time.escalated_at is None
    assert [e.kind for e in events(filed, "escalated")] == ["escalated"]
    assert {m.to_address for m in outbox() if "overdue" in m.subject} == {
        "manager@northwind.example",
        second_manager.email,
    }
    assert services.sweep_deadlines(now=after + timedelta(minutes=1)) == (
        "overdue hotline requests escalated: 0"
    )
    assert len(events(filed, "escalated")) == 1
    assert len([m for m in outbox() if "overdue" in m.subject]) == 2


def test_a_request_due_exactly_now_is_not_yet_overdue(desk):
    filed = file(desk)
    services.sweep_deadlines(now=filed.due_at)
    assert filed.escalated_at is None


# Availability


def test_staff_set_their_own_availability_and_managers_that_of_inside_sales(desk):
    services.set_availability(desk.inside, desk.inside, True, date(2026, 12, 1), date(2026, 12, 3))
    assert (desk.inside.away_from, desk.inside.away_until) == (date(2026, 12, 1), date(2026, 12, 3))
    services.set_availability(desk.manager, desk.inside2, False, None, None)
    assert desk.inside2.is_available is False
    audit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "user.availability")
    ).all()
    assert [a.target for a in audit] == [f"user:{desk.inside.id}", f"user:{desk.inside2.id}"]
    with pytest.raises(ServiceError, match="own"):
        services.set_availability(desk.inside, desk.inside2, True, None, None)
    with pytest.raises(ServiceError, match="own"):
        services.set_availability(desk.manager, desk.field, False, None, None)
    with pytest.raises(ServiceError, match="before"):
        services.set_availability(
            desk.inside, desk.inside, True, date(2026, 12, 3), date(2026, 12, 1)
        )
