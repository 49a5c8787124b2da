"""The buyer's answers to a sent quote (接受, 拒绝, 要求修改, 续期) and staff closing one as
lost (丢单); expiry on the account's calendar, under a frozen clock."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.core.errors import ServiceError
from portal.core.versioning import Conflict
from portal.extensions import db
from portal.quotes import services
from portal.quotes.services import RequestLine
from tests.support.quotes import event_kinds, mails_to, sent_quote, valid_until, versions


def test_the_buyer_accepts_the_sent_version_and_the_rep_hears_of_it(world):
    quote = sent_quote(world)
    with pytest.raises(ServiceError, match="newer"):
        services.accept(world.buyer, quote, 1)
    with pytest.raises(ServiceError):
        services.accept(world.other_buyer, quote, 2)  # another account's buyer
    with pytest.raises(ServiceError):
        services.accept(world.inside, quote, 2)  # staff do not accept for the buyer
    services.accept(world.buyer, quote, 2)
    version = versions(quote)[-1]
    assert quote.status == "accepted"
    assert (version.accepted_by_id, version.accepted_at is not None) == (world.buyer.id, True)
    assert event_kinds(quote)[-1] == "accepted"
    assert any("accepted" in m.subject for m in mails_to("inside@northwind.example", quote.number))
    with pytest.raises(ServiceError):
        services.accept(world.buyer, quote, 2)  # once


def test_the_buyer_rejects_with_a_reason_and_the_quote_is_lost(world):
    quote = sent_quote(world)
    with pytest.raises(ServiceError) as refused:
        services.reject(world.buyer, quote, "too_expensive")
    assert refused.value.field == "reason"
    assert quote.status == "sent"
    services.reject(world.buyer, quote, "competitor", "Cheaper elsewhere")
    assert (quote.status, quote.lost_reason, quote.lost_comment, quote.lost_by_id) == (
        "lost",
        "competitor",
        "Cheaper elsewhere",
        world.buyer.id,
    )
    assert event_kinds(quote)[-1] == "lost"
    with pytest.raises(ServiceError):
        services.accept(world.buyer, quote, 2)


def test_asking_for_changes_makes_a_buyer_version_and_gives_the_rep_a_new_deadline(world):
    quote = sent_quote(world)
    first_due = quote.due_at
    quote.escalated_at = utcnow()
    with pytest.raises(ServiceError):
        services.ask_for_changes(world.buyer, quote, [], "nothing")
    with pytest.raises(ServiceError, match="NW-NOPE"):
        services.ask_for_changes(world.buyer, quote, [RequestLine("NW-NOPE", 1)])
    assert len(versions(quote)) == 2 and quote.status == "sent"
    change = services.ask_for_changes(
        world.buyer, quote, [RequestLine("nw-lt14", 20, Decimal("7000.00"), "20 now")], "More"
    )
    assert (change.number, change.side, change.status, change.note) == (3, "buyer", "sent", "More")
    assert (quote.status, quote.escalated_at) == ("requested", None)
    assert quote.due_at >= first_due
    assert event_kinds(quote)[-1] == "changes_requested"
    assert any("changes" in m.subject for m in mails_to("inside@northwind.example", quote.number))


@pytest.mark.date_sensitive
def test_a_quote_expires_after_its_valid_until_on_the_accounts_calendar(world):
    quote = sent_quote(world, days=1)
    last_day = valid_until(world.acme, 1)
    assert not services.is_expired(quote, last_day)
    assert services.is_expired(quote, last_day + timedelta(days=1))
    with pytest.raises(ServiceError, match="expired"):
        services.ask_to_renew(world.buyer, quote)  # not yet
    with time_machine.travel(utcnow() + timedelta(days=2, hours=1), tick=False):
        with pytest.raises(ServiceError, match="expired"):
            services.accept(world.buyer, quote, 2)
        assert quote.status == "sent"
        services.ask_to_renew(world.buyer, quote, "Still interested")
        assert quote.status == "requested"
        assert event_kinds(quote)[-1] == "renewal_requested"
        assert not services.is_expired(quote, last_day + timedelta(days=5))
        # the rep answers with a new version, valid again from the new today
        version = services.save_draft(
            world.inside,
            quote,
            services.starting_lines(quote),
            valid_until=valid_until(world.acme, 10),
        )
        assert version.number == 3


@pytest.mark.date_sensitive
def test_an_accepted_quote_expires_too(world):
    quote = sent_quote(world, days=1)
    services.accept(world.buyer, quote, 2)
    assert services.is_expired(quote, valid_until(world.acme, 2))
    assert not services.is_expired(quote, valid_until(world.acme, 1))


def test_staff_mark_an_open_quote_lost_with_a_reason_and_the_buyer_is_told(world):
    quote = sent_quote(world)
    with pytest.raises(ServiceError):
        services.mark_lost(world.callcenter, quote, "timing")
    with pytest.raises(ServiceError) as refused:
        services.mark_lost(world.inside, quote, "")
    assert refused.value.field == "reason"
    services.mark_lost(world.inside, quote, "no_longer_needed", "Project cancelled")
    assert (quote.status, quote.lost_reason, quote.lost_by_id) == (
        "lost",
        "no_longer_needed",
        world.inside.id,
    )
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "quote.lost"))
    assert (audit.target, audit.reason) == (f"quote:{quote.number}", "Project cancelled")
    assert mails_to("buyer@acme.example", quote.number)[-1].text_body.count("Project cancelled")
    with pytest.raises(ServiceError, match="closed"):
        services.mark_lost(world.inside, quote, "other")


def test_a_quote_in_review_can_be_lost_and_then_nobody_approves_it(world):
    quote = services.request_quote(world.buyer, world.acme, [RequestLine("NW-LT14", 200)])
    services.save_draft(
        world.inside,
        quote,
        [services.DraftLine("NW-LT14", 200, Decimal("6900.00"))],
        valid_until=valid_until(world.acme),
    )
    services.submit(world.inside, quote)
    services.mark_lost(world.manager, quote, "price")
    assert services.waiting_for(quote) == []
    with pytest.raises(ServiceError):
        services.decide_price(world.manager, quote, True, "")
    with pytest.raises(ServiceError):
        services.sign_off(world.admin, quote, "product")


def test_two_tabs_an_answer_from_an_older_page_is_a_conflict(world):
    quote = sent_quote(world)
    seen = quote.version
    services.ask_for_changes(world.buyer, quote, [RequestLine("NW-LT14", 4)], expected_version=seen)
    with pytest.raises(Conflict):
        services.accept(world.buyer, quote, 2, expected_version=seen)
    with pytest.raises(Conflict):
        services.mark_lost(world.inside, quote, "price", expected_version=seen)
    assert quote.status == "requested"
