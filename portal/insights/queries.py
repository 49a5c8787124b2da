"""The dashboard's reads: the account table (filtered, sorted, a page or all of it) and the
figures its charts draw. Only the snapshots the worker keeps (AccountSnapshot, MonthlySales)
and the accounts, their reps, teams and leads are read, never orders: each read is one
statement whatever the number of accounts, so the page costs a constant handful."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from portal.accounts.models import KeyAccount, Team, User
from portal.core.inputs import bounded_int
from portal.core.permissions import FIELD_SALES, INSIDE_SALES
from portal.extensions import db
from portal.hotline.models import Lead
from portal.insights import stages
from portal.insights.models import STAGES, AccountSnapshot, MonthlySales, StageRules
from portal.insights.periods import reporting

PER_PAGE = 50
#: How many accounts the sales chart draws by name; the rest are added up as "others".
TOP_ACCOUNTS = 8
#: Months of sales the chart draws: the complete months before the snapshots' date.
MONTHS = 24
#: How many accounts the deadlines chart lists: those with the most requests due.
DEADLINE_ACCOUNTS = 15
#: The reporting currency when the settings name none.

InsideRep = aliased(User, name="inside_rep")
FieldRep = aliased(User, name="field_rep")
#: An account's team: its inside-sales rep's, else its field-sales rep's.
TEAM_ID = sa.func.coalesce(InsideRep.team_id, FieldRep.team_id)
DEADLINES_MET = sa.case(
    (
        AccountSnapshot.hotline_due > 0,
        AccountSnapshot.hotline_met * 100.0 / AccountSnapshot.hotline_due,
    ),
    else_=None,
)
IS_PLATINUM = KeyAccount.tier == "platinum"

#: ?sort= -> what the table sorts by (anything else: the default, T12M, best first).
SORTS = {
    "account": sa.func.lower(KeyAccount.name),
    "stage": AccountSnapshot.stage,
    "at_risk": AccountSnapshot.is_at_risk,
    "platinum": IS_PLATINUM,
    "t12m": AccountSnapshot.sales_t12m_reporting,
    "growth": AccountSnapshot.growth_percent,
    "wallet_share": AccountSnapshot.wallet_share_percent,
    "retention": AccountSnapshot.retention_percent,
    "aov": AccountSnapshot.average_order_amount,
    "orders": AccountSnapshot.orders_t12m,
    "deadlines": DEADLINES_MET,
    "survey": AccountSnapshot.survey_average,
    "inside_rep": InsideRep.name,
    "field_rep": FieldRep.name,
    "team": Team.name,
}
DEFAULT_SORT = "t12m"
#: Columns of words, which sort A to Z first (figures: the biggest first).
TEXT_SORTS = ("account", "stage", "inside_rep", "field_rep", "team")
DIRECTIONS = ("asc", "desc")


def reporting_currency() -> str:
    """The currency accounts are ranked and added up in (`sales_t12m_reporting`)."""
    return reporting().currency


@dataclass
class Filters:
    """The account table's filters and order, read from the query string (unknown values are
    ignored: the table shows everything, sorted by T12M)."""

    stage: str = ""
    is_platinum_only: bool = False
    is_at_risk_only: bool = False
    team_id: int | None = None
    rep_id: int | None = None
    text: str = ""
    sort: str = DEFAULT_SORT
    direction: str = "desc"
    page: int = 1

    def args(self, **changes) -> dict:
        """The query string that gives these filters (with `changes`), defaults left out."""
        values = {
            "stage": self.stage or None,
            "platinum": "1" if self.is_platinum_only else None,
            "at_risk": "1" if self.is_at_risk_only else None,
            "team": self.team_id,
            "rep": self.rep_id,
            "q": self.text or None,
            "sort": self.sort if self.sort != DEFAULT_SORT else None,
            "dir": self.direction if self.direction != "desc" else None,
        }
        values.update(changes)
        return {name: value for name, value in values.items() if value is not None}


def filters_from(args: Mapping) -> Filters:
    sort = args.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    direction = args.get("dir", "")
    if direction not in DIRECTIONS:
        direction = (
            "asc" if sort in ("account", "stage", "inside_rep", "field_rep", "team") else "desc"
        )
    stage = args.get("stage", "")
    return Filters(
        stage=stage if stage in STAGES else "",
        is_platinum_only=args.get("platinum") == "1",
        is_at_risk_only=args.get("at_risk") == "1",
        team_id=_id_or_none(args.get("team")),
        rep_id=_id_or_none(args.get("rep")),
        text=args.get("q", "").strip()[:100],
        sort=sort,
        direction=direction,
        page=_id_or_none(args.get("page")) or 1,
    )


def _id_or_none(value) -> int | None:
    try:
        number = bounded_int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@dataclass
class AccountRow:
    """One line of the account table."""

    slug: str
    name: str
    stage: str
    is_at_risk: bool
    risk_rules: str
    is_platinum: bool
    currency: str
    sales_t12m: Decimal
    sales_t12m_reporting: Decimal
    growth_percent: Decimal | None
    wallet_share_percent: Decimal | None
    retention_percent: Decimal | None
    average_order_amount: Decimal | None
    orders_t12m: int
    hotline_due: int
    hotline_met: int
    survey_average: Decimal | None
    survey_count: int
    inside_rep: str | None
    field_rep: str | None
    team: str | None
    as_of: date
    #: What the stage's reason needs: the rule, the months of orders and the thresholds now
    #: (NULL until a manager saves the rules: then DESIGN's defaults).
    stage_rule: str
    months_of_history: int
    expansion_from_percent: Decimal | None
    retention_from_percent: Decimal | None

    @property
    def reason(self) -> str:
        """Why the account is in its stage, in the reader's language (stages.reason)."""
        defaults = stages.defaults()
        thresholds = SimpleNamespace(
            expansion_from_percent=self.expansion_from_percent
            if self.expansion_from_percent is not None
            else defaults["expansion_from_percent"],
            retention_from_percent=self.retention_from_percent
            if self.retention_from_percent is not None
            else defaults["retention_from_percent"],
        )
        return stages.reason(self, thresholds)

    @property
    def risk_labels(self) -> str:
        """The at-risk rules that hold, in the reader's language: "retention, growth"."""
        return ", ".join(
            str(stages.RISK_LABELS[rule]) for rule in self.risk_rules.split(",") if rule
        )

    @property
    def deadlines_met_percent(self) -> Decimal | None:
        if not self.hotline_due:
            return None
        return (Decimal(self.hotline_met) * 100 / self.hotline_due).quantize(Decimal("0.01"))


