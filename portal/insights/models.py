"""Snapshots of each key account's figures, kept by the worker (DESIGN.md section 4, "Key-account
insights"), the staff's estimates of each account's annual spend, the stage rules, and the
history of stages and of platinum.

Pages read these rows, never the orders: with years of history and thousands of accounts, the
dashboard stays as fast as its snapshot tables are small. Percentages are stored as percent
(18.25 means 18.25%), rounded half-up to two places; amounts are net of VAT, in the account's
currency, except `sales_t12m_reporting`, which is in the reporting currency (ranking accounts
that trade in different currencies).
"""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import KeyAccount, User
from portal.core.db import AccountScoped, Amount, UTCDateTime, utcnow
from portal.core.money import Money
from portal.core.versioning import Versioned
from portal.extensions import db

STAGES = ("acquisition", "expansion", "retention")
#: Which rule put an account in its stage: wallet share unknown with a short history, share
#: below the expansion threshold, between the thresholds, at or above the retention threshold;
#: "no_estimate": share unknown but 12 months or more of orders (acquisition, asking for an
#: estimate).
STAGE_RULES = ("new_account", "no_estimate", "share_below", "share_between", "share_from")
PLATINUM_CHANGES = ("joined", "left")
#: Why platinum changed: the worker's ranking, a director's override, or its end.
PLATINUM_CAUSES = ("ranking", "override", "override_ended")
OVERRIDE_DECISIONS = ("in", "out")

#: A percentage, e.g. 18.25 for 18.25%.
Percent = sa.Numeric(9, 2)


class SpendEstimate(AccountScoped, db.Model):
    """What staff estimate the account spends a year on what the supplier sells, as of a date,
    and where the figure comes from. Never edited: a new estimate is a new row; the latest
    (by as_of, then id) counts."""

    __tablename__ = "spend_estimates"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(sa.String(3))
    as_of: Mapped[date] = mapped_column(sa.Date)
    #: Where it comes from: "annual report 2025", "IT director, visit of 3 May".
    source: Mapped[str] = mapped_column(sa.String(200))
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[KeyAccount] = relationship(lazy="raise")
    entered_by: Mapped[User | None] = relationship(lazy="raise")

    @property
    def value(self) -> Money:
        return Money(self.amount, self.currency)


class StageRules(Versioned, db.Model):
    """The thresholds of the stages and of platinum: one row (id 1), changed by managers in
    settings, each change audited."""

    __tablename__ = "stage_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Wallet share (percent) from which an account is in expansion, and in retention.
    expansion_from_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal(10))
    retention_from_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal(50))
    #: Without a spend estimate, an account with fewer months of orders than this is new.
    history_months: Mapped[int] = mapped_column(default=12)
    #: At risk: retention below this, or growth below this (percent, negative).
    at_risk_retention_below_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal(75))
    at_risk_growth_below_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal(-10))
    #: Platinum: how many places, and by how much (percent) an outsider's T12M must exceed the
    #: weakest member's to take its place.
    platinum_places: Mapped[int] = mapped_column(default=5)
    platinum_buffer_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal(10))
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    updated_by: Mapped[User | None] = relationship(lazy="raise")


class AccountSnapshot(AccountScoped, db.Model):
    """One account's figures as of a day, as the worker last computed them."""

    __tablename__ = "account_snapshots"
    __table_args__ = (
        sa.CheckConstraint(f"stage IN {STAGES}", name="stage"),
        sa.CheckConstraint(f"stage_rule IN {STAGE_RULES}", name="stage_rule"),
    )

    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    #: The account's local date the figures are for; T12M is the 12 months before it.
    as_of: Mapped[date] = mapped_column(sa.Date)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    currency: Mapped[str] = mapped_column(sa.String(3))
    sales_t12m: Mapped[Decimal] = mapped_column(Amount)
    sales_prior_12m: Mapped[Decimal] = mapped_column(Amount)
    #: T12M in the reporting currency (settings), for the platinum ranking.
    sales_t12m_reporting: Mapped[Decimal] = mapped_column(Amount, index=True)
    #: T12M / prior 12 months - 1; NULL when the prior 12 months had no sales.
    growth_percent: Mapped[Decimal | None] = mapped_column(Percent)
    spend_estimate_amount: Mapped[Decimal | None] = mapped_column(Amount)
    wallet_share_percent: Mapped[Decimal | None] = mapped_column(Percent)
    #: Share of last year's ordering months in which it also ordered this year; NULL: it did
    #: not order last year.
    retention_percent: Mapped[Decimal | None] = mapped_column(Percent)
    #: Months from its first counted order to as_of (its history's length).
    months_of_history: Mapped[int] = mapped_column(default=0)
    orders_t12m: Mapped[int] = mapped_column(default=0)
    average_order_amount: Mapped[Decimal | None] = mapped_column(Amount)
    orders_per_month: Mapped[Decimal] = mapped_column(Percent, default=Decimal(0))
    #: Over the T12M lines whose product cost is known: their net and their cost.
    costed_sales_t12m: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    cost_t12m: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    #: Hotline requests due in the 12 months, and those answered by their deadline.
    hotline_due: Mapped[int] = mapped_column(default=0)
    hotline_met: Mapped[int] = mapped_column(default=0)
    survey_count: Mapped[int] = mapped_column(default=0)
    survey_average: Mapped[Decimal | None] = mapped_column(Percent)
    stage: Mapped[str] = mapped_column(sa.String(20), index=True)
    stage_rule: Mapped[str] = mapped_column(sa.String(20))
    is_at_risk: Mapped[bool] = mapped_column(default=False)
    #: Which at-risk rules hold, comma-separated: "retention", "growth", "retention,growth".
    risk_rules: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Place in the ranking by sales_t12m_reporting (1 = best).
    sales_rank: Mapped[int | None] = mapped_column()

    account: Mapped[KeyAccount] = relationship(lazy="raise")


