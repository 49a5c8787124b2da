"""KPIs per rep and per team over a period, and the coverage of each stage by reps (issue 17,
deliverable 5). Eleven statements whatever the number of reps, accounts and rows.

What counts, and for whom (the KPI page says the same in words):

- **Sales, orders, margin** come from insights.models.MonthlySales (net of VAT and refunds,
  orders released or later), the months of the period, converted into the reporting currency.
  Both reps of an account are credited with its sales: its inside-sales rep and its field-sales
  rep (each serves it in their role: the team adds up those of its members, each account once).
  The accounts are credited to the reps assigned *now*. Margin % = (costed net - cost) /
  costed net, over the lines whose product cost is known only; "costed" says what share of the
  sales that is.
- **Quote win rate**: won / (won + lost) of the quotes decided in the period, credited to the
  quote's rep (Quote.assignee). Won: status accepted or ordered, decided when the buyer accepted
  (the latest QuoteVersion.accepted_at); lost: status lost, decided at lost_at.
- **Hotline deadlines met**: the requests whose deadline (due_at) fell in the period and has
  passed, credited to their assignee; met when the request was closed at or before its deadline
  (as insights.figures counts an account's, and as the deadline sweep escalates a request still
  open or in progress at its deadline as unanswered).
- **Care tasks done on time**: each due date of a care task that fell in the period, credited
  to the account's inside-sales rep (care is their duty). The portal keeps no list of past due
  dates, so they are rebuilt as care.log_contact sets them: a contact for the task falls due
  `every_days` after the previous contact's day (the account's local day), or on the first
  working day after that in the account's calendar; it is on time when logged on or before that
  day. An active task whose next due date has passed without a contact counts as not done.
  The first contact of a task is not judged: the day the task was first due is not kept.
- **Survey**: the ratings (1 to 5) answered in the period, credited to the request's assignee.
- **Coverage by stage**: the accounts in each stage (their snapshot's; "not staged" before the
  worker's first run), and per stage the accounts per inside-sales rep and per field-sales rep
  serving at least one of them. Engineers are not assigned to accounts in the portal (no role
  or account field names them): the page says so rather than guess.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from portal.accounts.models import KeyAccount, Team, User
from portal.core.db import UTCDateTime, among, utcnow
from portal.extensions import db
from portal.hotline.business_hours import WorkCalendar
from portal.hotline.models import (
    BusinessCalendar,
    CareContact,
    CareTask,
    Holiday,
    HotlineRequest,
)
from portal.hotline.queries import FALLBACK_CALENDAR
from portal.insights.models import STAGES, AccountSnapshot, MonthlySales
from portal.insights.periods import Period, Reporting, percent, reporting
from portal.quotes.models import Quote, QuoteVersion

#: The roles an account names its reps in.
ACCOUNT_ROLES = ("inside_sales", "field_sales")
WON_STATUSES = ("accepted", "ordered")
#: How far before a period a care contact may lie and still be the previous contact of one due
#: in it (every_days is at most 366).
CARE_LOOKBACK = timedelta(days=368)


@dataclass
class Sales:
    """Sales in the reporting currency."""

    net: Decimal = Decimal(0)
    orders: int = 0
    costed_net: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)

    @property
    def margin_percent(self) -> Decimal | None:
        return percent(self.costed_net - self.cost, self.costed_net)

    @property
    def costed_percent(self) -> Decimal | None:
        """The share of the sales whose cost is known (what the margin covers)."""
        return percent(self.costed_net, self.net)

    def add(self, other: "Sales") -> None:
        self.net += other.net
        self.orders += other.orders
        self.costed_net += other.costed_net
        self.cost += other.cost


@dataclass
class Activity:
    """Counts that add up from reps to their team."""

    quotes_won: int = 0
    quotes_lost: int = 0
    hotline_due: int = 0
    hotline_met: int = 0
    care_due: int = 0
    care_on_time: int = 0
    survey_count: int = 0
    survey_sum: int = 0

    @property
    def win_rate_percent(self) -> Decimal | None:
        return percent(self.quotes_won, self.quotes_won + self.quotes_lost)

    @property
    def hotline_met_percent(self) -> Decimal | None:
        return percent(self.hotline_met, self.hotline_due)

    @property
    def care_on_time_percent(self) -> Decimal | None:
        return percent(self.care_on_time, self.care_due)

    @property
    def survey_average(self) -> Decimal | None:
        if not self.survey_count:
            return None
        return (Decimal(self.survey_sum) / self.survey_count).quantize(Decimal("0.01"))

    def add(self, other: "Activity") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class RepRow:
    user: User
    inside_accounts: int = 0
    field_accounts: int = 0
    sales: Sales = field(default_factory=Sales)
    activity: Activity = field(default_factory=Activity)

    @property
    def team_name(self) -> str | None:
        return self.user.team.name if self.user.team is not None else None


@dataclass
class TeamRow:
    """A team (None: the reps of no team): its members among the reps, the accounts they serve
    (each once) and what those accounts bought, and its members' activity added up."""

    team: Team | None
    members: int = 0
    sales: Sales = field(default_factory=Sales)
    activity: Activity = field(default_factory=Activity)


