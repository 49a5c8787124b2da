"""Reads for the staff's quote pages: the pipeline (open quotes, their value per rep and per
account, the quotes lost lately and why), a quote by its number, the quotes waiting for a
member of staff, and an account's quotes for the 360 view; each in a constant number of
queries whatever the number of quotes."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import KeyAccount, User
from portal.core.db import utcnow
from portal.core.money import Money
from portal.core.pagination import Page, paginate_with_count
from portal.extensions import db
from portal.quotes import permissions
from portal.quotes.models import (
    LOST_REASONS,
    OPEN_STATUSES,
    Quote,
    QuoteSignOff,
    QuoteVersion,
)

PER_PAGE = 50
#: The lost quotes the pipeline lists: those lost within this many days.
LOST_DAYS = 90
LOST_LIMIT = 50
ACCOUNT_QUOTES = 20
#: The rep filter's words besides a rep's id: every quote, mine, and the team queue.
REP_ALL, REP_MINE, REP_NONE = "", "mine", "none"


@dataclass(frozen=True)
class Filters:
    """The pipeline's selection: a status of OPEN_STATUSES (or all open ones), a rep (REP_*
    or a user id as text), an account slug."""

    status: str = ""
    rep: str = REP_ALL
    account: str = ""
    page: int = 1


@dataclass
class Waiting:
    """What an in-review supplier version of a page's quote still waits for."""

    needs_approval: bool = False
    depth_percent: Decimal | None = None
    departments: list[str] = field(default_factory=list)


@dataclass
class Sum:
    """A rep's or an account's open quotes: how many, and their value in each currency."""

    key: int | None
    name: str
    count: int
    values: list[Money]


@dataclass
class Pipeline:
    page: Page
    now: datetime
    #: quote id -> what its version in review waits for (quotes in review only).
    waiting: dict[int, Waiting]
    per_rep: list[Sum]
    per_account: list[Sum]
    lost: list[Quote]
    lost_counts: dict[str, int]

    def value(self, quote: Quote) -> Money | None:
        return value_of(quote)


def value_of(quote: Quote) -> Money | None:
    """The quote's value (gross total of its latest priced version), None before it has one."""
    if quote.value_amount is None:
        return None
    return Money(quote.value_amount, quote.currency)


def pipeline(user: User, filters: Filters, now: datetime | None = None) -> Pipeline:
    """The open quotes `filters` select, a page of them, overdue first, then by deadline;
    with the sums of value of all they select, per rep and per account, and the quotes lost
    in the last LOST_DAYS days with their counts by reason. Seven statements at most."""
    now = now or utcnow()
    where = _where(user, filters)
    overdue = sa.case((sa.and_(Quote.due_at < now, Quote.status == "requested"), 0), else_=1)
    query = (
        sa.select(Quote)
        .options(
            joinedload(Quote.account),
            joinedload(Quote.assignee),
            joinedload(Quote.requested_by),
        )
        .where(*where)
        .order_by(overdue, Quote.due_at, Quote.id)
    )
    count = sa.select(sa.func.count(Quote.id)).where(*where)
    page = paginate_with_count(query, count, filters.page, PER_PAGE)
    since = now - timedelta(days=LOST_DAYS)
    return Pipeline(
        page=page,
        now=now,
        waiting=_waiting([q.id for q in page.items if q.status == "in_review"]),
        per_rep=_sums(where, Quote.assignee_id, User, User.name),
        per_account=_sums(where, Quote.account_id, KeyAccount, KeyAccount.name),
        lost=list(
            db.session.scalars(
                sa.select(Quote)
                .options(
                    joinedload(Quote.account), joinedload(Quote.assignee), joinedload(Quote.lost_by)
                )
                .where(Quote.status == "lost", Quote.lost_at >= since)
                .order_by(Quote.lost_at.desc(), Quote.id.desc())
                .limit(LOST_LIMIT)
            )
        ),
        lost_counts=_lost_counts(since),
    )


def _where(user: User, filters: Filters) -> list:
    where = [Quote.status.in_(OPEN_STATUSES)]
    if filters.status in OPEN_STATUSES:
        where.append(Quote.status == filters.status)
    if filters.rep == REP_MINE:
        where.append(Quote.assignee_id == user.id)
    elif filters.rep == REP_NONE:
        where.append(Quote.assignee_id.is_(None))
    elif filters.rep.isdigit() and len(filters.rep) < 10:
        where.append(Quote.assignee_id == int(filters.rep))
    if filters.account:
        where.append(
            Quote.account_id.in_(sa.select(KeyAccount.id).where(KeyAccount.slug == filters.account))
        )
    return where


