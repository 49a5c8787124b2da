"""Contracts, their payment terms and their price rules."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import KeyAccount, User
from portal.catalog.models import Category, Product
from portal.core.db import AccountScoped, Amount, TimestampMixin, UTCDateTime
from portal.core.money import Money
from portal.core.versioning import Versioned
from portal.extensions import db

CONTRACT_STATUSES = ("draft", "active", "expired", "terminated")
#: A fixed unit price in the contract's currency, or a percentage off the list price.
RULE_KINDS = ("fixed", "percent_off")
#: proposed: beyond its author's discount authority, not in force until approved;
#: superseded: replaced by an approved proposal.
RULE_STATUSES = ("active", "proposed", "rejected", "superseded")


#: What a payment milestone hangs on (DESIGN.md section 4).
MILESTONE_EVENTS = ("order", "shipment", "delivery")


class PaymentTerm(Versioned, db.Model):
    """How a contract's orders are paid: a list of milestones (shares of the order total)."""

    __tablename__ = "payment_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: Release needs a registered, unexpired letter of credit covering the order.
    needs_letter_of_credit: Mapped[bool] = mapped_column(default=False)

    milestones: Mapped[list["TermMilestone"]] = relationship(
        back_populates="term",
        lazy="raise",
        order_by="TermMilestone.position",
        cascade="all, delete-orphan",
    )


class TermMilestone(db.Model):
    """One payment of a term: a share of the order total, due some days after an event."""

    __tablename__ = "term_milestones"
    __table_args__ = (
        sa.UniqueConstraint("payment_term_id", "position"),
        sa.CheckConstraint(f"event IN {MILESTONE_EVENTS}", name="event"),
        # Only "> 0": SQLite stores amounts scaled (core.db.Amount); the service checks
        # that the shares of a term add up to 100.
        sa.CheckConstraint("share_percent > 0", name="share_positive"),
        sa.CheckConstraint("days >= 0", name="days_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_term_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_terms.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    #: What buyers and the release gate call it: "Deposit", "Balance", "Installment 2".
    label: Mapped[str] = mapped_column(sa.String(60))
    #: Share of the order total, in percent; a term's shares add up to 100.
    share_percent: Mapped[Decimal] = mapped_column(Amount)
    event: Mapped[str] = mapped_column(sa.String(20))
    #: Due this many days after the event.
    days: Mapped[int] = mapped_column(default=0)

    term: Mapped[PaymentTerm] = relationship(back_populates="milestones", lazy="raise")

    @property
    def is_due_at_order(self) -> bool:
        return self.event == "order" and self.days == 0


class Contract(TimestampMixin, AccountScoped, db.Model):
    """What a key account negotiated: prices, payment term and credit limit, for a period."""

    __tablename__ = "contracts"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {CONTRACT_STATUSES}", name="status"),
        sa.CheckConstraint("valid_from <= valid_to", name="validity"),
        sa.CheckConstraint("credit_limit_amount >= 0", name="credit_limit_not_negative"),
        # One active contract per account at a time.
        sa.Index(
            "uq_contracts_active_account_id",
            "account_id",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    payment_term_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("payment_terms.id", ondelete="RESTRICT")
    )
    credit_limit_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    #: Buyers see only the products its rules name (SKU rules and whole categories).
    is_assortment_restricted: Mapped[bool] = mapped_column(default=False)
    #: Optimistic lock: a save based on an older version is refused (SECURITY.md 37).
    version: Mapped[int] = mapped_column(default=1)

    account: Mapped[KeyAccount] = relationship(lazy="raise")
    payment_term: Mapped[PaymentTerm | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    @property
    def credit_limit(self) -> Money:
        return Money(self.credit_limit_amount, self.currency)

    def is_in_force(self, on: date) -> bool:
        return self.status == "active" and self.valid_from <= on <= self.valid_to


class PriceRule(TimestampMixin, AccountScoped, db.Model):
    """One negotiated price: for a SKU or a whole category, from a minimum quantity."""

    __tablename__ = "price_rules"
    __table_args__ = (
        sa.CheckConstraint("(product_id IS NULL) <> (category_id IS NULL)", name="one_target"),
        sa.CheckConstraint(f"kind IN {RULE_KINDS}", name="kind"),
        sa.CheckConstraint(f"status IN {RULE_STATUSES}", name="status"),
        sa.CheckConstraint("min_quantity >= 1", name="min_quantity"),
        # Only "> 0" here: SQLite stores amounts scaled (core.db.Amount), so "< 100" for
        # percentages would not mean 100 there; the service checks the upper bound.
        sa.CheckConstraint("value > 0", name="value_positive"),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to", name="validity"
        ),
        # The pricing engine's lookups: a contract's rules for some products or categories.
        sa.Index("ix_price_rules_contract_product", "contract_id", "product_id"),
        sa.Index("ix_price_rules_contract_category", "contract_id", "category_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: The fixed unit price (contract currency) or the percentage off list.
    value: Mapped[Decimal] = mapped_column(Amount)
    #: The rule applies from this quantity on a line (volume tiers).
    min_quantity: Mapped[int] = mapped_column(default=1)
    #: The rule's own validity within the contract's; NULL: as the contract.
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20), default="active", index=True)
    #: For a proposal that changes an existing rule: the rule it replaces once approved.
    replaces_rule_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("price_rules.id", ondelete="SET NULL")
    )
    #: Why the price was set or changed, as its author wrote it.
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: Optimistic lock: a save based on an older version is refused (SECURITY.md 37).
    version: Mapped[int] = mapped_column(default=1)

    contract: Mapped[Contract] = relationship(lazy="raise")
    product: Mapped[Product | None] = relationship(lazy="raise")
    category: Mapped[Category | None] = relationship(lazy="raise")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="raise")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")
    replaces: Mapped["PriceRule | None"] = relationship(remote_side=[id], lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    @property
    def target_label(self) -> str:
        return self.product.sku if self.product_id else self.category.name
