"""Payments received and how each is split over an order's milestones."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.db import AccountScoped, Amount, TimestampMixin
from portal.core.money import Money
from portal.extensions import db
from portal.ordering.models import Milestone

#: How a payment arrived: bank transfers are recorded by finance; card payments come with Stripe.
PAYMENT_METHODS = ("bank_transfer", "card")


class Payment(TimestampMixin, AccountScoped, db.Model):
    """Money received from an account, in one currency, split over milestones of its orders."""

    __tablename__ = "payments"
    __table_args__ = (
        #: The same remittance (the bank's reference) cannot be recorded twice for an account.
        sa.UniqueConstraint("account_id", "method", "reference"),
        sa.CheckConstraint(f"method IN {PAYMENT_METHODS}", name="method"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(sa.String(20))
    currency: Mapped[str] = mapped_column(sa.String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    #: The day the money reached our account (the bank statement's value date).
    received_on: Mapped[date] = mapped_column(sa.Date, index=True)
    #: The bank's reference of the remittance, normalised (upper case, single spaces).
    reference: Mapped[str] = mapped_column(sa.String(60))
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")

    recorded_by: Mapped[User | None] = relationship(lazy="raise")
    allocations: Mapped[list["PaymentAllocation"]] = relationship(
        back_populates="payment", lazy="raise", order_by="PaymentAllocation.id"
    )

    @property
    def total(self) -> Money:
        return Money(self.amount, self.currency)


class PaymentAllocation(AccountScoped, db.Model):
    """The part of a payment that pays one milestone. A milestone's `paid_amount` is the sum
    of its allocations, kept in the same transaction."""

    __tablename__ = "payment_allocations"
    __table_args__ = (
        sa.UniqueConstraint("payment_id", "milestone_id"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id", ondelete="CASCADE"))
    milestone_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_milestones.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Amount)

    payment: Mapped[Payment] = relationship(back_populates="allocations", lazy="raise")
    milestone: Mapped[Milestone] = relationship(lazy="raise")
