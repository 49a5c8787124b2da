"""Finance's receivables: what every account owes on its invoices, aged into the buckets of
payments.ageing (the one rule), DSO per account, and the overdue invoices with the reminders
sent for each. Reads only; each is a constant number of statements however many accounts and
invoices there are, and the ageing is summed in SQL (never a row per milestone in Python).

An open receivable is an invoice (a milestone with `invoiced_on`) not paid in full whose order
is not cancelled: what the account statement (payments.invoices) counts as open. Amounts are
never added across currencies: each account has a row per currency, each currency a total.

Each account's invoices are aged as of that account's own today (contracts.services.today_for,
its time zone), as the statement and the overdue sweep count them: the accounts are grouped by
their today (a handful of dates however many accounts), and the bucket of a row is the bucket
for its account's today, in one CASE.

DSO (days sales outstanding), the simple method: open receivables / invoiced sales of the last
DSO_DAYS days x DSO_DAYS, per account and currency, in whole days. Invoiced sales are the
amounts of the invoices issued in those days (today and the DSO_DAYS - 1 days before), paid or
not, of orders not cancelled. With no sales in those days there is no DSO (None).

Reminders: the sweeps (payments.sweep) e-mail the buyer who placed the order and finance
through the outbox, once per milestone, due date and recipient, under the dedupe keys
`payment-due:<milestone id>:<due date>:<user id>` (falling due) and
`payment-overdue:<milestone id>:<due date>:<user id>` (overdue). Those outbox messages are the
record of which reminder went to whom and when; the page reads them by exact key (the outbox's
unique index), the exports by the keys' prefixes.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from portal.accounts.models import KeyAccount, User
from portal.contracts.services import today_for
from portal.core.db import among, utcnow
from portal.core.invoice_numbers import invoice_number
from portal.core.money import CURRENCIES, Money
from portal.core.pagination import Page, paginate
from portal.core.permissions import FINANCE
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.ordering.models import Milestone, Order
from portal.payments.ageing import BUCKET_NAMES, bucket_case, days_past_due

#: The days of invoiced sales DSO is measured against.
DSO_DAYS = 90
#: Overdue invoices on one page.
PER_PAGE = 50
#: How the ageing table may be sorted: by account name, or largest first.
SORTS = ("account", "open", "overdue", "dso")
#: The reminders' dedupe-key prefixes (payments.sweep) and what each reminder was.
REMINDER_KINDS = {"payment-due": "due", "payment-overdue": "overdue"}


@dataclass(frozen=True)
class Filters:
    """What the page shows: one account (by slug) or all, one currency or all, only the
    accounts with something overdue, and the ageing table's order."""

    account: str | None = None
    currency: str | None = None
    overdue_only: bool = False
    sort: str = "account"


@dataclass(frozen=True)
class AccountRef:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class AgeingRow:
    """An account's open receivables in one currency (account None: a currency's total)."""

    account: AccountRef | None
    currency: str
    #: Bucket name (payments.ageing.BUCKET_NAMES) -> amount open in it.
    buckets: dict[str, Decimal]
    #: Invoiced in the last DSO_DAYS days.
    sales: Decimal
    #: The day the row is aged as of (None on a total: each account's own today).
    today: date | None = None

    def bucket(self, name: str) -> Money:
        return Money(self.buckets[name], self.currency)

    @property
    def open(self) -> Money:
        return Money(sum(self.buckets.values(), Decimal(0)), self.currency)

    @property
    def overdue(self) -> Money:
        late = sum((v for k, v in self.buckets.items() if k != BUCKET_NAMES[0]), Decimal(0))
        return Money(late, self.currency)

    @property
    def invoiced(self) -> Money:
        return Money(self.sales, self.currency)

    @property
    def dso(self) -> int | None:
        """Days sales outstanding, the simple method, in whole days (half up); None without
        invoiced sales in the last DSO_DAYS days."""
        return dso(self.open.amount, self.sales)


