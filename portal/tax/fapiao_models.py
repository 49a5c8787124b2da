"""Fapiao (发票): each account's invoicing details, which fapiao types it may be issued, and
the fapiao finance issued (through the tax authority's own systems) against each invoice, with
the red-letter fapiao that reverses one when its order is cancelled or refunded."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import AccountScoped, Amount, TimestampMixin, UTCDateTime
from portal.core.money import Money
from portal.core.versioning import Versioned
from portal.extensions import db

#: The fapiao types, in the order buyers choose from them.
SPECIAL, ORDINARY, ELECTRONIC = "special", "ordinary", "electronic"
FAPIAO_TYPES = (SPECIAL, ORDINARY, ELECTRONIC)
FAPIAO_TYPE_LABELS = {
    SPECIAL: _l("Special VAT fapiao"),
    ORDINARY: _l("Ordinary VAT fapiao"),
    ELECTRONIC: _l("Electronic fapiao"),
}
#: Where an issued fapiao stands: as issued; a red-letter one is needed (its order was
#: cancelled or refunded); the red-letter one is issued.
ISSUED, RED_LETTER_NEEDED, RED_LETTER_ISSUED = "issued", "red_letter_needed", "red_letter_issued"
FAPIAO_STATUSES = (ISSUED, RED_LETTER_NEEDED, RED_LETTER_ISSUED)


def fapiao_type_label(fapiao_type: str) -> str:
    label = FAPIAO_TYPE_LABELS.get(fapiao_type)
    return str(label) if label is not None else fapiao_type


class FapiaoDetails(TimestampMixin, AccountScoped, Versioned, db.Model):
    """An account's invoicing details (开票信息): one row per account, kept by its customer
    admins (and staff), verified by finance; an edit of a detail after verification makes
    them unverified again."""

    __tablename__ = "fapiao_details"
    __table_args__ = (sa.UniqueConstraint("account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The company's legal name as fapiao carry it (发票抬头).
    invoice_title: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The unified social credit code, as tax.taxpayer_ids reads it ("" until given).
    taxpayer_id: Mapped[str] = mapped_column(sa.String(18), default="")
    registered_address: Mapped[str] = mapped_column(sa.String(300), default="")
    registered_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    bank_name: Mapped[str] = mapped_column(sa.String(200), default="")
    bank_account: Mapped[str] = mapped_column(sa.String(60), default="")
    #: Which fapiao types the account may choose at checkout (set by staff).
    is_special_allowed: Mapped[bool] = mapped_column(default=False)
    is_ordinary_allowed: Mapped[bool] = mapped_column(default=False)
    is_electronic_allowed: Mapped[bool] = mapped_column(default=False)
    #: Finance checked the details against the business licence; NULL: not (or no longer).
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    verified_by = relationship("User", lazy="raise")

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def allowed_types(self) -> tuple[str, ...]:
        return tuple(t for t in FAPIAO_TYPES if getattr(self, f"is_{t}_allowed"))


class IssuedFapiao(TimestampMixin, AccountScoped, db.Model):
    """A fapiao finance issued against an invoice (a milestone that fell due); the fapiao on
    one invoice add up to at most its amount, in its currency."""

    __tablename__ = "issued_fapiao"
    __table_args__ = (
        sa.CheckConstraint(f"fapiao_type IN {FAPIAO_TYPES}", name="fapiao_type"),
        sa.CheckConstraint(f"status IN {FAPIAO_STATUSES}", name="status"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The fapiao's number as the tax system printed it, unique.
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    issued_on: Mapped[date] = mapped_column(sa.Date)
    fapiao_type: Mapped[str] = mapped_column(sa.String(20))
    currency: Mapped[str] = mapped_column(sa.String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    milestone_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_milestones.id", ondelete="CASCADE"), index=True
    )
    #: The invoice's number (core.invoice_numbers) when the fapiao was recorded.
    invoice_number: Mapped[str] = mapped_column(sa.String(30))
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(20), default=ISSUED, index=True)
    #: When its order was cancelled or refunded, asking for a red-letter fapiao.
    red_letter_needed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The red-letter fapiao that reverses this one, once finance issued it.
    red_letter_number: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    red_letter_issued_on: Mapped[date | None] = mapped_column(sa.Date)

    recorded_by = relationship("User", lazy="raise")

    @property
    def total(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def type_label(self) -> str:
        return fapiao_type_label(self.fapiao_type)