@dataclass
class CoverageRow:
    stage: str | None
    accounts: int
    inside_reps: int
    field_reps: int
    without_inside: int
    without_field: int

    @property
    def per_inside_rep(self) -> Decimal | None:
        return _ratio(self.accounts - self.without_inside, self.inside_reps)

    @property
    def per_field_rep(self) -> Decimal | None:
        return _ratio(self.accounts - self.without_field, self.field_reps)


def _ratio(accounts: int, reps: int) -> Decimal | None:
    return (Decimal(accounts) / reps).quantize(Decimal("0.1")) if reps else None


@dataclass
class Kpis:
    period: Period
    currency: str
    reps: list[RepRow]
    teams: list[TeamRow]
    coverage: list[CoverageRow]
    #: Currencies some sales were in that have no reporting rate (left out, and said so).
    missing_rates: set[str]


def kpis(period: Period, now: datetime | None = None) -> Kpis:
    """The KPIs of `period` as of `now`: per rep, per team, and the coverage by stage."""
    now = now or utcnow()
    zone = current_app.config["COMPANY_TIME_ZONE"]
    start_at, end_at = period.bounds(zone)
    money = reporting()
    missing: set[str] = set()

    assigned = _accounts_per_rep()
    rep_sales = _sales_by(_rep_accounts().c.user_id, period, money, missing)
    team_sales = _sales_by(_team_accounts().c.team_id, period, money, missing)
    activity: dict[int, Activity] = defaultdict(Activity)
    _count_quotes(activity, start_at, end_at)
    _count_hotline(activity, start_at, end_at, now)
    _count_care(activity, period)

    ids = set(assigned) | set(rep_sales) | set(activity)
    users = (
        db.session.scalars(
            sa.select(User).where(among(User.id, ids, sa.Integer)).options(joinedload(User.team))
        ).all()
        if ids
        else []
    )
    reps = []
    for user in users:
        inside, field_ = assigned.get(user.id, (0, 0))
        reps.append(
            RepRow(user, inside, field_, rep_sales.get(user.id, Sales()), activity[user.id])
        )
    reps.sort(key=lambda r: (r.user.role, r.user.name.casefold(), r.user.id))
    return Kpis(period, money.currency, reps, _teams(reps, team_sales), coverage(), missing)


def _teams(reps: list[RepRow], team_sales: dict) -> list[TeamRow]:
    rows: dict[int | None, TeamRow] = {}
    for rep in reps:
        row = rows.setdefault(rep.user.team_id, TeamRow(rep.user.team))
        row.members += 1
        row.activity.add(rep.activity)
    for team_id, row in rows.items():
        row.sales = team_sales.get(team_id, Sales())
    return sorted(
        rows.values(), key=lambda r: (r.team is None, r.team.name.casefold() if r.team else "")
    )


# --- sales ---


def _rep_accounts():
    """(account_id, user_id): each account with each of its reps, once per person."""
    inside = sa.select(
        KeyAccount.id.label("account_id"), KeyAccount.inside_sales_rep_id.label("user_id")
    ).where(KeyAccount.inside_sales_rep_id.is_not(None))
    field_ = sa.select(
        KeyAccount.id.label("account_id"), KeyAccount.field_sales_rep_id.label("user_id")
    ).where(KeyAccount.field_sales_rep_id.is_not(None))
    return sa.union(inside, field_).subquery("rep_accounts")


def _team_accounts():
    """(account_id, team_id): each account with each team one of its reps is in, once; team
    NULL for reps of no team."""
    reps = _rep_accounts()
    return (
        sa.select(reps.c.account_id, User.team_id.label("team_id"))
        .join(User, User.id == reps.c.user_id)
        .distinct()
        .subquery("team_accounts")
    )


