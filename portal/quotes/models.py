"""Quotes: a buyer's request for a project price, the versions each side writes, the
sign-offs and the price approval a supplier version needs before the buyer sees it, and the
quote's history.

A quote is a conversation in versions. Version 1 is the buyer's request (lines with quantities,
target prices and comments); the rep answers with a supplier version (lines at quoted prices,
a validity date), the buyer accepts it, rejects it or asks for changes in a new buyer version,
and so on. A supplier version is a `draft` while the rep works on it, `in_review` while it waits
for the price approval and the departments' sign-offs, and `sent` when the buyer sees it; a
buyer version is `sent` when written. Nobody edits a `sent` version (services refuse it).

The quote's `status` says whose turn it is:

- `requested`: the buyer asked (or asked for changes, or for a renewal); the rep answers;
- `in_review`: a supplier version waits for its approval and sign-offs;
- `sent`: the buyer answers the latest supplier version;
- `accepted`: the buyer accepted it; it can be ordered once, until its validity date;
- `ordered`: an order was placed from it (`order_id`);
- `lost`: the buyer rejected it, or staff closed it, with a reason.

Expiry is not a status: a `sent` or `accepted` quote whose version's `valid_until` lies before
the account's today is expired (services.is_expired); the buyer may ask to renew it.
"""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import KeyAccount, User
from portal.core.db import AccountScoped, Amount, UTCDateTime, utcnow
from portal.core.versioning import Versioned
from portal.extensions import db

QUOTE_STATUSES = ("requested", "in_review", "sent", "accepted", "ordered", "lost")
#: Statuses of a quote still in the pipeline.
OPEN_STATUSES = ("requested", "in_review", "sent", "accepted")
SIDES = ("buyer", "supplier")
VERSION_STATUSES = ("draft", "in_review", "sent")
#: The departments that sign a supplier version off: product (availability and lead time),
#: legal (non-standard terms), finance (payment term and credit).
DEPARTMENTS = ("product", "legal", "finance")
LOST_REASONS = ("price", "timing", "competitor", "no_longer_needed", "other")
EVENT_KINDS = (
    "requested",
    "routed",
    "reassigned",
    "escalated",
    "submitted",
    "price_approved",
    "price_rejected",
    "signed_off",
    "sent",
    "changes_requested",
    "renewal_requested",
    "accepted",
    "ordered",
    "lost",
)


class QuoteNumberCounter(db.Model):
    """The last quote number given out in a year."""

    __tablename__ = "quote_number_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Quote(AccountScoped, Versioned, db.Model):
    """A buyer's request for a project price and the answers to it, Q-<year>-<6 digits>."""

    __tablename__ = "quotes"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {QUOTE_STATUSES}", name="status"),
        sa.CheckConstraint(
            f"lost_reason IS NULL OR lost_reason IN {LOST_REASONS}", name="lost_reason"
        ),
        sa.Index("ix_quotes_status_due", "status", "due_at"),
        sa.Index("ix_quotes_assignee_status", "assignee_id", "status"),
        sa.UniqueConstraint("account_id", "request_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The buyer-side user it is for: who asked, or the caller staff took it down for.
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: The member of staff who started it for a caller; None when the buyer asked online.
    started_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: The rep who answers it, routed like a hotline request; None: left in the team queue.
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When the next answer is due (business hours of the account's calendar), set when the
    #: buyer asks and each time the buyer asks for changes or a renewal.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the deadline passed unanswered and the sales managers were told.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The date the buyer wants the goods by.
    wanted_by: Mapped[date | None] = mapped_column(sa.Date)
    #: The buyer's note, as typed (rendered escaped).
    note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="requested")
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: The gross total of the latest priced supplier version (None before the first): the
    #: pipeline's value.
    value_amount: Mapped[Decimal | None] = mapped_column(Amount)
    #: The order placed from it (one at most).
    order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="SET NULL"), unique=True
    )
    lost_reason: Mapped[str | None] = mapped_column(sa.String(20))
    lost_comment: Mapped[str] = mapped_column(sa.Text, default="")
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lost_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The request form's one-time token: sending the same form again (Back, a double click,
    #: two concurrent submits) gets the quote the first one made, not a second request.
    request_token: Mapped[str | None] = mapped_column(sa.String(32))

    account: Mapped[KeyAccount] = relationship(lazy="raise")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id], lazy="raise")
    started_by: Mapped[User | None] = relationship(foreign_keys=[started_by_id], lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="raise")
    lost_by: Mapped[User | None] = relationship(foreign_keys=[lost_by_id], lazy="raise")
    versions: Mapped[list["QuoteVersion"]] = relationship(
        back_populates="quote", lazy="raise", order_by="QuoteVersion.number"
    )
    events: Mapped[list["QuoteEvent"]] = relationship(
        back_populates="quote", lazy="raise", order_by="QuoteEvent.id"
    )

    def latest(self, side: str | None = None, sent_only: bool = False) -> "QuoteVersion | None":
        """The newest version (of `side`, and `sent` when `sent_only`), from the loaded
        versions."""
        for version in reversed(self.versions):
            if (side is None or version.side == side) and (
                not sent_only or version.status == "sent"
            ):
                return version
        return None

    def numbered(self, number: int | None) -> "QuoteVersion | None":
        """Version `number`, from the loaded versions (None when there is none)."""
        return next((v for v in self.versions if v.number == number), None)


