"""Hotline requests and their history, business calendars, leads, sample units and care tasks."""

from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import KeyAccount, User
from portal.core.db import AccountScoped, Amount, UTCDateTime, utcnow
from portal.core.money import Money
from portal.core.versioning import Versioned
from portal.extensions import db

TOPICS = (
    "order_problem",
    "purchase_plan",
    "quote",
    "technical",
    "evaluation_unit",
    "complaint",
    "other",
)
CALLBACK_WINDOWS = ("any", "morning", "afternoon")
REQUEST_STATUSES = ("open", "in_progress", "closed")
#: How a request ends; "purchase_plan" hands a lead to field sales, "evaluation_unit" asks for
#: a sample unit.
OUTCOMES = ("resolved", "purchase_plan", "evaluation_unit", "quote_sent", "no_action")
CALL_OUTCOMES = ("reached", "no_answer", "left_message", "call_back_later")
EVENT_KINDS = ("routed", "reassigned", "claimed", "call", "escalated", "closed", "survey")
#: A lead's stage in the pipeline, in order; "won" and "lost" close it.
LEAD_STATUSES = ("new", "contacted", "qualified", "proposal", "negotiation", "won", "lost")
#: A lead's probability (percent) when it reaches a stage and nobody typed one: the
#: pipeline's defaults (pipeline.services), here so that the hotline hands a lead over with one.
DEFAULT_PROBABILITY = {
    "new": 10,
    "contacted": 20,
    "qualified": 40,
    "proposal": 60,
    "negotiation": 80,
    "won": 100,
    "lost": 0,
}
#: Where a lead came from: a purchase plan heard on the hotline, a quote, or field sales.
LEAD_SOURCES = ("purchase_plan", "quote", "field")
SAMPLE_STATUSES = ("requested", "approved", "rejected", "shipped", "returned", "bought")
CARE_KINDS = ("call", "materials", "satisfaction")