def _sales_by(key, period: Period, money: Reporting, missing: set[str]) -> dict:
    """Sales of the period per value of `key` (a column of a subquery with account_id), in
    the reporting currency: one statement, a row per key and currency."""
    source = key.table
    rows = db.session.execute(
        sa.select(
            key,
            MonthlySales.currency,
            sa.func.sum(MonthlySales.net_amount),
            sa.func.sum(MonthlySales.orders),
            sa.func.sum(MonthlySales.costed_net_amount),
            sa.func.sum(MonthlySales.cost_amount),
        )
        .select_from(source)
        .join(MonthlySales, MonthlySales.account_id == source.c.account_id)
        .where(MonthlySales.month >= period.start, MonthlySales.month < period.end)
        .group_by(key, MonthlySales.currency)
    )
    found: dict = {}
    for owner, currency, net, orders, costed, cost in rows:
        if money.convert(Decimal(0), currency) is None:
            missing.add(currency)
            continue
        found.setdefault(owner, Sales()).add(
            Sales(
                money.convert(net or Decimal(0), currency),
                int(orders or 0),
                money.convert(costed or Decimal(0), currency),
                money.convert(cost or Decimal(0), currency),
            )
        )
    return found


def _accounts_per_rep() -> dict[int, tuple[int, int]]:
    """user id -> (accounts they are the inside-sales rep of, the field-sales rep of)."""
    inside = sa.select(
        KeyAccount.inside_sales_rep_id.label("user_id"),
        sa.literal("inside_sales").label("role"),
        sa.func.count().label("accounts"),
    ).group_by(KeyAccount.inside_sales_rep_id)
    field_ = sa.select(
        KeyAccount.field_sales_rep_id.label("user_id"),
        sa.literal("field_sales").label("role"),
        sa.func.count().label("accounts"),
    ).group_by(KeyAccount.field_sales_rep_id)
    found: dict[int, list[int]] = {}
    for user_id, role, accounts in db.session.execute(sa.union_all(inside, field_)):
        if user_id is not None:
            found.setdefault(user_id, [0, 0])[ACCOUNT_ROLES.index(role)] = accounts
    return {user_id: (inside_, field_) for user_id, (inside_, field_) in found.items()}


# --- activity ---


def _count_quotes(activity: dict, start_at: datetime, end_at: datetime) -> None:
    accepted = (
        sa.select(QuoteVersion.quote_id, sa.func.max(QuoteVersion.accepted_at).label("won_at"))
        .where(QuoteVersion.accepted_at.is_not(None))
        .group_by(QuoteVersion.quote_id)
        .subquery("accepted")
    )
    won = sa.and_(
        Quote.status.in_(WON_STATUSES), accepted.c.won_at >= start_at, accepted.c.won_at < end_at
    )
    lost = sa.and_(Quote.status == "lost", Quote.lost_at >= start_at, Quote.lost_at < end_at)
    rows = db.session.execute(
        sa.select(Quote.assignee_id, sa.func.count().filter(won), sa.func.count().filter(lost))
        .outerjoin(accepted, accepted.c.quote_id == Quote.id)
        .where(Quote.assignee_id.is_not(None), sa.or_(won, lost))
        .group_by(Quote.assignee_id)
    )
    for user_id, won_count, lost_count in rows:
        activity[user_id].quotes_won += won_count
        activity[user_id].quotes_lost += lost_count


def hotline_met_condition():
    """A request answered by its deadline: closed at or before due_at (as the figures count
    it, and as the deadline sweep sees it: a request claimed but still open at its deadline
    is escalated as unanswered)."""
    return sa.and_(
        HotlineRequest.closed_at.is_not(None), HotlineRequest.closed_at <= HotlineRequest.due_at
    )


def _count_hotline(activity: dict, start_at: datetime, end_at: datetime, now: datetime) -> None:
    due = sa.and_(
        HotlineRequest.due_at >= start_at,
        HotlineRequest.due_at < end_at,
        HotlineRequest.due_at <= now,
    )
    surveyed = sa.and_(
        HotlineRequest.survey_rating.is_not(None),
        HotlineRequest.survey_answered_at >= start_at,
        HotlineRequest.survey_answered_at < end_at,
    )
    rows = db.session.execute(
        sa.select(
            HotlineRequest.assignee_id,
            sa.func.count().filter(due),
            sa.func.count().filter(sa.and_(due, hotline_met_condition())),
            sa.func.count().filter(surveyed),
            sa.func.coalesce(sa.func.sum(HotlineRequest.survey_rating).filter(surveyed), 0),
        )
        .where(HotlineRequest.assignee_id.is_not(None), sa.or_(due, surveyed))
        .group_by(HotlineRequest.assignee_id)
    )
    for user_id, due_count, met_count, survey_count, survey_sum in rows:
        row = activity[user_id]
        row.hotline_due += due_count
        row.hotline_met += met_count
        row.survey_count += survey_count
        row.survey_sum += int(survey_sum)