class QuoteVersion(AccountScoped, db.Model):
    """One side's word: the buyer's request or change request, or the supplier's priced answer.
    Immutable once `sent` (seen by the other side)."""

    __tablename__ = "quote_versions"
    __table_args__ = (
        sa.UniqueConstraint("quote_id", "number"),
        sa.CheckConstraint(f"side IN {SIDES}", name="side"),
        sa.CheckConstraint(f"status IN {VERSION_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(sa.ForeignKey("quotes.id", ondelete="CASCADE"))
    #: 1, 2, 3 ... within the quote.
    number: Mapped[int]
    side: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the rep submitted it for approval and sign-off.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the other side could first see it.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The note to the other side, as typed.
    note: Mapped[str] = mapped_column(sa.Text, default="")
    #: Supplier versions: the last day the prices hold (the account's calendar).
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    #: Supplier versions: terms that differ from the contract's (legal signs them off).
    terms: Mapped[str] = mapped_column(sa.Text, default="")
    #: Supplier versions: the gross total of the lines.
    total_amount: Mapped[Decimal | None] = mapped_column(Amount)
    #: Supplier versions: the deepest discount below list of a line priced under its contract
    #: price (percent), which decides whose authority it needs; None when no line is.
    depth_percent: Mapped[Decimal | None] = mapped_column(Amount)
    #: Whether the depth is beyond the author's discount authority (the price approval).
    needs_approval: Mapped[bool] = mapped_column(default=False)
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approval_comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: When the buyer accepted it (one version of a quote at most).
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    quote: Mapped[Quote] = relationship(back_populates="versions", lazy="raise")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="raise")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id], lazy="raise")
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id], lazy="raise")
    lines: Mapped[list["QuoteLine"]] = relationship(
        back_populates="version", lazy="raise", order_by="QuoteLine.position"
    )
    sign_offs: Mapped[list["QuoteSignOff"]] = relationship(
        back_populates="version", lazy="raise", order_by="QuoteSignOff.id"
    )


class QuoteLine(AccountScoped, db.Model):
    """A line of a version: a catalog product and quantity; the buyer's target price and
    comment, or the supplier's quoted price with the contract price it started from."""

    __tablename__ = "quote_lines"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "position"),
        sa.CheckConstraint("quantity >= 1", name="quantity"),
        sa.CheckConstraint("unit_price_amount IS NULL OR unit_price_amount > 0", name="price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quote_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="SET NULL")
    )
    sku: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    name_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    quantity: Mapped[int]
    #: The tax category of the product's category when the line was written (how it is taxed).
    tax_category: Mapped[str] = mapped_column(sa.String(20), default="goods")
    #: Supplier versions: the quoted unit price (gross for VAT-inclusive accounts).
    unit_price_amount: Mapped[Decimal | None] = mapped_column(Amount)
    #: Buyer versions: the price the buyer hopes for, if they named one.
    target_price_amount: Mapped[Decimal | None] = mapped_column(Amount)
    #: Either side's comment on the line, as typed.
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: Supplier versions, when priced: the contract's price at this quantity and why (the
    #: pricing engine's words), and the list price: what the quoted price is measured against.
    contract_price_amount: Mapped[Decimal | None] = mapped_column(Amount)
    contract_explanation: Mapped[str] = mapped_column(sa.Text, default="")
    list_price_amount: Mapped[Decimal | None] = mapped_column(Amount)

    version: Mapped[QuoteVersion] = relationship(back_populates="lines", lazy="raise")


class QuoteSignOff(AccountScoped, db.Model):
    """A department a supplier version needs, and who signed it off and when (None: waiting)."""

    __tablename__ = "quote_sign_offs"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "department"),
        sa.CheckConstraint(f"department IN {DEPARTMENTS}", name="department"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quote_versions.id", ondelete="CASCADE"), index=True
    )
    department: Mapped[str] = mapped_column(sa.String(20))
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    version: Mapped[QuoteVersion] = relationship(back_populates="sign_offs", lazy="raise")
    signed_by: Mapped[User | None] = relationship(lazy="raise")


class QuoteEvent(AccountScoped, db.Model):
    """One step of a quote's history: who did what, when, and why in words."""

    __tablename__ = "quote_events"
    __table_args__ = (sa.CheckConstraint(f"kind IN {EVENT_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quotes.id", ondelete="CASCADE"), index=True
    )
    #: The version the step concerns, by number (None for the quote as a whole).
    version_number: Mapped[int | None]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who acted; None for the system (routing, escalation).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: The assignee after this step (routing and reassignment).
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text, default="")

    quote: Mapped[Quote] = relationship(back_populates="events", lazy="raise")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="raise")