def dso(open_amount: Decimal, sales: Decimal) -> int | None:
    if sales <= 0:
        return None
    days = open_amount / sales * DSO_DAYS
    return int(days.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class CurrencySection:
    """A currency's accounts (sorted as asked) and their total."""

    currency: str
    rows: list[AgeingRow]
    total: AgeingRow


@dataclass(frozen=True)
class Ageing:
    sections: list[CurrencySection]
    #: The distinct days the accounts shown are aged as of (usually one or two).
    todays: list[date]


@dataclass(frozen=True)
class Reminder:
    kind: str  # "due" or "overdue" (REMINDER_KINDS)
    to_address: str
    to_name: str | None
    #: Whether it went to someone at the customer (else to finance).
    to_customer: bool
    queued_at: datetime
    sent_at: datetime | None
    status: str


@dataclass(frozen=True)
class OverdueRow:
    milestone: Milestone
    order: Order
    account: KeyAccount
    today: date
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def number(self) -> str:
        return invoice_number(self.order.number, self.milestone.position)

    @property
    def days_overdue(self) -> int:
        return days_past_due(self.milestone.due_on, self.today)

    @property
    def open(self) -> Money:
        return self.milestone.unpaid


# --- the accounts and their todays ---


@dataclass(frozen=True)
class Accounts:
    """Every account (for the filter) and each account's today, grouped by day."""

    all: list[KeyAccount]
    today: dict[int, date]

    @property
    def by_today(self) -> dict[date, list[int]]:
        groups: dict[date, list[int]] = defaultdict(list)
        for account_id, today in self.today.items():
            groups[today].append(account_id)
        return dict(groups)


def accounts() -> Accounts:
    """One statement: every account, by name, with its local today."""
    found = list(db.session.scalars(sa.select(KeyAccount).order_by(KeyAccount.name)))
    return Accounts(found, {a.id: today_for(a) for a in found})


def _per_today(accounts: Accounts, make):
    """`make(today)` for each account's today, as one SQL expression: a CASE on the account
    when the accounts have several todays (each group of accounts one WHEN)."""
    groups = sorted(accounts.by_today.items())
    if not groups:
        return make(utcnow().date())
    *firsts, (_last_today, _) = groups
    if not firsts:
        return make(groups[0][0])
    whens = [(among(Milestone.account_id, ids, sa.Integer), make(today)) for today, ids in firsts]
    return sa.case(*whens, else_=make(groups[-1][0]))


def _not_cancelled():
    return Order.status != "cancelled"


def _open():
    return sa.and_(Milestone.paid_amount < Milestone.amount, _not_cancelled())


def _scope(accounts: Accounts, filters: Filters) -> list:
    where = [Milestone.invoiced_on.is_not(None), Milestone.due_on.is_not(None)]
    if filters.account is not None:
        ids = [a.id for a in accounts.all if a.slug == filters.account]
        where.append(Milestone.account_id.in_(ids))
    if filters.currency is not None:
        where.append(Milestone.currency == filters.currency)
    return where


# --- the ageing ---


def ageing(accounts: Accounts, filters: Filters) -> Ageing:
    """Open receivables per account and currency, by bucket, with invoiced sales of the last
    DSO_DAYS days; a section and a total per currency. One statement."""
    bucket = _per_today(accounts, lambda today: bucket_case(Milestone.due_on, today))
    in_window = _per_today(
        accounts,
        lambda today: sa.and_(
            Milestone.invoiced_on > today - timedelta(days=DSO_DAYS),
            Milestone.invoiced_on <= today,
        ),
    )
    zero = sa.literal(Decimal(0), Milestone.amount.type)
    unpaid = Milestone.amount - Milestone.paid_amount
    rows = (
        sa.select(
            Milestone.account_id.label("account_id"),
            Milestone.currency.label("currency"),
            bucket.label("bucket"),
            sa.case((unpaid > 0, unpaid), else_=zero).label("open"),
            sa.case((in_window, Milestone.amount), else_=zero).label("sales"),
        )
        .join(Order, Order.id == Milestone.order_id)
        .where(*_scope(accounts, filters), _not_cancelled())
        .where(sa.or_(Milestone.paid_amount < Milestone.amount, in_window))
        .subquery()
    )
    sums = [
        sa.func.coalesce(sa.func.sum(sa.case((rows.c.bucket == name, rows.c.open), else_=zero)), 0)
        for name in BUCKET_NAMES
    ]
    found = db.session.execute(
        sa.select(rows.c.account_id, rows.c.currency, sa.func.sum(rows.c.sales), *sums).group_by(
            rows.c.account_id, rows.c.currency
        )
    ).all()
    by_id = {a.id: a for a in accounts.all}
    result = []
    for account_id, currency, sales, *amounts in found:
        account = by_id.get(account_id)
        if account is None:  # created since the accounts were read
            continue
        row = AgeingRow(
            AccountRef(account.id, account.slug, account.name),
            currency,
            dict(zip(BUCKET_NAMES, (Decimal(a or 0) for a in amounts), strict=True)),
            Decimal(sales or 0),
            accounts.today[account_id],
        )
        if row.open.amount > 0 or row.sales > 0:
            result.append(row)
    if filters.overdue_only:
        result = [row for row in result if row.overdue.amount > 0]
    return Ageing(_sections(result, filters.sort), sorted({r.today for r in result}))


def _sections(rows: list[AgeingRow], sort: str) -> list[CurrencySection]:
    by_currency: dict[str, list[AgeingRow]] = defaultdict(list)
    for row in rows:
        by_currency[row.currency].append(row)
    return [
        CurrencySection(currency, _sorted(found, sort), _total(currency, found))
        for currency, found in sorted(by_currency.items())
    ]


def _sorted(rows: list[AgeingRow], sort: str) -> list[AgeingRow]:
    by_name = sorted(rows, key=lambda r: (r.account.name.casefold(), r.account.slug))
    if sort == "open":
        return sorted(by_name, key=lambda r: -r.open.amount)
    if sort == "overdue":
        return sorted(by_name, key=lambda r: -r.overdue.amount)
    if sort == "dso":
        # Largest first; the rows without a DSO (no sales) last.
        return sorted(by_name, key=lambda r: (r.dso is None, -(r.dso or 0)))
    return by_name


def _total(currency: str, rows: list[AgeingRow]) -> AgeingRow:
    buckets = {name: sum((r.buckets[name] for r in rows), Decimal(0)) for name in BUCKET_NAMES}
    return AgeingRow(None, currency, buckets, sum((r.sales for r in rows), Decimal(0)))


# --- the overdue invoices and their reminders ---


def _overdue_query(accounts: Accounts, filters: Filters):
    overdue = _per_today(accounts, lambda today: Milestone.due_on < today)
    return [*_scope(accounts, filters), _open(), overdue]


def overdue_invoices(accounts: Accounts, filters: Filters, page: int = 1) -> Page:
    """One page of the overdue invoices, longest overdue first, each with the reminders sent
    for it (OverdueRow): four statements (the count, the page, the reminders' recipients and
    the reminders)."""
    where = _overdue_query(accounts, filters)
    count = sa.select(sa.func.count(Milestone.id)).join(Milestone.order).where(*where)
    found = paginate(_overdue_select(where), count, page, PER_PAGE)
    found.items = _rows(found.items, accounts, reminders_of(found.items))
    return found


def all_overdue_invoices(accounts: Accounts, filters: Filters) -> list[OverdueRow]:
    """Every overdue invoice (for the exports), with its reminders: three statements."""
    milestones = list(db.session.scalars(_overdue_select(_overdue_query(accounts, filters))))
    return _rows(milestones, accounts, all_reminders())


def _overdue_select(where: list) -> sa.Select:
    return (
        sa.select(Milestone)
        .join(Milestone.order)
        .join(Order.account)
        .options(contains_eager(Milestone.order).contains_eager(Order.account))
        .where(*where)
        .order_by(Milestone.due_on, Order.number, Milestone.position)
    )


def _rows(milestones, accounts: Accounts, reminders: dict[int, list[Reminder]]):
    return [
        OverdueRow(
            m,
            m.order,
            m.order.account,
            accounts.today.get(m.account_id) or today_for(m.order.account),
            reminders.get(m.id, []),
        )
        for m in milestones
    ]


def reminders_of(milestones: list[Milestone]) -> dict[int, list[Reminder]]:
    """The reminders e-mailed about each milestone (its order loaded), oldest first: two
    statements. The outbox is read by exact dedupe key on its unique index, so a page costs
    the same however many messages the outbox holds: a milestone's keys are its prefix, id and
    due date, and the user id of a recipient the sweeps write to (the buyer who placed the
    order, or a finance user; a reminder to someone no longer in finance is not listed)."""
    if not milestones:
        return {}
    placers = {m.order.placed_by_id for m in milestones} - {None}
    users = {
        user.id: user
        for user in db.session.scalars(
            sa.select(User).where(sa.or_(User.role == FINANCE, among(User.id, placers, sa.Integer)))
        )
    }
    finance = [uid for uid, user in users.items() if user.role == FINANCE]
    keys = [
        f"{prefix}:{m.id}:{m.due_on.isoformat()}:{uid}"
        for m in milestones
        for prefix in REMINDER_KINDS
        for uid in {*finance, m.order.placed_by_id} - {None}
    ]
    return _reminders(
        db.session.execute(_messages().where(among(OutboxMessage.dedupe_key, keys))), users
    )


def all_reminders() -> dict[int, list[Reminder]]:
    """Every reminder e-mailed about any milestone (for the exports): two statements, the
    reminders found by their keys' prefixes (one pass over the outbox)."""
    found = db.session.execute(
        _messages().where(
            sa.or_(*(OutboxMessage.dedupe_key.like(f"{prefix}:%") for prefix in REMINDER_KINDS))
        )
    ).all()
    ids = {_recipient_id(row.dedupe_key) for row in found} - {None}
    users = {
        u.id: u for u in db.session.scalars(sa.select(User).where(among(User.id, ids, sa.Integer)))
    }
    return _reminders(found, users)


def _messages() -> sa.Select:
    return sa.select(
        OutboxMessage.dedupe_key,
        OutboxMessage.to_address,
        OutboxMessage.created_at,
        OutboxMessage.sent_at,
        OutboxMessage.status,
    ).order_by(OutboxMessage.created_at, OutboxMessage.id)


def _recipient_id(key: str) -> int | None:
    last = key.rsplit(":", 1)[-1]
    return int(last) if last.isdigit() else None


def _reminders(found, users: dict[int, User]) -> dict[int, list[Reminder]]:
    """Outbox rows -> milestone id -> its reminders. A key is prefix:milestone:due date:user."""
    reminders: dict[int, list[Reminder]] = defaultdict(list)
    for key, address, queued, sent, status in found:
        prefix, milestone_id, *_rest = key.split(":")
        if prefix not in REMINDER_KINDS or not milestone_id.isdigit():
            continue
        user = users.get(_recipient_id(key))
        reminders[int(milestone_id)].append(
            Reminder(
                REMINDER_KINDS[prefix],
                address,
                user.name if user else None,
                bool(user and user.account_id is not None),
                queued,
                sent,
                status,
            )
        )
    return dict(reminders)


def filters_from(args, accounts: Accounts) -> Filters:
    """The page's filters from its query string: an unknown account, currency or sort is
    ignored (all accounts, all currencies, by account)."""
    slug = args.get("account") or None
    currency = args.get("currency") or None
    sort = args.get("sort")
    return Filters(
        account=slug if slug in {a.slug for a in accounts.all} else None,
        currency=currency if currency in CURRENCIES else None,
        overdue_only=args.get("overdue") == "1",
        sort=sort if sort in SORTS else SORTS[0],
    )