def _table_query(filters: Filters) -> sa.Select:
    query = (
        sa.select(
            KeyAccount.slug,
            KeyAccount.name,
            AccountSnapshot.stage,
            AccountSnapshot.is_at_risk,
            AccountSnapshot.risk_rules,
            IS_PLATINUM.label("is_platinum"),
            AccountSnapshot.currency,
            AccountSnapshot.sales_t12m,
            AccountSnapshot.sales_t12m_reporting,
            AccountSnapshot.growth_percent,
            AccountSnapshot.wallet_share_percent,
            AccountSnapshot.retention_percent,
            AccountSnapshot.average_order_amount,
            AccountSnapshot.orders_t12m,
            AccountSnapshot.hotline_due,
            AccountSnapshot.hotline_met,
            AccountSnapshot.survey_average,
            AccountSnapshot.survey_count,
            InsideRep.name.label("inside_rep"),
            FieldRep.name.label("field_rep"),
            Team.name.label("team"),
            AccountSnapshot.as_of,
            AccountSnapshot.stage_rule,
            AccountSnapshot.months_of_history,
            StageRules.expansion_from_percent,
            StageRules.retention_from_percent,
        )
        .select_from(AccountSnapshot)
        .join(KeyAccount, KeyAccount.id == AccountSnapshot.account_id)
        .outerjoin(StageRules, StageRules.id == stages.RULES_ID)
        .outerjoin(InsideRep, InsideRep.id == KeyAccount.inside_sales_rep_id)
        .outerjoin(FieldRep, FieldRep.id == KeyAccount.field_sales_rep_id)
        .outerjoin(Team, Team.id == TEAM_ID)
    )
    if filters.stage:
        query = query.where(AccountSnapshot.stage == filters.stage)
    if filters.is_platinum_only:
        query = query.where(IS_PLATINUM)
    if filters.is_at_risk_only:
        query = query.where(AccountSnapshot.is_at_risk.is_(True))
    if filters.team_id:
        query = query.where(TEAM_ID == filters.team_id)  # noqa: SIM300  (a column, not a constant)
    if filters.rep_id:
        query = query.where(
            sa.or_(
                KeyAccount.inside_sales_rep_id == filters.rep_id,
                KeyAccount.field_sales_rep_id == filters.rep_id,
                KeyAccount.backup_rep_id == filters.rep_id,
            )
        )
    if filters.text:
        query = query.where(
            sa.or_(
                KeyAccount.name.icontains(filters.text, autoescape=True),
                KeyAccount.slug.icontains(filters.text, autoescape=True),
            )
        )
    column = SORTS[filters.sort]
    ordered = column.asc() if filters.direction == "asc" else column.desc()
    # Unknown figures last either way; then by name, then slug, so pages never overlap.
    return query.order_by(
        column.is_(None), ordered, sa.func.lower(KeyAccount.name), KeyAccount.slug
    )


