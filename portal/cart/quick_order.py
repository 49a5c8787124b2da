"""Quick order: rows of (SKU, quantity) read from the pad's pasted lines or an uploaded file (CSV
or .xlsx, core.csvfiles), each with its line and what is wrong with it. Both are read as typed
with a Chinese input method on: `ＮＷ－ＬＴ１４　２`, `NW-LT14，2`, `NW-LT14、2`, `NW-LT14：2` and
`NW-LT14；2` are each two NW-LT14 (core.inputs.plain_width). Reading never touches the
database; the cart's services check the rows against the catalog and the contract and add them
all or none."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _

from portal.cart.models import MAX_LINES, MAX_QUANTITY
from portal.catalog.services import normal_sku
from portal.core import numbers
from portal.core.csvfiles import header_columns, read_rows
from portal.core.errors import ServiceError
from portal.core.inputs import plain_width

#: A CSV upload larger than this is refused before it is read.
MAX_CSV_BYTES = 1024 * 1024
#: Characters of a row shown back to the user.
MAX_ROW_TEXT = 120

#: A pasted line (in plain width): cells separated by a comma, semicolon or colon (from 、，；：
#: too) or by tabs and spaces.
_SEPARATOR = re.compile(r"\s*[,;:]\s*|\s+")
#: The names a header row may give the two columns (in lower case), also on the cart page.
COLUMN_NAMES = {
    "sku": ("产品编号", "货号", "商品编号", "物料编号"),
    "quantity": ("qty", "数量", "订购数量"),
}


class FileRows(list):
    """The rows of an uploaded file, and the columns of its header that were ignored."""

    def __init__(self, rows=(), ignored: list[str] | None = None):
        super().__init__(rows)
        self.ignored: list[str] = ignored or []


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a paste or a CSV file as read: a SKU and a quantity, or what is wrong."""

    #: The line number in the paste or file (1-based, blank lines counted).
    number: int
    #: The line as written (shortened), to show back with any error.
    text: str
    sku: str = ""
    quantity: int | None = None
    error: str | None = None


def parse_quantity(text: str, *, allow_zero: bool = False) -> tuple[int | None, str | None]:
    """(quantity, None) for a whole number 1..MAX_QUANTITY (0 too with `allow_zero`), read as
    every quantity is (core.numbers), else (None, what is wrong)."""
    try:
        minimum = 0 if allow_zero else 1
        return numbers.parse_quantity(text, minimum=minimum, maximum=MAX_QUANTITY), None
    except numbers.NumberError as error:
        return None, error.message


def parse_pasted(text: str) -> list[Row]:
    """The quick-order pad: one `SKU quantity` pair a line, separated by a comma, a tab or
    spaces, as pasted from a spreadsheet. A first line `sku quantity` is taken for a header."""
    lines = text.splitlines()
    if sum(1 for line in lines if line.strip()) > MAX_LINES + 1:
        raise ServiceError(
            _("Paste at most %(max)d lines at a time.", max=MAX_LINES), field="lines"
        )
    rows: list[Row] = []
    first = True
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        # Typed with a Chinese input method on: full-width SKUs, digits, commas and spaces.
        cells = _SEPARATOR.split(plain_width(line).strip())
        while len(cells) > 1 and not cells[-1]:
            cells.pop()  # a trailing separator, as spreadsheets copy empty columns
        if first and _is_header(cells):
            first = False
            continue
        first = False
        rows.append(_row(number, line, cells))
    if not rows:
        raise ServiceError(
            _("Write at least one line with a SKU and a quantity, such as NW-LT14 2."),
            field="lines",
        )
    if len(rows) > MAX_LINES:
        raise ServiceError(
            _("Paste at most %(max)d lines at a time.", max=MAX_LINES), field="lines"
        )
    return rows


def read_csv(data: bytes) -> FileRows:
    """A CSV file or .xlsx workbook of `sku,quantity` rows, read as every upload is
    (core.csvfiles), at most MAX_CSV_BYTES and MAX_LINES rows. Without a header the rows are
    two cells; a header names the columns (COLUMN_NAMES, in any order) and the others are
    ignored (their names in `.ignored`). Problems with the file as a whole raise ServiceError;
    problems with a row are left on the row."""
    if len(data) > MAX_CSV_BYTES:
        raise ServiceError(
            _("The file is larger than 1 MB. Upload at most %(max)d rows.", max=MAX_LINES),
            field="file",
        )
    file = read_rows(data)
    rows = FileRows()
    picked: tuple[int, int] | None = None  # the columns of SKU and quantity a header names
    for index, row in enumerate(file):
        cells = list(row.cells)
        while not cells[-1]:
            cells.pop()  # spreadsheets write empty trailing columns (a row has one cell)
        if index == 0:
            columns, twice, ignored = header_columns(cells, COLUMN_NAMES)
            if {"sku", "quantity"} <= columns.keys():
                if twice:
                    raise ServiceError(
                        _("The column %(column)s appears twice.", column=twice[0]), field="file"
                    )
                picked, rows.ignored = (columns["sku"], columns["quantity"]), ignored
                continue
        if len(rows) == MAX_LINES:
            raise ServiceError(
                _(
                    "The file has more than %(max)d rows; a cart holds at most %(max)d lines.",
                    max=MAX_LINES,
                ),
                field="file",
            )
        text = file.delimiter.join(cells)
        if picked is not None:
            cells = [cells[i] if i < len(cells) else "" for i in picked]
        rows.append(_row(row.line, text, cells))
    if not rows:
        raise ServiceError(_("The file has no rows of sku,quantity."), field="file")
    return rows


def _is_header(cells: list[str]) -> bool:
    """A pasted line `sku quantity` (or their other names)."""
    columns, _twice, ignored = header_columns(cells, COLUMN_NAMES)
    return len(cells) == 2 and len(columns) == 2 and not ignored


def _row(number: int, text: str, cells: list[str]) -> Row:
    text = _shorten(text, MAX_ROW_TEXT)
    if len(cells) != 2 or not cells[0]:
        return Row(
            number,
            text,
            error=_(
                "Write one SKU and one quantity on a line, separated by a comma, a tab or "
                "spaces, such as NW-LT14 2."
            ),
        )
    quantity, error = parse_quantity(cells[1])
    return Row(number, text, normal_sku(cells[0]), quantity, error)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
