"""Notices shown to a user in the portal, e-mails in the outbox, and the sweeps' run records."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, utcnow
from portal.extensions import db


class Notice(db.Model):
    """Something a user should know, such as an order waiting for their approval.

    Not AccountScoped: staff receive notices too. Reads always filter on the signed-in user.
    """

    __tablename__ = "notices"
    __table_args__ = (
        sa.Index("ix_notices_user_unread", "user_id", "read_at"),
        sa.Index("ix_notices_about_unread", "about", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(sa.Text)
    #: Where the notice leads, a path inside the portal.
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the notice asks someone to do, such as "approval:<order number>": once that is
    #: done, every notice about it is marked read (`services.settle`).
    about: Mapped[str | None] = mapped_column(sa.String(80))


OUTBOX_STATUSES = ("pending", "sent", "dead")


class OutboxMessage(db.Model):
    """An e-mail waiting to be delivered, written in the same transaction as the event that
    causes it (SECURITY.md 39): a rolled-back event leaves no message, a committed one is never
    lost. `portal worker` (or the in-process deliverer) sends it and marks it sent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {OUTBOX_STATUSES}", name="status"),
        sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    #: Makes queueing idempotent: a sweep that runs twice queues one message per key.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def message_id(self) -> str:
        """The Message-ID header, the same on every attempt, so a receiver can drop a repeat."""
        return f"<outbox-{self.id}-{int(self.created_at.timestamp())}@portal.invalid>"


class OutboxAttachment(db.Model):
    """A file that goes with an outbox e-mail (a reminder's invoice PDF), made when the message
    was queued, in its recipient's language, and kept with it until it is delivered."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    #: The name the recipient's mail program shows and saves it under.
    filename: Mapped[str] = mapped_column(sa.String(200))
    #: Its MIME type, such as application/pdf.
    content_type: Mapped[str] = mapped_column(sa.String(100))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)

    message: Mapped[OutboxMessage] = relationship(lazy="raise")


class SweepRun(db.Model):
    """When a periodic sweep last ran. Its row is locked while it runs, so however many workers
    run, one sweep runs at a time."""

    __tablename__ = "sweep_runs"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_result: Mapped[str] = mapped_column(sa.Text, default="")
