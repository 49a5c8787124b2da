"""Delivering the outbox to a real SMTP server (aiosmtpd on loopback): the e-mail as sent,
retries with backoff, dead letters, and what a rollback or a crash leaves (SECURITY.md 39)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext

from portal.core.db import utcnow
from portal.extensions import db
from portal.notifications import delivery
from portal.notifications.models import OutboxMessage
from portal.notifications.services import queue_email
from tests import factories
from tests.support.environment import free_port


def fresh(message: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def make_due(message: OutboxMessage) -> None:
    """As if the backoff had passed."""
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def test_a_message_goes_out_as_plain_text_with_an_html_alternative_and_its_message_id(
    app, smtp_server
):
    message = factories.OutboxMessageFactory(
        to_address="inside@northwind.example",
        subject="New hotline request",
        text_body="Acme asks for a call back.",
        html_body="<p>Acme asks for a <b>call back</b>.</p>",
    )
    run = delivery.deliver_due()
    assert (run.sent, run.deferred, run.dead) == (1, 0, 0)
    [email] = smtp_server.messages
    assert email["To"] == "inside@northwind.example"
    assert email["From"] == app.config["MAIL_FROM"]
    assert email["Subject"] == "New hotline request"
    assert email["Message-ID"] == message.message_id
    assert email["Date"]
    assert email.get_content_type() == "multipart/alternative"
    plain = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert plain.get_content().strip() == "Acme asks for a call back."
    assert html.get_content().strip() == "<p>Acme asks for a <b>call back</b>.</p>"
    sent = fresh(message)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, "")
    assert sent.sent_at is not None


def test_only_messages_that_are_due_and_pending_are_sent(smtp_server):
    due = factories.OutboxMessageFactory()
    factories.OutboxMessageFactory(next_attempt_at=utcnow() + timedelta(minutes=5))
    factories.OutboxMessageFactory(status="dead")
    factories.OutboxMessageFactory(status="sent", attempts=1)
    assert delivery.deliver_due().sent == 1
    assert smtp_server.message_ids() == [due.message_id]
    assert delivery.deliver_due().attempted == 0


def test_a_run_sends_at_most_its_limit(smtp_server):
    for _ in range(3):
        factories.OutboxMessageFactory()
    assert delivery.deliver_due(limit=2).sent == 2
    assert delivery.deliver_due().sent == 1
    assert len(smtp_server.messages) == 3


def test_a_line_break_in_the_subject_does_not_become_a_header_of_its_own(smtp_server):
    factories.OutboxMessageFactory(subject="Hello\r\nBcc: victim@example.com")
    delivery.deliver_due()
    [email] = smtp_server.messages
    assert email["Bcc"] is None
    assert email["Subject"] == "Hello Bcc: victim@example.com"


def test_a_transient_refusal_is_retried_after_a_backoff_and_then_sent_once(app, smtp_server):
    message = factories.OutboxMessageFactory()
    smtp_server.refuse_next(451)
    before = utcnow()
    run = delivery.deliver_due()
    assert (run.sent, run.deferred) == (0, 1)
    waiting = fresh(message)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.last_error.startswith("451")
    base = app.config["OUTBOX_BACKOFF_SECONDS"]
    assert before + timedelta(seconds=base) <= waiting.next_attempt_at
    assert waiting.next_attempt_at <= utcnow() + timedelta(seconds=base * 1.1)
    assert delivery.deliver_due().attempted == 0  # not due yet
    make_due(message)
    assert delivery.deliver_due().sent == 1
    assert smtp_server.message_ids() == [message.message_id]
    assert (fresh(message).status, fresh(message).attempts) == ("sent", 2)


def test_the_backoff_doubles_after_each_failure_up_to_its_cap():
    waits = [delivery.backoff(n, 30, 3600).total_seconds() for n in range(1, 10)]
    for wait, expected in zip(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600], strict=True):
        assert expected <= wait <= expected * 1.1


def test_a_message_refused_again_and_again_goes_dead_after_the_last_attempt(
    app, smtp_server, monkeypatch
):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    message = factories.OutboxMessageFactory()
    smtp_server.refuse_next(451, times=3)
    for attempt in (1, 2):
        assert delivery.deliver_due().deferred == 1
        assert (fresh(message).status, fresh(message).attempts) == ("pending", attempt)
        make_due(message)
    assert delivery.deliver_due().dead == 1
    dead = fresh(message)
    assert (dead.status, dead.attempts) == ("dead", 3)
    assert "451" in dead.last_error
    make_due(message)
    assert delivery.deliver_due().attempted == 0
    assert smtp_server.messages == []


def test_a_permanent_refusal_of_the_recipient_goes_dead_at_once(smtp_server):
    message = factories.OutboxMessageFactory(to_address="nobody@acme.example")
    other = factories.OutboxMessageFactory()
    smtp_server.refuse_address["nobody@acme.example"] = 550
    run = delivery.deliver_due()
    assert (run.sent, run.dead) == (1, 1)
    dead = fresh(message)
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert dead.last_error.startswith("550")
    assert smtp_server.message_ids() == [other.message_id]


def test_a_message_queued_in_a_rolled_back_transaction_is_never_sent(smtp_server):
    queue_email("rolled-back@acme.example", lazy_gettext("Never"), "notice")
    db.session.flush()
    db.session.rollback()
    kept = queue_email("kept@acme.example", lazy_gettext("Kept"), "notice")
    db.session.commit()
    assert delivery.deliver_due().sent == 1
    assert [m["To"] for m in smtp_server.messages] == ["kept@acme.example"]
    assert db.session.scalars(sa.select(OutboxMessage.to_address)).all() == ["kept@acme.example"]
    assert smtp_server.message_ids() == [kept.message_id]


def test_a_crash_between_claim_and_send_leaves_the_message_pending_and_it_is_sent_once(
    smtp_server, monkeypatch
):
    message = factories.OutboxMessageFactory()
    real_build = delivery.build_email
    crashes = []

    def crash_once(*args, **kwargs):
        if not crashes:
            crashes.append(1)
            raise RuntimeError("the process died here")
        return real_build(*args, **kwargs)

    monkeypatch.setattr(delivery, "build_email", crash_once)
    with pytest.raises(RuntimeError):
        delivery.deliver_due()
    assert not db.session().in_transaction()  # rolled back: the row is unlocked
    waiting = fresh(message)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert smtp_server.messages == []
    assert delivery.deliver_due().sent == 1
    assert delivery.deliver_due().attempted == 0
    assert smtp_server.message_ids() == [message.message_id]
    assert fresh(message).status == "sent"


def test_a_commit_lost_after_the_server_accepted_resends_with_the_same_message_id(
    smtp_server, monkeypatch
):
    """The window that cannot be closed: the receiver sees the same Message-ID twice."""
    message = factories.OutboxMessageFactory()
    real_mark_sent = delivery.mark_sent
    crashes = []

    def crash_once(outbox_message):
        real_mark_sent(outbox_message)
        if not crashes:
            crashes.append(1)
            raise RuntimeError("the commit was lost")

    monkeypatch.setattr(delivery, "mark_sent", crash_once)
    with pytest.raises(RuntimeError):
        delivery.deliver_due()
    assert not db.session().in_transaction()  # rolled back: the row is unlocked
    assert (fresh(message).status, fresh(message).attempts) == ("pending", 0)
    assert delivery.deliver_due().sent == 1
    assert delivery.deliver_due().attempted == 0
    assert smtp_server.message_ids() == [message.message_id, message.message_id]
    assert (fresh(message).status, fresh(message).attempts) == ("sent", 1)


def test_a_server_that_does_not_answer_defers_one_message_and_ends_the_run(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens there
    first = factories.OutboxMessageFactory()
    second = factories.OutboxMessageFactory()
    run = delivery.deliver_due()
    assert (run.sent, run.deferred) == (0, 1)
    assert fresh(first).attempts == 1
    assert "ConnectionRefusedError" in fresh(first).last_error
    assert (fresh(second).status, fresh(second).attempts) == ("pending", 0)


def test_a_dead_message_sent_again_gets_a_full_set_of_attempts(smtp_server):
    message = factories.OutboxMessageFactory(status="dead", attempts=8, last_error="550 no")
    delivery.retry_dead(fresh(message))
    again = fresh(message)
    assert (again.status, again.attempts) == ("pending", 0)
    assert delivery.deliver_due().sent == 1
    assert smtp_server.message_ids() == [message.message_id]
