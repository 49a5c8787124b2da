"""Invoices: a milestone that fell due is its order's invoice, numbered <order number>-<position>
(ordering sets `invoiced_on` when it sets the due date). Reads for the buyer's account
statement, its CSV export and the printable invoice; each is a constant number of statements.

Whether an invoice is overdue is read live from its due date and the account's local today,
as the finance desk reads it; the daily sweep (payments.sweep) records `overdue_since` (the
same day: the day after the due date) so that it reminds once.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import contains_eager

from portal.accounts.models import KeyAccount
from portal.core.csvfiles import write_csv
from portal.core.db import among
from portal.core.invoice_numbers import invoice_number, parse_invoice_number
from portal.core.money import Money, plain
from portal.core.pagination import Page, paginate
from portal.extensions import db
from portal.ordering.models import Milestone, Order

#: Invoices on one page of the statement.
PER_PAGE = 25
#: The statement's filters: open means not fully paid (overdue ones included).
FILTERS = ("open", "overdue", "paid")
#: An invoice's status on the statement. A cancelled order's invoice is owed no more: what was
#: paid on it goes back (a refund due until it is confirmed, then refunded).
PAID, OPEN, OVERDUE, CANCELLED = "paid", "open", "overdue", "cancelled"
REFUND_DUE, REFUNDED = "refund_due", "refunded"
#: A milestone of a payment schedule whose event has not happened yet: no due date, no invoice.
SCHEDULED = "scheduled"
#: Columns of the CSV export.
CSV_COLUMNS = (
    "number",
    "order",
    "po_number",
    "label",
    "issued",
    "due",
    "currency",
    "amount",
    "net",
    "vat",
    "paid",
    "refunded",
    "open",
    "status",
)


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice on the statement: the milestone, its order, and where it stands today."""

    milestone: Milestone
    order: Order
    status: str

    @property
    def number(self) -> str:
        return invoice_number(self.order.number, self.milestone.position)

    @property
    def open(self) -> Money:
        """What is still owed: nothing once paid, or once the order was cancelled."""
        if self.status in (PAID, CANCELLED, REFUND_DUE, REFUNDED):
            return Money(Decimal(0), self.milestone.currency)
        return self.milestone.unpaid

    @property
    def vat(self):
        """The invoice's net, VAT by rate and gross (tax.services.VatSummary), its share of
        the order's; None for an order placed before VAT was recorded."""
        return self.order.milestone_vat(self.milestone)

    @property
    def overdue_since(self) -> date | None:
        return overdue_since(self.milestone) if self.status == OVERDUE else None


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    open: Money
    overdue: Money


@dataclass(frozen=True)
class Statement:
    page: Page
    totals: list[CurrencyTotal]
    today: date


def overdue_since(milestone: Milestone) -> date:
    """The first day an unpaid milestone counts as overdue: the day after its due date."""
    return milestone.due_on + timedelta(days=1)


def status_of(milestone: Milestone, order: Order, today: date) -> str:
    if order.status == "cancelled":
        if milestone.paid_amount > 0:
            return REFUND_DUE
        return REFUNDED if milestone.refunded_amount > 0 else CANCELLED
    if milestone.is_paid:
        return PAID
    if milestone.due_on < today:
        return OVERDUE
    return OPEN


def schedule_status(milestone: Milestone, order: Order, today: date) -> str:
    """Where a milestone of an order's payment schedule stands: as its invoice's status
    (`status_of`) once it fell due, else SCHEDULED (or PAID when paid ahead)."""
    if milestone.due_on is None and order.status != "cancelled" and not milestone.is_paid:
        return SCHEDULED
    return status_of(milestone, order, today)


def _unpaid():
    return sa.and_(Milestone.paid_amount < Milestone.amount, Order.status != "cancelled")


def _where(account_id: int, status: str | None, today: date) -> list:
    where = [Milestone.account_id == account_id, Milestone.invoiced_on.is_not(None)]
    if status == PAID:
        where.extend([Milestone.paid_amount >= Milestone.amount, Order.status != "cancelled"])
    elif status == OPEN:
        where.append(_unpaid())
    elif status == OVERDUE:
        where.extend([_unpaid(), Milestone.due_on < today])
    return where


def open_invoices_where(account_id: int, today: date) -> list:
    """The account's open invoices (not paid in full, order not cancelled), as WHERE clauses
    of a select that joins Milestone.order: for sums such as the statement's ageing."""
    return _where(account_id, OPEN, today)


def _invoices(where: list) -> sa.Select:
    """The account's invoices with their orders, newest first, and the orders' lines and
    milestones (each invoice's VAT is its share of its order's)."""
    return _loaded_invoices(where).order_by(
        Milestone.invoiced_on.desc(), Order.id.desc(), Milestone.position.desc()
    )


def _loaded_invoices(where: list) -> sa.Select:
    order = contains_eager(Milestone.order)
    return (
        sa.select(Milestone)
        .join(Milestone.order)
        .options(order.selectinload(Order.lines), order.selectinload(Order.milestones))
        .where(*where)
    )