def _waiting(quote_ids: list[int]) -> dict[int, Waiting]:
    """What the versions in review of these quotes wait for: one statement for the versions
    and one for their sign-offs (none without quotes in review)."""
    if not quote_ids:
        return {}
    versions = db.session.scalars(
        sa.select(QuoteVersion)
        .options(selectinload(QuoteVersion.sign_offs))
        .where(QuoteVersion.quote_id.in_(quote_ids), QuoteVersion.status == "in_review")
    )
    waiting = {}
    for version in versions:
        waiting[version.quote_id] = Waiting(
            needs_approval=version.needs_approval and version.approved_at is None,
            depth_percent=version.depth_percent,
            departments=[s.department for s in version.sign_offs if s.signed_at is None],
        )
    return waiting


def _sums(where: list, column, model, name) -> list[Sum]:
    """The count and value of the selected quotes per `column` (a rep, an account), one row
    each with a value per currency, most quotes first; quotes not yet priced count without
    value."""
    rows = db.session.execute(
        sa.select(
            column,
            name,
            Quote.currency,
            sa.func.count(Quote.id),
            sa.func.sum(Quote.value_amount),
        )
        .select_from(Quote)
        .outerjoin(model, model.id == column)
        .where(*where)
        .group_by(column, name, Quote.currency)
    ).all()
    sums: dict[int | None, Sum] = {}
    for key, name, currency, count, total in rows:
        found = sums.setdefault(key, Sum(key, name or "", 0, []))
        found.count += count
        if total is not None:
            found.values.append(Money(total, currency))
    for found in sums.values():
        found.values.sort(key=lambda money: money.currency)
    return sorted(sums.values(), key=lambda s: (-s.count, s.name))


def _lost_counts(since: datetime) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Quote.lost_reason, sa.func.count(Quote.id))
        .where(Quote.status == "lost", Quote.lost_at >= since)
        .group_by(Quote.lost_reason)
    ).all()
    counts = dict.fromkeys(LOST_REASONS, 0)
    counts.update({reason: count for reason, count in rows if reason})
    return counts


@dataclass
class Awaiting:
    """A version in review that waits for the user: the price decision, sign-offs."""

    version: QuoteVersion
    is_price: bool
    departments: list[str]

    @property
    def quote(self) -> Quote:
        return self.version.quote


def waiting_for_user(user: User, limit: int = 20) -> list[Awaiting]:
    """The versions in review that wait for `user`: a price decision within their authority,
    or their department's sign-off (never their own version), oldest first, with their
    quotes and accounts: for the dashboard. Two statements (none for other roles)."""
    departments = [d for d, roles in permissions.SIGNERS.items() if user.role in roles]
    conditions = []
    if departments:
        conditions.append(
            QuoteVersion.id.in_(
                sa.select(QuoteSignOff.version_id).where(
                    QuoteSignOff.department.in_(departments), QuoteSignOff.signed_at.is_(None)
                )
            )
        )
    if user.role in permissions.PRICE_DECIDERS:
        conditions.append(
            sa.and_(QuoteVersion.needs_approval.is_(True), QuoteVersion.approved_at.is_(None))
        )
    if not conditions:
        return []
    versions = db.session.scalars(
        sa.select(QuoteVersion)
        .options(
            joinedload(QuoteVersion.quote).joinedload(Quote.account),
            selectinload(QuoteVersion.sign_offs),
        )
        .where(
            QuoteVersion.status == "in_review",
            sa.or_(QuoteVersion.author_id.is_(None), QuoteVersion.author_id != user.id),
            sa.or_(*conditions),
        )
        .order_by(QuoteVersion.submitted_at, QuoteVersion.id)
        .limit(limit)
    )
    found = []
    for version in versions:
        is_price = permissions.can_decide_price(user, version)
        signs = [d for d in departments if permissions.can_sign_off(user, version, d)]
        if is_price or signs:
            found.append(Awaiting(version, is_price, signs))
    return found


@dataclass
class AccountQuote:
    quote: Quote
    #: The valid until of its latest sent supplier version (None before one is sent).
    valid_until: date | None

    @property
    def value(self) -> Money | None:
        return value_of(self.quote)


def quotes_for_360(account_id: int) -> list[AccountQuote]:
    """The account's latest quotes, open ones first, with their reps, and each one's valid
    until (of its latest sent supplier version): one statement."""
    is_open = sa.case((Quote.status.in_(OPEN_STATUSES), 0), else_=1)
    valid_until = (
        sa.select(QuoteVersion.valid_until)
        .where(
            QuoteVersion.quote_id == Quote.id,
            QuoteVersion.side == "supplier",
            QuoteVersion.status == "sent",
        )
        .order_by(QuoteVersion.number.desc())
        .limit(1)
        .correlate(Quote)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Quote, valid_until)
        .options(joinedload(Quote.assignee))
        .where(Quote.account_id == account_id)
        .order_by(is_open, Quote.created_at.desc(), Quote.id.desc())
        .limit(ACCOUNT_QUOTES)
    ).all()
    return [AccountQuote(quote, until) for quote, until in rows]