@dataclass
class TablePage:
    rows: list[AccountRow]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)

    @property
    def items(self) -> list[AccountRow]:
        return self.rows


def account_page(filters: Filters) -> TablePage:
    """One page of the table with the count of all its rows, in one statement (a page past
    the last: the last page, one more)."""
    query = _table_query(filters).add_columns(sa.func.count().over().label("total"))
    page = filters.page
    while True:
        rows = db.session.execute(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
        if rows or page == 1:
            break
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(_table_query(filters).subquery())
        )
        page = max(1, -(-total // PER_PAGE))
        filters.page = page
    total = rows[0].total if rows else 0
    return TablePage([AccountRow(*row[:-1]) for row in rows], total, page)


def all_account_rows(filters: Filters) -> list[AccountRow]:
    """Every row of the table, filtered and sorted as the page (the exports)."""
    return [AccountRow(*row) for row in db.session.execute(_table_query(filters))]


@dataclass
class Choices:
    """What the table's filters offer: the teams and the sales reps."""

    teams: list = field(default_factory=list)
    reps: list = field(default_factory=list)


def filter_choices() -> Choices:
    teams = db.session.execute(
        sa.select(Team.id, Team.name).where(Team.is_active.is_(True)).order_by(Team.name)
    ).all()
    reps = db.session.execute(
        sa.select(User.id, User.name, User.role)
        .where(User.role.in_((INSIDE_SALES, FIELD_SALES)), User.is_active.is_(True))
        .order_by(User.name, User.id)
    ).all()
    return Choices(teams, reps)


# --- what the charts draw ---


@dataclass
class Overview:
    """The snapshots' date and, per currency, what its T12M is worth in the reporting
    currency (the rate the worker's ranking used, read back from its sums)."""

    as_of: date | None
    rates: dict[str, Decimal]


def overview() -> Overview:
    rows = db.session.execute(
        sa.select(
            AccountSnapshot.currency,
            sa.func.sum(AccountSnapshot.sales_t12m_reporting),
            sa.func.sum(AccountSnapshot.sales_t12m),
            sa.func.max(AccountSnapshot.as_of),
        ).group_by(AccountSnapshot.currency)
    ).all()
    rates = {reporting_currency(): Decimal(1)}
    for currency, in_reporting, own, _as_of in rows:
        if currency not in rates and own and in_reporting:
            rates[currency] = Decimal(in_reporting) / Decimal(own)
    days = [as_of for *_rest, as_of in rows if as_of is not None]
    return Overview(max(days) if days else None, rates)


def stage_counts() -> list:
    """(stage, accounts, of which at risk, T12M in the reporting currency) per stage."""
    return db.session.execute(
        sa.select(
            AccountSnapshot.stage,
            sa.func.count(),
            sa.func.sum(sa.case((AccountSnapshot.is_at_risk, 1), else_=0)),
            sa.func.sum(AccountSnapshot.sales_t12m_reporting),
        ).group_by(AccountSnapshot.stage)
    ).all()


def wallet_points() -> list:
    """The accounts with a spend estimate: name, slug, stage, currency, T12M, estimated spend
    and wallet share, biggest spend first."""
    return db.session.execute(
        sa.select(
            KeyAccount.name,
            KeyAccount.slug,
            AccountSnapshot.stage,
            AccountSnapshot.currency,
            AccountSnapshot.sales_t12m,
            AccountSnapshot.spend_estimate_amount,
            AccountSnapshot.wallet_share_percent,
        )
        .join(KeyAccount, KeyAccount.id == AccountSnapshot.account_id)
        .where(AccountSnapshot.spend_estimate_amount.is_not(None))
        .order_by(AccountSnapshot.spend_estimate_amount.desc(), KeyAccount.slug)
    ).all()


def top_accounts(limit: int = TOP_ACCOUNTS) -> list:
    """(id, name, slug) of the accounts with the best T12M in the reporting currency."""
    return db.session.execute(
        sa.select(KeyAccount.id, KeyAccount.name, KeyAccount.slug)
        .join(AccountSnapshot, AccountSnapshot.account_id == KeyAccount.id)
        .where(AccountSnapshot.sales_t12m_reporting > 0)
        .order_by(AccountSnapshot.sales_t12m_reporting.desc(), KeyAccount.slug)
        .limit(limit)
    ).all()


def monthly_sales(first: date, last: date, top_ids: list[int]) -> list:
    """Sales per (month, currency, top account or None for the others, team id or None),
    months `first` to `last` inclusive: the charts per account and per team both fold it."""
    bucket = (
        sa.case((MonthlySales.account_id.in_(top_ids), MonthlySales.account_id), else_=None)
        if top_ids
        else sa.literal(None, sa.Integer)
    ).label("bucket")
    team = TEAM_ID.label("team_id")
    return db.session.execute(
        sa.select(
            MonthlySales.month,
            MonthlySales.currency,
            bucket,
            team,
            sa.func.sum(MonthlySales.net_amount),
        )
        .join(KeyAccount, KeyAccount.id == MonthlySales.account_id)
        .outerjoin(InsideRep, InsideRep.id == KeyAccount.inside_sales_rep_id)
        .outerjoin(FieldRep, FieldRep.id == KeyAccount.field_sales_rep_id)
        .where(MonthlySales.month.between(first, last))
        .group_by(MonthlySales.month, MonthlySales.currency, bucket, team)
    ).all()


def team_names() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Team.id, Team.name)).all())


