"""Orders with their price snapshots, payment schedules and status history."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Address, KeyAccount, User
from portal.contracts.models import MILESTONE_EVENTS, Contract
from portal.core.db import AccountScoped, Amount, TimestampMixin, UTCDateTime, utcnow
from portal.core.invoice_numbers import invoice_number
from portal.core.money import Money
from portal.extensions import db
from portal.ordering.lifecycle import ORDER_STATUSES
from portal.tax.services import (
    TaxedLine,
    VatSummary,
    VatTotal,
    order_summary,
    split_vat,
    summary_of_totals,
)


class Order(TimestampMixin, AccountScoped, db.Model):
    """An order placed under a contract: prices, term and ship-to as they were when placed."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {ORDER_STATUSES}", name="status"),
        sa.CheckConstraint("total_amount >= 0", name="total_not_negative"),
        sa.Index("ix_orders_account_status", "account_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: NW-<year>-<6 digits>.
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    #: The checkout form's one-time token: a second submit of the same form finds this order
    #: instead of making another (SECURITY.md 35).
    checkout_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    #: Where an order on hold goes back to when the hold is lifted.
    held_from_status: Mapped[str | None] = mapped_column(sa.String(20))
    hold_reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: Held because it did not fit the credit limit when placed: it reserves no credit until
    #: the hold is lifted, which checks the limit again.
    is_over_credit: Mapped[bool] = mapped_column(default=False)
    placed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Staff (inside sales) who placed the order on the buyer's behalf.
    placed_on_behalf_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: The account's local date when the order was placed.
    placed_on: Mapped[date] = mapped_column(sa.Date, index=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    total_amount: Mapped[Decimal] = mapped_column(Amount)
    payment_term_name: Mapped[str] = mapped_column(sa.String(100))
    needs_letter_of_credit: Mapped[bool] = mapped_column(default=False)
    ship_to_address_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("addresses.id", ondelete="SET NULL")
    )
    #: The ship-to address as printed when the order was placed (accounts.addresses.printed).
    ship_to: Mapped[str] = mapped_column(sa.Text)
    #: Its fields then (accounts.addresses.snapshot), for couriers and the API; NULL for orders
    #: placed before addresses had recipients and provinces.
    # JSONB on PostgreSQL: plain json has no equality, which SELECT DISTINCT over orders needs.
    ship_to_fields: Mapped[dict | None] = mapped_column(
        sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    )
    po_number: Mapped[str] = mapped_column(sa.String(60), default="", index=True)
    requested_delivery_on: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    #: The fapiao type the buyer chose at checkout (tax.fapiao_models); "": none asked for.
    fapiao_type: Mapped[str] = mapped_column(sa.String(20), default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decision_comment: Mapped[str] = mapped_column(sa.Text, default="")
    carrier: Mapped[str] = mapped_column(sa.String(60), default="")
    tracking_number: Mapped[str] = mapped_column(sa.String(100), default="")
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: Optimistic lock against two staff moving the same order at once.
    version: Mapped[int] = mapped_column(default=1)

    account: Mapped[KeyAccount] = relationship(lazy="raise")
    contract: Mapped[Contract] = relationship(lazy="raise")
    placed_by: Mapped[User | None] = relationship(foreign_keys=[placed_by_id], lazy="raise")
    placed_on_behalf_by: Mapped[User | None] = relationship(
        foreign_keys=[placed_on_behalf_by_id], lazy="raise"
    )
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")
    ship_to_address: Mapped[Address | None] = relationship(lazy="raise")
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", lazy="raise", order_by="OrderLine.position"
    )
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="order", lazy="raise", order_by="Milestone.position"
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", lazy="raise", order_by="OrderEvent.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def total(self) -> Money:
        return Money(self.total_amount, self.currency)

    @property
    def vat(self) -> VatSummary | None:
        """Net, VAT by rate and gross from its lines' snapshots (the lines must be loaded);
        None for an order placed before VAT was recorded."""
        return order_summary(self.lines, self.currency)

    def vat_by_milestone(self) -> dict[int, list[VatTotal]]:
        """{milestone id: its part of the VAT by rate} (lines and milestones loaded); empty
        before VAT was recorded."""
        vat = self.vat
        if vat is None or not self.milestones:
            return {}
        return split_vat(vat.by_rate, self.milestones)

    def milestone_vat(self, milestone: "Milestone") -> VatSummary | None:
        """Net, VAT by rate and gross of one milestone (an invoice): its share of the order's
        VAT (tax.services.split_vat). Lines and milestones loaded; None before VAT was
        recorded."""
        parts = self.vat_by_milestone()
        if milestone.id not in parts:
            return None
        return summary_of_totals(parts[milestone.id], self.currency)

    def history_step(
        self, from_status, to_status: str, actor, comment: str = "", action: str | None = None
    ) -> "OrderEvent":
        """A step of this order's history, for `lifecycle.record` to add."""
        return OrderEvent(
            account_id=self.account_id,
            order_id=self.id,
            from_status=from_status,
            to_status=to_status,
            actor_id=actor.id if actor else None,
            comment=comment,
            action=action,
        )

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.status}>"


