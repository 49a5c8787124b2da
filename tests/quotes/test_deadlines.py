"""Routing and deadlines of a request for quote (询价), as for a hotline request: the rep, the
backup when the rep is away, the team queue when nobody is available; escalation to the sales
managers when the deadline passes unanswered."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.hotline.services import due_at_for
from portal.quotes import services
from portal.quotes.models import QuoteEvent
from portal.quotes.services import RequestLine
from tests.support.quotes import ask, event_kinds, mails_to, sent_quote


def away(user: User, world) -> None:
    today = world.acme.local_date()
    user.away_from, user.away_until = today - timedelta(days=1), today + timedelta(days=10)
    db.session.commit()


def routed_text(quote) -> str:
    return db.session.scalars(
        sa.select(QuoteEvent.text)
        .where(QuoteEvent.quote_id == quote.id, QuoteEvent.kind == "routed")
        .order_by(QuoteEvent.id.desc())
    ).first()


@pytest.mark.date_sensitive
def test_the_deadline_is_that_of_a_hotline_request_of_the_account(world):
    now = utcnow()
    quote = ask(world, now=now)
    assert quote.due_at == due_at_for(world.acme, now)


@pytest.mark.date_sensitive
def test_a_request_goes_to_the_backup_when_the_rep_is_away(world):
    away(world.inside, world)
    quote = ask(world)
    assert quote.assignee_id == world.inside2.id
    assert "backup" in routed_text(quote)
    assert mails_to("inside2@northwind.example", quote.number)
    assert not mails_to("inside@northwind.example", quote.number)


@pytest.mark.date_sensitive
def test_with_nobody_available_it_waits_in_the_team_queue_and_the_team_hears_of_it(world):
    for rep in db.session.scalars(sa.select(User).where(User.role == "inside_sales")):
        rep.is_available = False
    db.session.commit()
    quote = ask(world)
    assert quote.assignee_id is None
    assert "team queue" in mails_to("manager@northwind.example", quote.number)[0].subject
    assert mails_to("chen@northwind.example", quote.number)


@pytest.mark.date_sensitive
def test_a_buyers_answer_while_the_rep_is_away_goes_to_the_backup(world):
    quote = sent_quote(world)
    away(world.inside, world)
    services.ask_for_changes(world.buyer, quote, [RequestLine("NW-LT14", 3)])
    assert quote.assignee_id == world.inside2.id
    assert mails_to("inside2@northwind.example", quote.number)


@pytest.mark.date_sensitive
def test_an_unanswered_request_escalates_to_the_sales_managers_once(world):
    now = utcnow()
    quote = ask(world, now=now)
    assert services.sweep_deadlines(quote.due_at - timedelta(minutes=1)).endswith(": 0")
    assert quote.escalated_at is None
    late = quote.due_at + timedelta(minutes=1)
    assert services.sweep_deadlines(late) == "overdue quotes escalated: 1"
    assert quote.escalated_at == late
    assert event_kinds(quote)[-1] == "escalated"
    assert "overdue" in mails_to("manager@northwind.example", quote.number)[-1].subject
    assert services.sweep_deadlines(late + timedelta(hours=1)).endswith(": 0")


@pytest.mark.date_sensitive
def test_a_sent_quote_does_not_escalate(world):
    quote = sent_quote(world)
    assert services.sweep_deadlines(quote.due_at + timedelta(days=30)).endswith(": 0")
    assert quote.escalated_at is None


def test_reassigning_needs_a_reason_and_an_active_inside_sales_colleague(world):
    quote = ask(world)
    with pytest.raises(ServiceError) as refused:
        services.reassign(world.inside, quote, world.chen, " ")
    assert refused.value.field == "reason"
    for wrong in (world.manager, world.callcenter, None):
        with pytest.raises(ServiceError):
            services.reassign(world.inside, quote, wrong, "busy")
    with pytest.raises(ServiceError):
        services.reassign(world.callcenter, quote, world.chen, "busy")
    services.reassign(world.manager, quote, world.chen, "Speaks the customer's language")
    assert quote.assignee_id == world.chen.id
    assert event_kinds(quote)[-1] == "reassigned"
    assert mails_to("chen@northwind.example", quote.number)


@pytest.mark.date_sensitive
def test_an_escalation_is_no_edit_a_draft_form_open_meanwhile_still_saves(world):
    quote = ask(world)
    seen = quote.version
    services.sweep_deadlines(quote.due_at + timedelta(minutes=5))
    assert quote.escalated_at is not None and quote.version == seen
    services.save_draft(
        world.inside,
        quote,
        services.starting_lines(quote),
        valid_until=world.acme.local_date() + timedelta(days=20),
        expected_version=seen,
    )
