"""Payments received and how each is split over an order's milestones; card payments through
Stripe, the Stripe events handled, and cards saved for later installments."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.db import AccountScoped, Amount, TimestampMixin, UTCDateTime, utcnow
from portal.core.money import Money
from portal.extensions import db
from portal.ordering.models import Milestone, Order

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


#: A card payment's statuses, and where each may go next: never backwards, whatever order
#: Stripe's events arrive in (SECURITY.md 29). "open" covers Stripe's requires_payment_method,
#: requires_confirmation and requires_action: the buyer has not paid yet.
CARD_PAYMENT_NEXT = {
    "open": ("processing", "succeeded", "failed", "canceled", "refunded"),
    "processing": ("succeeded", "failed", "canceled", "refunded"),
    # A declined card: the buyer may try another on the same PaymentIntent.
    "failed": ("succeeded", "canceled", "refunded"),
    "succeeded": ("refunded",),
    "refunded": (),
    "canceled": (),
}
CARD_PAYMENT_STATUSES = tuple(CARD_PAYMENT_NEXT)


class CardPayment(TimestampMixin, AccountScoped, db.Model):
    """One Stripe PaymentIntent for one milestone: the portal's record of it. One open at a
    time per milestone; each new attempt gets the next number, and its own idempotency key."""

    __tablename__ = "card_payments"
    __table_args__ = (
        sa.UniqueConstraint("milestone_id", "attempt"),
        sa.CheckConstraint(f"status IN {CARD_PAYMENT_STATUSES}", name="status"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("refunded_amount >= 0", name="refunded_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_milestones.id", ondelete="CASCADE"), index=True
    )
    #: 1 for the milestone's first PaymentIntent, then 2, ... after one was canceled.
    attempt: Mapped[int] = mapped_column(default=1)
    #: The PaymentIntent's id (pi_...).
    stripe_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    #: Sent with the PaymentIntent's creation, the same on every retry (SECURITY.md 30).
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    #: What the PaymentIntent asks for: the milestone's unpaid amount when it was created.
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    refunded_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    #: The payment that applied it to the milestone; None until a verified success.
    payment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("payments.id", ondelete="SET NULL")
    )
    #: Why a succeeded payment was not applied (amount or currency mismatch): finance decides.
    flagged_reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: The last decline or error Stripe reported, for the buyer.
    failure_message: Mapped[str] = mapped_column(sa.Text, default="")
    started_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Charged with a saved card on the due date, without the buyer present.
    saved_card_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("saved_cards.id", ondelete="SET NULL")
    )

    milestone: Mapped[Milestone] = relationship(lazy="raise")
    payment: Mapped[Payment | None] = relationship(lazy="raise")

    @property
    def total(self) -> Money:
        return Money(self.amount, self.currency)


class StripeEvent(db.Model):
    """A Stripe event already handled: written in the same transaction as its effect, so a
    second delivery of the same event changes nothing (SECURITY.md 28)."""

    __tablename__ = "stripe_events"

    #: Stripe's event id (evt_...).
    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SavedCard(TimestampMixin, AccountScoped, db.Model):
    """A card a buyer saved, with their consent, so that the account's installments are
    charged on their due dates. Only Stripe's ids and what identifies the card to a person."""

    __tablename__ = "saved_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_customer_id: Mapped[str] = mapped_column(sa.String(255))
    stripe_payment_method_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    brand: Mapped[str] = mapped_column(sa.String(30))
    last4: Mapped[str] = mapped_column(sa.String(4))
    exp_month: Mapped[int]
    exp_year: Mapped[int]
    #: The buyer who ticked the consent box, and when.
    consented_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_active: Mapped[bool] = mapped_column(default=True)

    consented_by: Mapped[User | None] = relationship(lazy="raise")


#: How far a refund is: owed (a card refund not asked of Stripe yet, or a remittance finance has
#: not sent back yet), requested (Stripe has the refund; its charge.refunded event confirms it),
#: refunded (confirmed: by Stripe's event, or by finance recording the bank transfer back).
REFUND_STATUSES = ("owed", "requested", "refunded")


