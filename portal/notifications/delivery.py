"""Delivering the outbox (SECURITY.md 39): each due message is claimed, sent by SMTP and marked
sent in ONE transaction of its own.

The claim locks the row (PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1`, so workers
side by side never take the same row and never wait on each other; SQLite: the write lock of an
IMMEDIATE transaction, `begin_write`), the message goes to the SMTP server, and the row is marked
sent and committed while still locked. An exception or a dead process anywhere between claim and
commit rolls the transaction back: the row is pending and unlocked again, and the next run sends
it. A refusal is recorded instead: `attempts` + 1, the error, and the next attempt after an
exponential backoff; after OUTBOX_MAX_ATTEMPTS, or at once when the server refuses the recipient
or the message for good (5xx), the message is "dead" and waits for a sysadmin at /staff/outbox.

The one window that cannot be closed: the SMTP server has accepted the message, and then the
commit that marks it sent is lost (the process dies, the database goes away). The row is still
pending, so the message is sent again. Every attempt carries the same Message-ID
(`OutboxMessage.message_id`), so a receiver that drops repeats (most do) shows it once. Closing
the window the other way ("mark first, send after") would lose e-mails instead.
"""

import random
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from portal.core.db import begin_write, db_session_dialect, utcnow
from portal.core.errors import ServiceError
from portal.extensions import db
from portal.notifications.models import OutboxAttachment, OutboxMessage

#: Refusals of one message; the connection stays usable for the next one.
REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass
class DeliveryRun:
    """What one `deliver_due` did."""

    sent: int = 0
    #: Refused or failed this time; tried again after the backoff.
    deferred: int = 0
    #: Given up: refused for good, or too many attempts.
    dead: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.deferred + self.dead

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.deferred} deferred, {self.dead} dead"


class PermanentFailure(Exception):
    """The message can never be delivered as it is (5xx refusal, a malformed message)."""


class Mailer:
    """One SMTP connection, opened on first use and reused for the rest of a run."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: OutboxMessage) -> None:
        try:
            email = build_email(message, self.config["MAIL_FROM"], attachments_of(message))
        except (ValueError, TypeError) as error:  # a header the e-mail package refuses
            raise PermanentFailure(f"malformed message: {error}") from error
        if self.smtp is None:
            self.smtp = self._connect()
        sender = parseaddr(self.config["MAIL_FROM"])[1]
        try:
            self.smtp.send_message(email, from_addr=sender, to_addrs=[message.to_address])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentFailure(_describe(error)) from error
            raise
        except smtplib.SMTPDataError as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentFailure(_describe(error)) from error
            raise
        finally:
            if self.smtp is not None and self.smtp.sock is None:
                self.smtp = None  # the server hung up (421): connect again for the next one

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        smtp = smtplib.SMTP(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
        )
        try:
            if config["MAIL_USE_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def deliver_due(limit: int | None = None) -> DeliveryRun:
    """Send the messages due when the run starts (at most `limit`), one transaction each.

    Messages refused during the run wait for their backoff, so a run always ends. A connection
    that fails ends the run early: the server is down, and the other messages keep their attempts
    for later. Any other exception rolls back the message at hand (it stays pending) and is
    raised.
    """
    config = current_app.config
    cutoff = utcnow()
    run = DeliveryRun()
    mailer = Mailer(config)
    try:
        while limit is None or run.attempted < limit:
            message = _claim_next(cutoff)
            if message is None:
                break
            try:
                mailer.send(message)
            except PermanentFailure as error:
                _record_failure(message, str(error), permanent=True)
            except REFUSALS as error:
                _record_failure(message, _describe(error))
            except OSError as error:
                # Refused, unreachable, timed out or cut off (smtplib's other errors are
                # OSErrors too): the server is unusable for now, so the run ends here.
                _record_failure(message, _describe(error))
                mailer.close()
                _count(run, message)
                db.session.commit()
                break
            else:
                mark_sent(message)
            _count(run, message)
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        mailer.close()
    return run


def _claim_next(cutoff: datetime) -> OutboxMessage | None:
    """Lock the oldest due message for this transaction; None when none is due (or free)."""
    if db_session_dialect() == "sqlite":
        begin_write(db.session)
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= cutoff)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    message = db.session.scalar(query)
    if message is None:
        db.session.commit()  # ends the (SQLite: write-locked) transaction
    return message


def attachments_of(message: OutboxMessage) -> list[OutboxAttachment]:
    """The files that go with a message, in the order they were attached: one statement."""
    return list(
        db.session.scalars(
            sa.select(OutboxAttachment)
            .where(OutboxAttachment.message_id == message.id)
            .order_by(OutboxAttachment.id)
        )
    )


def build_email(
    message: OutboxMessage, sender: str, attachments: Sequence[OutboxAttachment] = ()
) -> EmailMessage:
    """The e-mail of an outbox row: plain text with an HTML alternative, then its attachments,
    and the same Message-ID and Date on every attempt."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    # A subject is one line; a line break in it must not become a header of its own.
    email["Subject"] = " ".join(message.subject.split())
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message.message_id
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    for attachment in attachments:
        maintype, slash, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.content,
            maintype=maintype if slash else "application",
            subtype=subtype if slash else "octet-stream",
            filename=attachment.filename,
        )
    return email


def mark_sent(message: OutboxMessage) -> None:
    message.status = "sent"
    message.attempts += 1
    message.sent_at = utcnow()
    message.last_error = ""


def _record_failure(message: OutboxMessage, error: str, *, permanent: bool = False) -> None:
    config = current_app.config
    message.attempts += 1
    message.last_error = error[:2000]
    if permanent or message.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
        message.status = "dead"
        return
    message.next_attempt_at = utcnow() + backoff(
        message.attempts, config["OUTBOX_BACKOFF_SECONDS"], config["OUTBOX_BACKOFF_MAX_SECONDS"]
    )


def backoff(attempts: int, base: float, cap: float) -> timedelta:
    """How long to wait after the `attempts`-th failure: base * 2^(attempts-1), at most `cap`,
    plus up to 10% jitter so that messages refused together are not retried together."""
    delay = min(cap, base * 2 ** (attempts - 1))
    return timedelta(seconds=delay * (1 + random.random() / 10))


def _count(run: DeliveryRun, message: OutboxMessage) -> None:
    if message.status == "sent":
        run.sent += 1
    elif message.status == "dead":
        run.dead += 1
    else:
        run.deferred += 1


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {text.decode(errors='replace')}" for code, text in error.recipients.values()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        return f"{error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}"


def retry_dead(message: OutboxMessage) -> None:
    """Give a dead message another full set of attempts, from now, and commit."""
    if message.status != "dead":
        raise ServiceError(_("Only a message given up on can be sent again."))
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    db.session.commit()