class MonthlySales(AccountScoped, db.Model):
    """An account's counted sales in one calendar month (its local dates): orders released or
    later, placed that month, net of VAT, less the net of refunds made that month."""

    __tablename__ = "monthly_sales"
    __table_args__ = (sa.UniqueConstraint("account_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("key_accounts.id", ondelete="CASCADE"))
    #: The first day of the month.
    month: Mapped[date] = mapped_column(sa.Date, index=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    net_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    orders: Mapped[int] = mapped_column(default=0)
    costed_net_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    cost_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))

    account: Mapped[KeyAccount] = relationship(lazy="raise")


class StageChange(AccountScoped, db.Model):
    """An account's move into a stage, with the figures that put it there (the reason is
    rendered from them in the reader's language)."""

    __tablename__ = "stage_changes"
    __table_args__ = (
        sa.CheckConstraint(f"stage IN {STAGES}", name="stage"),
        sa.CheckConstraint(f"stage_rule IN {STAGE_RULES}", name="stage_rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    on: Mapped[date] = mapped_column(sa.Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_stage: Mapped[str | None] = mapped_column(sa.String(20))
    stage: Mapped[str] = mapped_column(sa.String(20))
    stage_rule: Mapped[str] = mapped_column(sa.String(20))
    wallet_share_percent: Mapped[Decimal | None] = mapped_column(Percent)
    months_of_history: Mapped[int] = mapped_column(default=0)
    #: The thresholds the rule compared with, as they were.
    expansion_from_percent: Mapped[Decimal] = mapped_column(Percent)
    retention_from_percent: Mapped[Decimal] = mapped_column(Percent)

    account: Mapped[KeyAccount] = relationship(lazy="raise")


class PlatinumChange(AccountScoped, db.Model):
    """An account joining or leaving platinum, and why."""

    __tablename__ = "platinum_changes"
    __table_args__ = (
        sa.CheckConstraint(f"change IN {PLATINUM_CHANGES}", name="change"),
        sa.CheckConstraint(f"cause IN {PLATINUM_CAUSES}", name="cause"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), index=True
    )
    on: Mapped[date] = mapped_column(sa.Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    change: Mapped[str] = mapped_column(sa.String(10))
    cause: Mapped[str] = mapped_column(sa.String(20))
    #: Its T12M in the reporting currency then.
    sales_t12m_reporting: Mapped[Decimal | None] = mapped_column(Amount)
    #: The account it replaced (joined) or that replaced it (left), by the ranking.
    other_account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="SET NULL")
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The director's reason (overrides).
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    account: Mapped[KeyAccount] = relationship(foreign_keys=[account_id], lazy="raise")
    other_account: Mapped[KeyAccount | None] = relationship(
        foreign_keys=[other_account_id], lazy="raise"
    )
    actor: Mapped[User | None] = relationship(lazy="raise")


class PlatinumOverride(AccountScoped, db.Model):
    """A director's decision that an account is platinum ("in") or not ("out") whatever its
    sales, with a reason, until a director ends it (the row is deleted; PlatinumChange and the
    audit trail keep the history)."""

    __tablename__ = "platinum_overrides"
    __table_args__ = (sa.CheckConstraint(f"decision IN {OVERRIDE_DECISIONS}", name="decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), unique=True
    )
    decision: Mapped[str] = mapped_column(sa.String(3))
    reason: Mapped[str] = mapped_column(sa.Text)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[KeyAccount] = relationship(lazy="raise")
    by: Mapped[User | None] = relationship(lazy="raise")