def _count_care(activity: dict, period: Period) -> None:
    """Due dates of care tasks in the period, and those met, per account's inside-sales rep."""
    zone = current_app.config["COMPANY_TIME_ZONE"]
    start_at, end_at = period.bounds(zone)
    for rep_id, due_on, done_on in _care_due_dates(start_at - CARE_LOOKBACK, end_at):
        if rep_id is not None and period.start <= due_on < period.end:
            activity[rep_id].care_due += 1
            activity[rep_id].care_on_time += done_on <= due_on
    overdue = db.session.execute(
        sa.select(KeyAccount.inside_sales_rep_id, sa.func.count())
        .join(CareTask, CareTask.account_id == KeyAccount.id)
        .where(
            CareTask.is_active.is_(True),
            CareTask.next_due_on >= period.start,
            CareTask.next_due_on < min(period.end, period.today),
            KeyAccount.inside_sales_rep_id.is_not(None),
        )
        .group_by(KeyAccount.inside_sales_rep_id)
    )
    for rep_id, missed in overdue:
        activity[rep_id].care_due += missed


def _care_due_dates(since: datetime, until: datetime):
    """(inside-sales rep, due date, day done) of each contact for a task, logged from `since`
    with a previous contact before `until`: its due date rebuilt as care.log_contact set it."""
    logged = (
        sa.select(
            CareContact.task_id,
            CareContact.at,
            sa.func.lag(CareContact.at, type_=UTCDateTime)
            .over(partition_by=CareContact.task_id, order_by=(CareContact.at, CareContact.id))
            .label("previous_at"),
        )
        .where(CareContact.task_id.is_not(None), CareContact.at >= since)
        .subquery("logged")
    )
    rows = db.session.execute(
        sa.select(
            logged.c.at,
            logged.c.previous_at,
            CareTask.every_days,
            KeyAccount.time_zone,
            KeyAccount.business_calendar_id,
            KeyAccount.inside_sales_rep_id,
        )
        .join(CareTask, CareTask.id == logged.c.task_id)
        .join(KeyAccount, KeyAccount.id == CareTask.account_id)
        .where(logged.c.previous_at.is_not(None), logged.c.previous_at < until)
    ).all()
    calendars = _calendars()
    for at, previous_at, every_days, time_zone, calendar_id, rep_id in rows:
        tz = ZoneInfo(time_zone)
        calendar = calendars.get(calendar_id) or calendars.get(None) or FALLBACK_CALENDAR
        after = previous_at.astimezone(tz).date() + timedelta(days=every_days)
        yield rep_id, calendar.next_working_day(after), at.astimezone(tz).date()


def _calendars() -> dict[int | None, WorkCalendar]:
    """Every business calendar by id, and the default one under None (two statements)."""
    found: dict[int | None, WorkCalendar] = {}
    days = defaultdict(list)
    for calendar_id, day in db.session.execute(sa.select(Holiday.calendar_id, Holiday.day)):
        days[calendar_id].append(day)
    for calendar in db.session.scalars(sa.select(BusinessCalendar).order_by(BusinessCalendar.id)):
        found[calendar.id] = WorkCalendar.of(calendar, days[calendar.id])
        if calendar.is_default and None not in found:
            found[None] = found[calendar.id]
    return found


# --- coverage ---


def coverage() -> list[CoverageRow]:
    """Per stage (in STAGES order, then "not staged"): accounts, the reps serving them, and the
    accounts without one (one statement)."""
    rows = db.session.execute(
        sa.select(
            AccountSnapshot.stage,
            sa.func.count(KeyAccount.id),
            sa.func.count(sa.distinct(KeyAccount.inside_sales_rep_id)),
            sa.func.count(sa.distinct(KeyAccount.field_sales_rep_id)),
            sa.func.count().filter(KeyAccount.inside_sales_rep_id.is_(None)),
            sa.func.count().filter(KeyAccount.field_sales_rep_id.is_(None)),
        )
        .select_from(KeyAccount)
        .outerjoin(AccountSnapshot, AccountSnapshot.account_id == KeyAccount.id)
        .group_by(AccountSnapshot.stage)
    )
    by_stage = {row[0]: CoverageRow(*row) for row in rows}
    ordered = [by_stage.get(stage) or CoverageRow(stage, 0, 0, 0, 0, 0) for stage in STAGES]
    if None in by_stage:
        ordered.append(by_stage[None])
    return ordered