def invoices_of(account_id: int, today: date, status: str | None = None) -> sa.Select:
    """The account's invoices (filtered by `status`, one of FILTERS, as the statement filters
    them), loaded as the statement loads them, in no order: for a caller that pages them
    its own way (the API pages by id)."""
    status = status if status in FILTERS else None
    return _loaded_invoices(_where(account_id, status, today))


def statement(
    account: KeyAccount,
    today: date,
    *,
    status: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Statement:
    """One page of the account's invoices (filtered by `status`, one of FILTERS) and the
    open and overdue totals per currency: three statements however many invoices there are."""
    status = status if status in FILTERS else None
    where = _where(account.id, status, today)
    count = sa.select(sa.func.count(Milestone.id)).join(Milestone.order).where(*where)
    found = paginate(_invoices(where), count, page, per_page)
    found.items = [InvoiceRow(m, m.order, status_of(m, m.order, today)) for m in found.items]
    return Statement(found, totals(account, today), today)


def totals(account: KeyAccount, today: date) -> list[CurrencyTotal]:
    """What the account owes on its invoices per currency, and how much of it is overdue."""
    unpaid = Milestone.amount - Milestone.paid_amount
    rows = db.session.execute(
        sa.select(
            Milestone.currency,
            sa.func.sum(unpaid),
            sa.func.sum(sa.case((Milestone.due_on < today, unpaid), else_=Decimal(0))),
        )
        .join(Milestone.order)
        .where(*_where(account.id, OPEN, today))
        .group_by(Milestone.currency)
        .order_by(Milestone.currency)
    ).all()
    return [
        CurrencyTotal(currency, Money(Decimal(owed), currency), Money(Decimal(late), currency))
        for currency, owed, late in rows
    ]


def all_invoices(account: KeyAccount, today: date, status: str | None = None) -> list[InvoiceRow]:
    """Every invoice of the account (filtered by `status`), newest first: one statement."""
    status = status if status in FILTERS else None
    milestones = db.session.scalars(_invoices(_where(account.id, status, today)))
    return [InvoiceRow(m, m.order, status_of(m, m.order, today)) for m in milestones]


def statement_csv(rows: list[InvoiceRow]) -> str:
    """The statement as CSV, one invoice a row (core.csvfiles guards cells a spreadsheet would
    run as a formula)."""
    return write_csv(CSV_COLUMNS, (_csv_row(row) for row in rows))


def _csv_row(row: InvoiceRow) -> tuple[str, ...]:
    m, currency = row.milestone, row.milestone.currency
    return (
        row.number,
        row.order.number,
        row.order.po_number,
        m.label,
        m.invoiced_on.isoformat(),
        m.due_on.isoformat(),
        currency,
        plain(m.amount, currency),
        *_net_and_vat(row),
        plain(m.paid_amount, currency),
        plain(m.refunded_amount, currency),
        plain(row.open.amount, currency),
        row.status,
    )


def _net_and_vat(row: InvoiceRow) -> tuple[str, str]:
    """The invoice's net and VAT; empty for an order placed before VAT was recorded."""
    vat = row.vat
    if vat is None:
        return "", ""
    return plain(vat.net.amount, vat.net.currency), plain(vat.vat.amount, vat.vat.currency)


def invoice_or_404(number: str, *, account_id: int | None = None) -> Milestone:
    """The invoice with this number (within `account_id` when given, as on a buyer's
    /a/<slug>/ pages) with its order, the order's lines and account, or 404. Buyer-side
    requests are also confined to their account centrally (core.db.apply_account_scope)."""
    found = parse_invoice_number(number)
    if found is None:
        abort(404)
    where = [
        Order.number == found.order_number,
        Milestone.position == found.position,
        Milestone.invoiced_on.is_not(None),
    ]
    if account_id is not None:
        where.append(Milestone.account_id == account_id)
    milestone = db.session.scalar(
        sa.select(Milestone).join(Milestone.order).options(*invoice_loads()).where(*where)
    )
    if milestone is None:
        abort(404)
    return milestone


def invoice_loads() -> tuple:
    """What an invoice page or document reads beyond the milestone, loaded with it: its order
    (joined), the order's lines, milestones and account. A part that shows more on an invoice
    adds its loads here, so each way to an invoice (page, PDF, reminders) loads it in one go."""
    return (
        contains_eager(Milestone.order).selectinload(Order.lines),
        # Each invoice's VAT is its share of its order's, split over all its milestones.
        contains_eager(Milestone.order).selectinload(Order.milestones),
        contains_eager(Milestone.order).joinedload(Order.account),
    )


def invoices_by_id(milestone_ids) -> dict[int, Milestone]:
    """Invoices by milestone id, each loaded as `invoice_or_404` loads one: two statements
    however many (the reminders of a sweep render their PDFs from these)."""
    ids = sorted(set(milestone_ids))
    if not ids:
        return {}
    found = db.session.scalars(
        sa.select(Milestone)
        .join(Milestone.order)
        .options(*invoice_loads())
        .where(among(Milestone.id, ids, sa.Integer), Milestone.invoiced_on.is_not(None))
    )
    return {milestone.id: milestone for milestone in found}


def invoice_row(milestone: Milestone, today: date) -> InvoiceRow:
    return InvoiceRow(milestone, milestone.order, status_of(milestone, milestone.order, today))
