"""Finance's receivables as files: the ageing by account and the overdue invoices, as CSV (the
house dialect of core.csvfiles: machine column names, plain decimals, ISO dates) and as XLSX
(translated headers in a frozen first row, amounts as numbers shown with their currency's
decimals, dates as dates). Text cells are guarded against running as formulas in both."""

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from portal.core.exports import Column, table_csv, table_xlsx
from portal.payments.ageing import BUCKET_LABELS, BUCKET_NAMES
from portal.payments.receivables import Ageing, AgeingRow, OverdueRow

AGEING_COLUMNS: tuple[Column, ...] = (
    ("row", _l("Account or total"), "text"),
    ("account", _l("Account code"), "text"),
    ("account_name", _l("Account"), "text"),
    ("currency", _l("Currency"), "text"),
    ("as_of", _l("As of"), "date"),
    *((name, BUCKET_LABELS[name], "money") for name in BUCKET_NAMES),
    ("open", _l("Open amount"), "money"),
    ("overdue", _l("Overdue amount"), "money"),
    ("invoiced_90_days", _l("Invoiced in the last 90 days"), "money"),
    ("dso_days", _l("DSO (days)"), "int"),
)

OVERDUE_COLUMNS: tuple[Column, ...] = (
    ("invoice", _l("Invoice"), "text"),
    ("order", _l("Order"), "text"),
    ("account", _l("Account code"), "text"),
    ("account_name", _l("Account"), "text"),
    ("currency", _l("Currency"), "text"),
    ("due", _l("Due date"), "date"),
    ("days_overdue", _l("Days overdue"), "int"),
    ("amount", _l("Amount"), "money"),
    ("paid", _l("Paid"), "money"),
    ("open", _l("Open amount"), "money"),
    ("reminders", _l("Reminders sent"), "int"),
    ("last_reminder", _l("Last reminder"), "date"),
)


def _ageing_values(row: AgeingRow) -> tuple[list, str]:
    """The cells of a row (amounts as Decimal) and its currency."""
    account = row.account
    return [
        "account" if account else "total",
        account.slug if account else "",
        account.name if account else "",
        row.currency,
        row.today,
        *(row.buckets[name] for name in BUCKET_NAMES),
        row.open.amount,
        row.overdue.amount,
        row.sales,
        row.dso,
    ], row.currency


def _ageing_rows(ageing: Ageing) -> Iterable[tuple[list, str]]:
    """Each currency's accounts, then its total."""
    for section in ageing.sections:
        for row in section.rows:
            yield _ageing_values(row)
        yield _ageing_values(section.total)


def _overdue_values(row: OverdueRow) -> tuple[list, str]:
    m = row.milestone
    sent = [r.queued_at for r in row.reminders]
    return [
        row.number,
        row.order.number,
        row.account.slug,
        row.account.name,
        m.currency,
        m.due_on,
        row.days_overdue,
        m.amount,
        m.paid_amount,
        row.open.amount,
        len(row.reminders),
        max(sent).date() if sent else None,
    ], m.currency


def ageing_csv(ageing: Ageing) -> str:
    return table_csv(AGEING_COLUMNS, _ageing_rows(ageing))


def ageing_xlsx(ageing: Ageing) -> bytes:
    return table_xlsx(_l("Ageing"), AGEING_COLUMNS, _ageing_rows(ageing))


def overdue_csv(rows: list[OverdueRow]) -> str:
    return table_csv(OVERDUE_COLUMNS, (_overdue_values(row) for row in rows))


def overdue_xlsx(rows: list[OverdueRow]) -> bytes:
    return table_xlsx(_l("Overdue invoices"), OVERDUE_COLUMNS, (_overdue_values(r) for r in rows))
