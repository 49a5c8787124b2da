"""Finance's receivables as files: the ageing by account and the overdue invoices, as CSV (the
house dialect of core.csvfiles: machine column names, plain decimals, ISO dates) and as XLSX
(translated headers in a frozen first row, amounts as numbers shown with their currency's
decimals, dates as dates). Text cells are guarded against running as formulas in both."""

import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from portal.core.csvfiles import guarded, write_csv
from portal.core.money import minor_digits, plain
from portal.payments.ageing import BUCKET_LABELS, BUCKET_NAMES
from portal.payments.receivables import Ageing, AgeingRow, OverdueRow

#: A column: its CSV name, its XLSX header, and its kind ("text", "date", "int", "money").
Column = tuple[str, object, str]

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

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    return _csv(AGEING_COLUMNS, _ageing_rows(ageing))


def ageing_xlsx(ageing: Ageing) -> bytes:
    return _xlsx(_l("Ageing"), AGEING_COLUMNS, _ageing_rows(ageing))


def overdue_csv(rows: list[OverdueRow]) -> str:
    return _csv(OVERDUE_COLUMNS, (_overdue_values(row) for row in rows))


def overdue_xlsx(rows: list[OverdueRow]) -> bytes:
    return _xlsx(_l("Overdue invoices"), OVERDUE_COLUMNS, (_overdue_values(r) for r in rows))


def _csv(columns: Sequence[Column], rows: Iterable[tuple[list, str]]) -> str:
    kinds = [kind for _name, _label, kind in columns]
    return write_csv(
        [name for name, _label, _kind in columns],
        (
            [_csv_cell(value, kind, currency) for value, kind in zip(values, kinds, strict=True)]
            for values, currency in rows
        ),
    )


def _csv_cell(value, kind: str, currency: str) -> str | None:
    if value is None:
        return None
    if kind == "money":
        return plain(value, currency)
    if kind == "date":
        return value.isoformat()
    return value


def money_format(currency: str) -> str:
    """The XLSX number format of an amount in `currency`: its decimals, grouped."""
    digits = minor_digits(currency)
    return "#,##0" + ("." + "0" * digits if digits else "")


DATE_FORMAT = "yyyy-mm-dd"


def _xlsx(title, columns: Sequence[Column], rows: Iterable[tuple[list, str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(title)[:31])
    sheet.freeze_panes = "A2"
    sheet.append([str(label) for _name, label, _kind in columns])
    cell_of = _xlsx_cell(sheet)
    for values, currency in rows:
        sheet.append(
            [
                cell_of(value, kind, currency)
                for value, (_name, _label, kind) in zip(values, columns, strict=True)
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(sheet) -> Callable:
    def cell(value, kind: str, currency: str):
        if value is None:
            return None
        if kind == "text":
            return guarded(value)
        made = WriteOnlyCell(sheet, value)
        if kind == "money":
            made.number_format = money_format(currency)
        elif kind == "date" and isinstance(value, date):
            made.number_format = DATE_FORMAT
        return made

    return cell
