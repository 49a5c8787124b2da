"""The products of a lead (the lead itself is hotline.models.Lead, where the hotline hands it
over) and field sales' visits to an account."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import KeyAccount, User
from portal.catalog.models import Product
from portal.core.db import AccountScoped, UTCDateTime, utcnow
from portal.core.versioning import Versioned
from portal.extensions import db
from portal.hotline.models import Lead

VISIT_STATUSES = ("planned", "done", "cancelled")


class LeadLine(AccountScoped, db.Model):
    """A product a lead is about, and how many."""

    __tablename__ = "lead_lines"
    __table_args__ = (
        sa.UniqueConstraint("lead_id", "product_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("key_accounts.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(default=1)

    lead: Mapped[Lead] = relationship(lazy="raise")
    product: Mapped[Product] = relationship(lazy="raise")


class Visit(AccountScoped, Versioned, db.Model):
    """A visit to the account by field sales: planned for a day, then logged with its contact,
    outcome and next step (or cancelled)."""

    __tablename__ = "visits"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {VISIT_STATUSES}", name="status"),
        sa.Index("ix_visits_owner_planned", "owner_id", "planned_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    #: The lead it follows up, if any.
    lead_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("leads.id", ondelete="SET NULL"), index=True
    )
    #: The field-sales rep who visits.
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    planned_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20), default="planned")
    #: Whom they meet: a portal user of the account, or a name as typed.
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    contact_name: Mapped[str] = mapped_column(sa.String(200), default="")
    purpose: Mapped[str] = mapped_column(sa.Text, default="")
    done_on: Mapped[date | None] = mapped_column(sa.Date)
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    next_step: Mapped[str] = mapped_column(sa.Text, default="")
    next_step_on: Mapped[date | None] = mapped_column(sa.Date)

    account: Mapped[KeyAccount] = relationship(lazy="raise")
    lead: Mapped[Lead | None] = relationship(lazy="raise")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="raise")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="raise")
    contact: Mapped[User | None] = relationship(foreign_keys=[contact_id], lazy="raise")