class BusinessCalendar(db.Model):
    """Working days, hours and holidays; deadlines count only the time inside them.

    The hours are wall-clock times in the time zone of the account a deadline is for.
    """

    __tablename__ = "business_calendars"
    __table_args__ = (sa.CheckConstraint("opens_at < closes_at", name="hours"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    #: The calendar of accounts that name none.
    is_default: Mapped[bool] = mapped_column(default=False)
    #: ISO 3166 code of the country whose public holidays it counts; "" for none.
    country: Mapped[str] = mapped_column(sa.String(2), default="")
    #: Counts `country`'s public holidays and make-up working days as the `holidays` library
    #: knows them (hotline.public_holidays), besides its own holidays below.
    has_public_holidays: Mapped[bool] = mapped_column(default=False)
    #: ISO weekdays that are working days, as digits: "12345" is Monday to Friday.
    working_days: Mapped[str] = mapped_column(sa.String(7), default="12345")
    opens_at: Mapped[time] = mapped_column(sa.Time, default=time(9))
    closes_at: Mapped[time] = mapped_column(sa.Time, default=time(18))

    holidays: Mapped[list["Holiday"]] = relationship(
        back_populates="calendar", lazy="raise", order_by="Holiday.day"
    )


class Holiday(db.Model):
    """A day off in a calendar (a public holiday, a company closure)."""

    __tablename__ = "holidays"
    __table_args__ = (sa.UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(
        sa.ForeignKey("business_calendars.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(sa.Date)
    name: Mapped[str] = mapped_column(sa.String(80), default="")

    calendar: Mapped[BusinessCalendar] = relationship(back_populates="holidays", lazy="raise")


class HotlineRequest(AccountScoped, db.Model):
    """A buyer's request to the account's sales staff, with a response deadline."""

    __tablename__ = "hotline_requests"
    __table_args__ = (
        sa.CheckConstraint(f"topic IN {TOPICS}", name="topic"),
        sa.CheckConstraint(f"callback_window IN {CALLBACK_WINDOWS}", name="callback_window"),
        sa.CheckConstraint(f"status IN {REQUEST_STATUSES}", name="status"),
        sa.CheckConstraint(f"outcome IS NULL OR outcome IN {OUTCOMES}", name="outcome"),
        sa.CheckConstraint(
            "survey_rating IS NULL OR survey_rating BETWEEN 1 AND 5", name="survey_rating"
        ),
        sa.Index("ix_hotline_requests_open_due", "status", "due_at"),
        sa.Index("ix_hotline_requests_assignee_status", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who filed it: a buyer-side user, or call-centre staff for a caller.
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The buyer-side user it is for (the survey goes to them); the filer when a buyer filed it.
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    topic: Mapped[str] = mapped_column(sa.String(20))
    #: Plain text as typed; always rendered escaped.
    description: Mapped[str] = mapped_column(sa.Text)
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    callback_window: Mapped[str] = mapped_column(sa.String(20), default="any")
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The response deadline, in business hours of the account's calendar and time zone.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the deadline passed unanswered and the sales managers were told.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    outcome_note: Mapped[str] = mapped_column(sa.Text, default="")
    survey_rating: Mapped[int | None] = mapped_column()
    survey_comment: Mapped[str] = mapped_column(sa.Text, default="")
    survey_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[KeyAccount] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="raise")
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id], lazy="raise")
    contact: Mapped[User | None] = relationship(foreign_keys=[contact_id], lazy="raise")
    order: Mapped["Order | None"] = relationship(lazy="raise")  # noqa: F821
    events: Mapped[list["RequestEvent"]] = relationship(
        back_populates="request", lazy="raise", order_by="RequestEvent.id"
    )

    @property
    def number(self) -> str:
        """What staff and callers quote: HL-000042."""
        return f"HL-{self.id:06d}"


class RequestEvent(AccountScoped, db.Model):
    """One step of a request's history: a routing decision with its reason, a claim, a call."""

    __tablename__ = "request_events"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {EVENT_KINDS}", name="kind"),
        sa.CheckConstraint(
            f"call_outcome IS NULL OR call_outcome IN {CALL_OUTCOMES}", name="call_outcome"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("hotline_requests.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("key_accounts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who acted; NULL for the system (routing at filing, escalation by the sweep).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: The assignee after this step (routing and reassignment).
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    call_outcome: Mapped[str | None] = mapped_column(sa.String(20))
    #: Why, in words: "inside@ away until 1 Dec: routed to inside2@".
    text: Mapped[str] = mapped_column(sa.Text, default="")

    request: Mapped[HotlineRequest] = relationship(back_populates="events", lazy="raise")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="raise")


class Lead(AccountScoped, Versioned, db.Model):
    """A sale in the making: a purchase plan heard on the hotline and handed to the account's
    field-sales rep, a quote, or an opportunity field sales entered. Its products are
    pipeline.models.LeadLine rows; its weighted value is value x probability."""

    __tablename__ = "leads"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {LEAD_STATUSES}", name="status"),
        sa.CheckConstraint(f"source IN {LEAD_SOURCES}", name="source"),
        sa.CheckConstraint("probability_percent BETWEEN 0 AND 100", name="probability"),
        sa.CheckConstraint("value_amount >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("hotline_requests.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(20), default="new")
    summary: Mapped[str] = mapped_column(sa.Text)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(
        sa.String(20), default="purchase_plan", server_default="purchase_plan"
    )
    #: The quote it follows (source "quote").
    quote_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("quotes.id", ondelete="SET NULL"), unique=True
    )
    #: The inside-sales rep who handed it over (and follows it).
    handed_over_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: The expected order value, net of VAT, in the account's currency; NULL: not yet known.
    value_amount: Mapped[Decimal | None] = mapped_column(Amount)
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    expected_close_on: Mapped[date | None] = mapped_column(sa.Date)
    probability_percent: Mapped[int | None] = mapped_column()
    #: The date it was won or lost (the rep's today).
    closed_on: Mapped[date | None] = mapped_column(sa.Date)

    account: Mapped[KeyAccount] = relationship(lazy="raise")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="raise")
    handed_over_by: Mapped[User | None] = relationship(
        foreign_keys=[handed_over_by_id], lazy="raise"
    )
    request: Mapped[HotlineRequest | None] = relationship(lazy="raise")

    @property
    def value(self) -> Money | None:
        if self.value_amount is None or self.currency is None:
            return None
        return Money(self.value_amount, self.currency)


class SampleRequest(AccountScoped, db.Model):
    """An evaluation unit: asked for on the hotline, approved by a manager, tracked until it
    comes back or is bought."""

    __tablename__ = "sample_requests"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {SAMPLE_STATUSES}", name="status"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("hotline_requests.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="SET NULL")
    )
    quantity: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(20), default="requested")
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the unit should be back if it is not bought.
    due_back_on: Mapped[date | None] = mapped_column(sa.Date)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    #: Optimistic lock: two managers deciding at once get a conflict, not a double decision.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    account: Mapped[KeyAccount] = relationship(lazy="raise")
    product: Mapped["Product | None"] = relationship(lazy="raise")  # noqa: F821
    request: Mapped[HotlineRequest | None] = relationship(lazy="raise")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id], lazy="raise")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")


class CareTask(AccountScoped, db.Model):
    """A recurring customer-care duty of the account's inside-sales rep."""

    __tablename__ = "care_tasks"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {CARE_KINDS}", name="kind"),
        sa.CheckConstraint("every_days BETWEEN 1 AND 366", name="every_days"),
        sa.Index("ix_care_tasks_due", "is_active", "next_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    every_days: Mapped[int] = mapped_column()
    next_due_on: Mapped[date] = mapped_column(sa.Date)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: The day the care sweep last reminded the rep, so it reminds once per due date.
    reminded_on: Mapped[date | None] = mapped_column(sa.Date)

    account: Mapped[KeyAccount] = relationship(lazy="raise")
    contacts: Mapped[list["CareContact"]] = relationship(
        back_populates="task", lazy="raise", order_by="CareContact.id.desc()"
    )


class CareContact(AccountScoped, db.Model):
    """A logged customer contact: a care call, materials sent, a satisfaction check."""

    __tablename__ = "care_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("care_tasks.id", ondelete="SET NULL"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(sa.Text)

    task: Mapped[CareTask | None] = relationship(back_populates="contacts", lazy="raise")
    by: Mapped[User | None] = relationship(lazy="raise")
