"""Tables as files to download: CSV (the house dialect of core.csvfiles: machine column names,
plain decimals, ISO dates) and XLSX (translated headers in a frozen first row, amounts as
numbers shown with their currency's decimals, dates as dates). Text cells are guarded against
running as formulas in both.

A table is its columns and its rows; a row is (values, currency), the currency being the one
its "money" cells are in."""

import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from flask import Response
from flask_babel import get_timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from portal.core.csvfiles import csv_download, guarded, write_csv
from portal.core.db import utcnow
from portal.core.money import minor_digits, plain

#: A column: its CSV name, its XLSX header, and its kind: "text", "date", "int", "money" or
#: "percent" (a Decimal such as 18.25 for 18.25%, written as it is).
Column = tuple[str, object, str]
Row = tuple[Sequence, str]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.00"


def table_csv(columns: Sequence[Column], rows: Iterable[Row]) -> str:
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


def table_xlsx(title, columns: Sequence[Column], rows: Iterable[Row]) -> bytes:
    """A workbook of one sheet named `title` (cut to Excel's 31 characters)."""
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
        elif kind == "percent":
            made.number_format = PERCENT_FORMAT
        elif kind == "date" and isinstance(value, date):
            made.number_format = DATE_FORMAT
        return made

    return cell


def dated_filename(stem: str, extension: str) -> str:
    """The file's name with the reader's today: receivables-ageing-2026-12-05.csv."""
    return f"{stem}-{utcnow().astimezone(get_timezone()).date().isoformat()}.{extension}"


def csv_response(text: str, stem: str) -> Response:
    return csv_download(text, dated_filename(stem, "csv"))


def xlsx_response(data: bytes, stem: str) -> Response:
    response = Response(data, mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{dated_filename(stem, "xlsx")}"'
    )
    return response


def table_response(file_format: str, stem: str, title, columns, rows: Iterable[Row]) -> Response:
    """The table as a download: `file_format` "csv" or "xlsx" (anything else: 404 first, in
    the view)."""
    if file_format == "xlsx":
        return xlsx_response(table_xlsx(title, columns, rows), stem)
    return csv_response(table_csv(columns, rows), stem)
