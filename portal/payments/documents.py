"""Invoice and statement documents: what the invoice page, its PDF and the statement PDF show,
each built by ONE function (`invoice_document`, `statement_document`) that the page views, the
PDF downloads and the reminders' attachments share, and the PDFs themselves (core.pdf).

Other parts that show more on an invoice (VAT by rate, the buyer's fapiao details) add their
keys to `invoice_document` and their eager loads to `invoices.invoice_loads`; the body template
(templates/documents/_invoice.html) includes their partials.

Every invoice says where to pay and what to quote: a bank transfer to the supplier's account
(settings, portal.tax.supplier) with the invoice number as the payment reference.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale

from portal.accounts.models import KeyAccount
from portal.contracts.services import today_for
from portal.core.money import Money
from portal.core.pdf import render_pdf
from portal.extensions import db
from portal.notifications.services import Attachment
from portal.ordering.models import Milestone
from portal.payments import invoices
from portal.payments.ageing import (
    BUCKET_LABELS,
    BUCKET_NAMES,
    bucket_case,
    bucket_of,
    days_past_due,
)
from portal.tax import fapiao_queries
from portal.tax.supplier import Supplier, supplier

PDF = "application/pdf"
#: The ageing table's columns: (bucket name, label), in order.
AGEING_COLUMNS = tuple((name, BUCKET_LABELS[name]) for name in BUCKET_NAMES)


@dataclass(frozen=True)
class HowToPay:
    """Where a buyer pays an invoice and what to quote: the "How to pay" block."""

    #: The invoice number, quoted as the payment reference.
    reference: str
    amount: Money
    due_on: date
    payee: Supplier


def how_to_pay(row: invoices.InvoiceRow) -> HowToPay:
    m = row.milestone
    return HowToPay(reference=row.number, amount=row.open, due_on=m.due_on, payee=supplier())


def invoice_document(milestone: Milestone, today: date | None = None) -> dict:
    """The context of the invoice body (templates/documents/_invoice.html), for the page and
    the PDF alike: `milestone` loaded as `invoices.invoice_or_404` loads it (no query here).
    `today` (default: the account's today) decides whether it is overdue."""
    account = milestone.order.account
    row = invoices.invoice_row(milestone, today or today_for(account))
    return {
        "account": account,
        "invoice": row,
        "supplier": supplier(),
        "how_to_pay": how_to_pay(row),
        # The buyer's fapiao details and the fapiao issued on it (two statements).
        "fapiao": fapiao_queries.invoice_fapiao(account.id, milestone.id),
        # Its share of the order's VAT by rate (from what invoice_loads loaded).
        "invoice_vat": milestone.order.milestone_vat(milestone),
    }


def invoice_pdf(milestone: Milestone, today: date | None = None) -> bytes:
    """The invoice as a PDF, in the locale in force."""
    return render_pdf("documents/invoice_pdf.html", **invoice_document(milestone, today))


def invoice_filename(number: str) -> str:
    return f"invoice-{number}.pdf"


# The account statement


@dataclass(frozen=True)
class CurrencyAgeing:
    """What an account owes in one currency, by bucket of days past due (payments.ageing)."""

    currency: str
    #: Bucket name -> the open amount in it, every bucket present, in BUCKET_NAMES order.
    buckets: dict[str, Money]

    @property
    def total(self) -> Money:
        return Money(sum((m.amount for m in self.buckets.values()), Decimal(0)), self.currency)


def ageing(account: KeyAccount, today: date) -> list[CurrencyAgeing]:
    """The account's open invoices summed by currency and ageing bucket on `today` (the
    account's local date): one statement, however many invoices."""
    unpaid = Milestone.amount - Milestone.paid_amount
    bucket = bucket_case(Milestone.due_on, today).label("bucket")
    rows = db.session.execute(
        sa.select(Milestone.currency, bucket, sa.func.sum(unpaid))
        .join(Milestone.order)
        .where(*invoices.open_invoices_where(account.id, today))
        .group_by(Milestone.currency, bucket)
    ).all()
    sums: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for currency, name, owed in rows:
        sums[currency][name] = Decimal(owed)
    return [
        CurrencyAgeing(
            currency,
            {name: Money(sums[currency].get(name, Decimal(0)), currency) for name in BUCKET_NAMES},
        )
        for currency in sorted(sums)
    ]


@dataclass(frozen=True)
class StatementLine:
    """An open invoice on the statement, with its ageing bucket and days past due."""

    row: invoices.InvoiceRow
    bucket: str
    days_overdue: int


@dataclass(frozen=True)
class CurrencyBalance:
    """The open invoices of one currency: invoiced, paid so far, still open."""

    currency: str
    invoiced: Money
    paid: Money
    open: Money


def statement_document(account: KeyAccount, today: date | None = None) -> dict:
    """The context of the statement PDF (templates/documents/statement_pdf.html): the
    account's open invoices, oldest due first, each with its ageing bucket; per currency what
    they amount to, what was paid on them and what is open; the ageing table. Two statements."""
    today = today or today_for(account)
    rows = invoices.all_invoices(account, today, status=invoices.OPEN)
    rows.sort(key=lambda row: (row.milestone.due_on, row.number))
    lines = [
        StatementLine(
            row,
            bucket_of(row.milestone.due_on, today),
            max(0, days_past_due(row.milestone.due_on, today)),
        )
        for row in rows
    ]
    return {
        "account": account,
        "today": today,
        "supplier": supplier(),
        "lines": lines,
        "balances": balances(rows),
        "ageing": ageing(account, today),
        "buckets": AGEING_COLUMNS,
    }


def balances(rows: list[invoices.InvoiceRow]) -> list[CurrencyBalance]:
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for row in rows:
        m = row.milestone
        total = sums[m.currency]
        total[0] += m.amount
        total[1] += m.paid_amount
        total[2] += row.open.amount
    return [
        CurrencyBalance(c, *(Money(v, c) for v in sums[c]))  # invoiced, paid, open
        for c in sorted(sums)
    ]


def statement_pdf(account: KeyAccount, today: date | None = None) -> bytes:
    return render_pdf("documents/statement_pdf.html", **statement_document(account, today))


def statement_filename(account: KeyAccount, today: date) -> str:
    return f"{account.slug}-statement-{today.isoformat()}.pdf"


# Reminders carry the invoice


class InvoiceAttachments:
    """The invoice PDFs that the reminders of one sweep attach: each rendered when an e-mail
    is queued (inside `queue_email`'s per-recipient locale), once per invoice and language
    however many recipients read it. The invoices are loaded up front in two statements
    (`invoices.invoices_by_id`), so a sweep's reads do not grow with its reminders."""

    def __init__(self, milestone_ids, today_of: Callable[[KeyAccount], date] = today_for):
        self.milestones = invoices.invoices_by_id(milestone_ids)
        self.today_of = today_of
        self.rendered: dict[tuple[int, str], bytes] = {}

    def attachment(self, milestone_id: int) -> Callable[[], Attachment | None]:
        """What `notify(attach=...)` calls for each recipient: the invoice as a PDF in the
        recipient's language (None when the milestone is no invoice)."""

        def render() -> Attachment | None:
            milestone = self.milestones.get(milestone_id)
            if milestone is None:
                return None
            key = (milestone_id, str(get_locale()))
            if key not in self.rendered:
                today = self.today_of(milestone.order.account)
                try:
                    self.rendered[key] = invoice_pdf(milestone, today)
                except Exception:  # a reminder without its PDF beats no reminder at all
                    current_app.logger.exception("invoice PDF for milestone %s", milestone_id)
                    return None
            number = milestone.invoice_number
            return Attachment(invoice_filename(number), PDF, self.rendered[key])

        return render
