"""A price list file read into rows: the columns, each row's cells parsed into a rule's fields,
and file-level errors (encoding, header, unreadable CSV). No database: contracts.import_checks
checks the rows against the catalog and the contract.

The file (CSV or .xlsx) is read as every upload is (core.csvfiles); its first row names the
columns of `COLUMNS` in any order, by those names or the Chinese ones of COLUMN_NAMES; other
columns are ignored (and named to the user). `target` is a SKU or `category:<Name>` (its
English or Chinese name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.contracts.models import RULE_KINDS
from portal.core.csvfiles import CsvError, header_columns
from portal.core.csvfiles import read_rows as read_csv_rows
from portal.core.inputs import plain_code, plain_width
from portal.core.money import plain
from portal.core.numbers import NumberError, parse_amount, parse_percent, parse_quantity

#: The columns of an import or export file, in the order the export writes them.
COLUMNS = ("target", "kind", "value", "currency", "min_quantity", "valid_from", "valid_to")
#: The other names a header may give the columns (in lower case), also on the import page.
COLUMN_NAMES = {
    "target": ("产品编号", "产品编号或类别", "适用对象"),
    "kind": ("类型", "价格类型"),
    "value": ("价格", "数值"),
    "currency": ("币种", "货币"),
    "min_quantity": ("最小数量", "起订量"),
    "valid_from": ("生效日期", "开始日期"),
    "valid_to": ("失效日期", "结束日期", "截止日期"),
}
#: A target naming a whole category rather than a SKU.
CATEGORY_PREFIX = "category:"
#: More rows than this is not a price list but a mistake (and would not fit an upload).
MAX_ROWS = 200_000
#: A minimum quantity beyond any order (and beyond the column's range).
MAX_QUANTITY = 1_000_000_000

#: What a valid row does when applied.
CREATE, UPDATE, UNCHANGED, PROPOSE = "create", "update", "unchanged", "propose"
ACTIONS = (CREATE, UPDATE, UNCHANGED, PROPOSE)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(slots=True)
class RowResult:
    """One line of the file: what it says, what is wrong with it, what applying it would do."""

    #: Line number in the file (the header is line 1).
    line: int
    #: The cells as read from the file.
    raw: tuple[str, ...]
    #: Messages for the user; a row with any is not applied (nor is any other row).
    errors: list[str] = field(default_factory=list)
    #: Whether the row has as many cells as the header (else nothing of it was read).
    complete: bool = True
    #: One of ACTIONS when the row has no errors, else None.
    action: str | None = None
    #: The target as written (a SKU or category:<Name>).
    target: str = ""
    product_id: int | None = None
    category_id: int | None = None
    kind: str | None = None
    value: Decimal | None = None
    min_quantity: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    #: The currency as written (upper case), and the product's list price in the contract's.
    currency: str = ""
    list_amount: Decimal | None = None
    #: The active rule this row updates or would replace by a proposal (same target, minimum
    #: quantity and dates), with its current kind and value.
    rule_id: int | None = None
    old_kind: str | None = None
    old_value: Decimal | None = None
    rule_version: int | None = None
    #: How far below list the row goes, in percent (for showing proposals).
    depth: Decimal | None = None
    #: Why its price looks like a typing error (rule_checks.unlikely_message), or None: the
    #: file is applied only when its author confirms such rows.
    unlikely: str | None = None

    @property
    def is_valid(self) -> bool:
        return not self.errors


def read_rows(data: bytes) -> tuple[list[RowResult], list[str], list[str]]:
    """Rows with their cells parsed, or file-level errors (in no encoding read, no header
    naming the columns, unreadable CSV or workbook, no rows, too many rows) and no rows; and
    the names of the columns ignored."""
    try:
        records = iter(read_csv_rows(data))
        header = next(records, None)
        cells = header.cells if header is not None else ()
        columns, twice, ignored = header_columns(cells, COLUMN_NAMES)
        if twice:
            return [], [_("The column %(column)s appears twice.", column=twice[0])], []
        if columns.keys() != set(COLUMNS):
            return (
                [],
                [
                    _(
                        "The first line must name the columns: %(columns)s.",
                        columns=",".join(COLUMNS),
                    )
                ],
                [],
            )
        order = [columns[name] for name in COLUMNS]
        rows: list[RowResult] = []
        for record in records:
            if len(rows) == MAX_ROWS:
                return [], [_("A file holds at most %(n)d rows.", n=MAX_ROWS)], []
            rows.append(_parse_row(record.line, record.cells, order, cells))
    except CsvError as error:
        return [], [error.message], []
    if not rows:
        return [], [_("The file has no rows below its header.")], []
    return rows, [], ignored


def _parse_row(
    line: int, cells: tuple[str, ...], order: list[int], header: tuple[str, ...]
) -> RowResult:
    row = RowResult(line=line, raw=cells)
    if len(cells) != len(header):
        row.complete = False
        row.errors.append(
            ngettext(
                "Expected %(num)d column (%(columns)s), found %(found)d.",
                "Expected %(num)d columns (%(columns)s), found %(found)d.",
                len(header),
                columns=", ".join(header),
                found=len(cells),
            )
        )
        return row
    target, kind, value, currency, min_quantity, valid_from, valid_to = (cells[i] for i in order)
    # Typed with an input method on: ｌｔ１４ is LT14, ｃａｔｅｇｏｒｙ：Laptops a category.
    plain = plain_width(target).strip()
    if plain.lower().startswith(CATEGORY_PREFIX):
        row.target = CATEGORY_PREFIX + plain[len(CATEGORY_PREFIX) :]
    else:
        row.target = plain_code(target)
    if not row.target or row.target == CATEGORY_PREFIX:
        row.errors.append(_("Name a SKU or category:<name> as the target."))
    row.kind = plain_width(kind).strip().lower()
    if row.kind not in RULE_KINDS:
        row.errors.append(_('The kind is fixed or percent_off, not "%(kind)s".', kind=kind))
        row.kind = None
    try:
        row.value = (parse_percent if row.kind == "percent_off" else parse_amount)(value)
    except NumberError as error:
        row.errors.append(f"value: {error.message}")
    row.min_quantity = _quantity(min_quantity, row.errors)
    row.valid_from = _date(valid_from, row.errors)
    row.valid_to = _date(valid_to, row.errors)
    row.currency = plain_code(currency)
    return row


def _quantity(text: str, errors: list[str]) -> int | None:
    if not text:
        return 1
    try:
        return parse_quantity(text, maximum=MAX_QUANTITY)
    except NumberError as error:
        errors.append(f"min_quantity: {error.message}")
        return None


def _date(text: str, errors: list[str]) -> date | None:
    if not text:
        return None
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    errors.append(_('"%(value)s" is not a date; write dates as YYYY-MM-DD.', value=text))
    return None


def value_text(kind: str, value: Decimal, currency: str) -> str:
    """A rule's value as people write it: 7650.00 (the currency's decimals) or 15 (percent)."""
    if kind == "fixed":
        return plain(value, currency)
    return f"{value.quantize(Decimal('0.01')).normalize():f}"