class Refund(TimestampMixin, AccountScoped, db.Model):
    """Money received for a milestone of an order that was cancelled or rejected, going back to
    the customer: one per payment and milestone, so it is refunded exactly once (SECURITY.md
    47). Card payments go back through Stripe; bank remittances by finance."""

    __tablename__ = "refunds"
    __table_args__ = (
        sa.UniqueConstraint("payment_id", "milestone_id"),
        sa.CheckConstraint(f"status IN {REFUND_STATUSES}", name="status"),
        sa.CheckConstraint(f"method IN {PAYMENT_METHODS}", name="method"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    milestone_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_milestones.id", ondelete="CASCADE")
    )
    #: The payment whose part for the milestone goes back.
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id", ondelete="CASCADE"))
    #: The card payment to refund through Stripe (card refunds only).
    card_payment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("card_payments.id", ondelete="SET NULL")
    )
    method: Mapped[str] = mapped_column(sa.String(20))
    currency: Mapped[str] = mapped_column(sa.String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(sa.String(20), default="owed", index=True)
    #: Sent with the Stripe refund's creation, the same on every retry.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    #: Stripe's refund id (re_...), once requested.
    stripe_refund_id: Mapped[str | None] = mapped_column(sa.String(255))
    #: The bank's reference of the transfer back, as finance recorded it.
    reference: Mapped[str] = mapped_column(sa.String(60), default="")
    refunded_on: Mapped[date | None] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Why the last request to Stripe failed, for finance.
    failure_message: Mapped[str] = mapped_column(sa.Text, default="")

    order: Mapped[Order] = relationship(lazy="raise")
    milestone: Mapped[Milestone] = relationship(lazy="raise")
    payment: Mapped[Payment] = relationship(lazy="raise")

    @property
    def total(self) -> Money:
        return Money(self.amount, self.currency)


# Bank statements (payments.statements, payments.matching, payments.statement_services)

#: What became of a statement line: paid milestones at once (applied), waits for finance
#: (queued), finance assigned it to invoices (assigned) or sent the money back (returned).
BANK_LINE_STATUSES = ("applied", "queued", "assigned", "returned")
#: Why a line waits in the queue (payments.matching).
BANK_LINE_REASONS = (
    "",
    "no_reference",
    "unknown_reference",
    "not_owed",
    "currency",
    "overpaid",
    "amounts_differ",
    "several_accounts",
    "reference_taken",
)


class BankStatement(TimestampMixin, db.Model):
    """One upload of the bank's statement (CAMT.053, or a CSV/XLSX export read with a saved
    column mapping) and what it did: the lines themselves are BankStatementLine."""

    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(sa.String(255))
    #: camt.053 or table (CSV/XLSX).
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: The statement's own id (CAMT Stmt/Id) and the account it is of (IBAN or number).
    statement_ref: Mapped[str] = mapped_column(sa.String(60), default="")
    bank_account: Mapped[str] = mapped_column(sa.String(60), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Counts: credit lines new in this upload, of them applied and queued; credit lines that
    #: an earlier upload had already (skipped); debit lines (ignored).
    new_lines: Mapped[int] = mapped_column(default=0)
    applied_lines: Mapped[int] = mapped_column(default=0)
    queued_lines: Mapped[int] = mapped_column(default=0)
    duplicate_lines: Mapped[int] = mapped_column(default=0)
    debit_lines: Mapped[int] = mapped_column(default=0)

    uploaded_by: Mapped[User | None] = relationship(lazy="raise")


class BankStatementLine(TimestampMixin, db.Model):
    """One credit entry of a bank statement, once: `line_key` (the bank's entry reference, or
    a hash of what the entry says) is unique, so an upload repeated, or made by two people at
    once, applies nothing twice. A payment it made carries the key as its reference."""

    __tablename__ = "bank_statement_lines"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {BANK_LINE_STATUSES}", name="status"),
        sa.CheckConstraint(f"reason IN {BANK_LINE_REASONS}", name="reason"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bank_statements.id", ondelete="CASCADE"), index=True
    )
    line_key: Mapped[str] = mapped_column(sa.String(60), unique=True)
    #: Where it stands in the file: the line (CSV), row (XLSX) or entry number (CAMT).
    position: Mapped[int]
    booked_on: Mapped[date] = mapped_column(sa.Date)
    value_on: Mapped[date] = mapped_column(sa.Date)
    currency: Mapped[str] = mapped_column(sa.String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    #: The remittance information (unstructured and structured references, end-to-end id).
    reference_text: Mapped[str] = mapped_column(sa.Text, default="")
    payer: Mapped[str] = mapped_column(sa.String(140), default="")
    bank_reference: Mapped[str] = mapped_column(sa.String(60), default="")
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    reason: Mapped[str] = mapped_column(sa.String(30), default="")
    #: The account a payment of it was recorded for (applied or assigned).
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="SET NULL")
    )
    payment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("payments.id", ondelete="SET NULL")
    )
    #: Who decided a queued line, when, and their note (why the money went back).
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    statement: Mapped[BankStatement] = relationship(lazy="raise")
    decided_by: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[decided_by_id])

    @property
    def total(self) -> Money:
        return Money(self.amount, self.currency)


#: The fields a CSV/XLSX export is read by; date and amount must be mapped, the others may be.
BANK_COLUMN_FIELDS = ("date", "amount", "currency", "reference", "payer", "bank_reference")


class BankColumnMapping(TimestampMixin, db.Model):
    """Which column of a bank's CSV/XLSX export holds what, saved under a name (the bank's),
    so next month's export of the same bank needs no mapping again."""

    __tablename__ = "bank_column_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)
    #: The header of each field's column as the export writes it ("" where not mapped).
    date_column: Mapped[str] = mapped_column(sa.String(100))
    amount_column: Mapped[str] = mapped_column(sa.String(100))
    currency_column: Mapped[str] = mapped_column(sa.String(100), default="")
    reference_column: Mapped[str] = mapped_column(sa.String(100), default="")
    payer_column: Mapped[str] = mapped_column(sa.String(100), default="")
    bank_reference_column: Mapped[str] = mapped_column(sa.String(100), default="")
    #: The currency of every line when the export has no currency column.
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    def columns(self) -> dict[str, str]:
        return {f: getattr(self, f"{f}_column") for f in BANK_COLUMN_FIELDS}