class OrderLine(AccountScoped, db.Model):
    """A line with its price snapshot: what the contract said when the order was placed."""

    __tablename__ = "order_lines"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "position"),
        sa.CheckConstraint("quantity >= 1", name="quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int]
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="SET NULL")
    )
    sku: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    #: The product's Chinese name when the order was placed ("" if none; catalog.names).
    name_zh: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    quantity: Mapped[int]
    unit_price_amount: Mapped[Decimal] = mapped_column(Amount)
    list_price_amount: Mapped[Decimal | None] = mapped_column(Amount)
    line_total_amount: Mapped[Decimal] = mapped_column(Amount)
    #: The price rule that set the price (None: list price), and the price in words.
    price_rule_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("price_rules.id", ondelete="SET NULL")
    )
    price_explanation: Mapped[str] = mapped_column(sa.Text, default="")
    #: The VAT snapshot (tax.services.tax_line at the rate in force when placed): the tax
    #: category and rate used, and the line total's net and VAT. NULL for orders placed before
    #: VAT was recorded.
    tax_category: Mapped[str | None] = mapped_column(sa.String(20))
    tax_rate_percent: Mapped[Decimal | None] = mapped_column(Amount)
    net_amount: Mapped[Decimal | None] = mapped_column(Amount)
    vat_amount: Mapped[Decimal | None] = mapped_column(Amount)
    #: The quote whose price the line was ordered at, and its version (None: the contract's).
    quote_number: Mapped[str | None] = mapped_column(sa.String(20))
    quote_version: Mapped[int | None]

    order: Mapped[Order] = relationship(back_populates="lines", lazy="raise")

    def taxed_in(self, currency: str) -> TaxedLine | None:
        """Its VAT as snapshot when placed (in its order's `currency`); None before VAT was
        recorded."""
        if self.tax_rate_percent is None:
            return None
        return TaxedLine(
            self.tax_category,
            self.tax_rate_percent,
            Money(self.net_amount, currency),
            Money(self.vat_amount, currency),
            Money(self.line_total_amount, currency),
        )


class Milestone(AccountScoped, db.Model):
    """One payment of an order's schedule, made from the contract's term when it was placed."""

    __tablename__ = "order_milestones"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "position"),
        sa.CheckConstraint(f"event IN {MILESTONE_EVENTS}", name="event"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("paid_amount >= 0", name="paid_not_negative"),
        sa.CheckConstraint("refunded_amount >= 0", name="refunded_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(60))
    share_percent: Mapped[Decimal] = mapped_column(Amount)
    event: Mapped[str] = mapped_column(sa.String(20))
    days: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    #: What payments pay of it now: the sum of their allocations (a refund takes its part off).
    paid_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    #: What was paid and has gone back to the customer (refunds confirmed).
    refunded_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    #: Set when the event it hangs on happens (at once for "order").
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    #: When the milestone fell due and its invoice was issued (the day `due_on` was set).
    invoiced_on: Mapped[date | None] = mapped_column(sa.Date)
    #: Set by the daily sweep when the due date passed unpaid; cleared when paid.
    overdue_since: Mapped[date | None] = mapped_column(sa.Date, index=True)

    order: Mapped[Order] = relationship(back_populates="milestones", lazy="raise")

    @property
    def is_due_at_order(self) -> bool:
        return self.event == "order" and self.days == 0

    @property
    def unpaid(self) -> Money:
        return Money(self.amount - self.paid_amount, self.currency)

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_amount, self.currency)

    @property
    def is_paid(self) -> bool:
        return self.paid_amount >= self.amount

    @property
    def invoice_number(self) -> str | None:
        """An invoice is the milestone that fell due: its order's number and its position."""
        if self.invoiced_on is None:
            return None
        return invoice_number(self.order.number, self.position)


class OrderEvent(AccountScoped, db.Model):
    """One step of an order's history: who moved it from which status to which, and why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: What the step was where its status alone does not say (lifecycle.EVENT_ACTIONS):
    #: "approved" and "rejected" both leave the approval, the second as a cancellation.
    action: Mapped[str | None] = mapped_column(sa.String(20))

    order: Mapped[Order] = relationship(back_populates="events", lazy="raise")
    actor: Mapped[User | None] = relationship(lazy="raise")


class OrderNumberCounter(db.Model):
    """The last order number given out in a year."""

    __tablename__ = "order_number_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class LetterOfCredit(AccountScoped, db.Model):
    """A letter of credit a bank issued for an order under letter-of-credit terms, as finance
    registered it. The release gate (gate.release_blockers) reads it: it lives here, with
    the order's terms, so that ordering never imports payments."""

    __tablename__ = "letters_of_credit"
    __table_args__ = (
        #: A bank's letter of credit is registered once; a new one gets a new number.
        sa.UniqueConstraint("issuing_bank", "number"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    issuing_bank: Mapped[str] = mapped_column(sa.String(120))
    number: Mapped[str] = mapped_column(sa.String(60))
    currency: Mapped[str] = mapped_column(sa.String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    #: The last day documents may be presented under it.
    expires_on: Mapped[date] = mapped_column(sa.Date)
    #: The order must ship by this day for the letter of credit to pay.
    latest_shipment_on: Mapped[date] = mapped_column(sa.Date)
    required_documents: Mapped[str] = mapped_column(sa.Text)
    registered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when finance voids it (the bank cancelled it, or it was registered in error): it
    #: covers nothing any more, and stays on record with why.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str] = mapped_column(sa.Text, default="")

    order: Mapped[Order] = relationship(lazy="raise")
    registered_by: Mapped[User | None] = relationship(lazy="raise")

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    @property
    def covered(self) -> Money:
        return Money(self.amount, self.currency)