def deadline_rows(limit: int = DEADLINE_ACCOUNTS) -> tuple[list, tuple[int, int]]:
    """The accounts with the most hotline requests due in their 12 months (name, slug, due,
    met), and the totals over every account (due, met): two statements."""
    rows = db.session.execute(
        sa.select(
            KeyAccount.name,
            KeyAccount.slug,
            AccountSnapshot.hotline_due,
            AccountSnapshot.hotline_met,
        )
        .join(KeyAccount, KeyAccount.id == AccountSnapshot.account_id)
        .where(AccountSnapshot.hotline_due > 0)
        .order_by(AccountSnapshot.hotline_due.desc(), KeyAccount.slug)
        .limit(limit)
    ).all()
    due, met = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(AccountSnapshot.hotline_due), 0),
            sa.func.coalesce(sa.func.sum(AccountSnapshot.hotline_met), 0),
        )
    ).one()
    return rows, (int(due), int(met))


def pipeline_sums() -> list:
    """Per lead stage and currency: leads, their value and their weighted value (value x
    probability; a lead without a probability weighs nothing). Leads without a value count,
    worth nothing."""
    # value x percent, divided by 100 here: a literal 100 in SQL would be bound as an Amount
    # (scaled on SQLite), and the product of a column and a column is not.
    percent_weighted = Lead.value_amount * sa.func.coalesce(Lead.probability_percent, 0)
    rows = db.session.execute(
        sa.select(
            Lead.status,
            Lead.currency,
            sa.func.count(),
            sa.func.sum(Lead.value_amount),
            sa.func.sum(percent_weighted),
        ).group_by(Lead.status, Lead.currency)
    ).all()
    return [
        (status, currency, count, value or Decimal(0), (weighted or Decimal(0)) / 100)
        for status, currency, count, value, weighted in rows
    ]
