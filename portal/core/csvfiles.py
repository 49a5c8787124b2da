"""Table files in and out: one reader for every upload (quick order, price lists, the catalog)
and one CSV dialect for every export (price rules, the account statement).

Reading (`read_rows`): a CSV file or an Excel workbook (.xlsx), told apart by their first
bytes, not by the file's name.

- CSV: the encoding is the byte order mark's (UTF-8 or UTF-16, what spreadsheets save as
  "CSV UTF-8" or "Unicode text"), else UTF-8 when the whole file is UTF-8, else GB18030 (which
  includes GBK and GB2312: what Chinese Excel saves as "CSV (逗号分隔)"); a file that is none of
  them is refused. The delimiter is the comma, semicolon or tab found most often on the first
  line that is not blank, the comma on a tie or when there is none, so a file from a
  spreadsheet set to any locale reads alike; quotes are strict, so a stray quote is an error on
  its line rather than the rest of the file in one cell.
- .xlsx: the first worksheet, read with openpyxl in read-only mode. A formula cell reads as the
  value the spreadsheet saved with it (a formula is never evaluated; one never calculated, as
  a workbook written by a program may have, reads as an empty cell). Numbers read as they show
  (15 significant digits, no exponent), dates as YYYY-MM-DD. Before anything is parsed the
  archive is checked against a "zip bomb": at most MAX_WORKBOOK_PARTS parts and
  MAX_WORKBOOK_UNPACKED bytes unpacked; a sheet of more than MAX_SHEET_ROWS rows is refused,
  and columns beyond the first MAX_COLUMNS are not read (so a sheet claiming the whole grid
  costs no more than its cells). The old binary .xls is refused with what to save instead.

Either way cells come trimmed (in a workbook, every row padded with empty cells to the width
of the first, as a spreadsheet saves CSV); blank lines and rows of empty cells are skipped, and
every row keeps the line (CSV: blank lines and quoted line breaks counted) or the row number
(.xlsx) it starts on, for messages that point at it. `header_columns` reads a header row against the
known columns and their Chinese names, and names the columns it ignores.

The spreadsheet-formula guard ("CSV injection"): a cell that starts with one of
FORMULA_START is written with a leading "'", so that a spreadsheet shows it as text instead of
running it; reading takes such a "'" off again, so an export imports back unchanged (a cell
that starts with "'" and then one of them gets one "'" more, and loses one on reading).
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from babel.lists import format_list
from flask import Response
from flask_babel import get_locale
from flask_babel import gettext as _

from portal.core.errors import ServiceError
from portal.core.inputs import CONTROL_CHARACTERS, plain_width

#: Spreadsheets run a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The delimiters a file may use, in the order that settles a tie.
DELIMITERS = (",", ";", "\t")
#: Line ends of written files (RFC 4180).
LINE_END = "\r\n"

#: A workbook larger than this unpacked, or of more parts, is refused before it is parsed.
MAX_WORKBOOK_UNPACKED = 100 * 1024 * 1024
MAX_WORKBOOK_PARTS = 1000
#: Rows (blank ones counted) of a worksheet at most, and the columns read of each.
MAX_SHEET_ROWS = 250_000
MAX_COLUMNS = 100
#: The first bytes of a zip archive (.xlsx) and of an OLE compound file (.xls).
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Byte order marks and their encodings (UTF-8's first: UTF-16's is a prefix of none).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_FORMULA_CHARS = frozenset(FORMULA_START)


class CsvError(ServiceError):
    """The file cannot be read from `line` on (not UTF-8, or not CSV there); nothing of it
    should be used."""

    def __init__(self, message: str, line: int):
        super().__init__(message, field="file")
        self.line = line


@dataclass(frozen=True, slots=True)
class CsvRow:
    #: The line of the file the row starts on (1-based).
    line: int
    #: The cells, trimmed, with the formula guard taken off.
    cells: tuple[str, ...]


class CsvRows:
    """The rows of a CSV file, read as they are iterated; iterating raises CsvError at the
    first line that is not CSV (the rows before it have been yielded)."""

    def __init__(self, data: bytes):
        #: The file as text; CsvError here when it is in none of the encodings read.
        self.text = decode(data)
        self.delimiter = delimiter_of(self.text)

    def __iter__(self) -> Iterator[CsvRow]:
        reader = csv.reader(
            io.StringIO(self.text, newline=""), delimiter=self.delimiter, strict=True
        )
        end = 0  # the last line of the record read last
        try:
            for cells in reader:
                start, end = end + 1, reader.line_num
                cells = [cell.strip() for cell in cells]
                if any(cells):
                    yield CsvRow(start, tuple(map(_unguarded, cells)))
        except csv.Error as error:
            line = end + 1
            raise CsvError(
                _("Line %(line)d cannot be read as CSV: %(error)s", line=line, error=error), line
            ) from None


class WorkbookRows:
    """The rows of the first worksheet of an .xlsx workbook (see the module's docstring): the
    archive is checked at once, the sheet read whole when first iterated; CsvError when the
    workbook cannot be read or is too large."""

    #: Joins a row's cells where a row is shown back as a line of text.
    delimiter = ","

    def __init__(self, data: bytes):
        _check_archive(data)
        self.data = data

    def __iter__(self) -> Iterator[CsvRow]:
        # Read whole, within the limits: the warnings openpyxl gives about parts of a workbook
        # it does not know are silenced while it reads, not while the caller holds a row.
        yield from self._read()

    def _read(self) -> list[CsvRow]:
        from openpyxl import load_workbook  # only for uploads that are workbooks

        line, rows, width = 1, [], 0
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                book = load_workbook(
                    io.BytesIO(self.data), read_only=True, data_only=True, keep_links=False
                )
                try:
                    if not book.worksheets:
                        raise CsvError(_("The workbook has no worksheet."), 1)
                    values = book.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True)
                    for line, row in enumerate(values, start=1):
                        if line > MAX_SHEET_ROWS:
                            raise CsvError(_too_many_rows(), line)
                        cells = _workbook_cells(row, line)
                        if any(cells):
                            # As a spreadsheet saves CSV: every row as wide as the first.
                            width = width or len(cells)
                            cells += [""] * (width - len(cells))
                            rows.append(CsvRow(line, tuple(map(_unguarded, cells))))
                finally:
                    book.close()
        except CsvError:
            raise
        except Exception:  # any fault of a malformed workbook is the file's
            raise CsvError(_unreadable_workbook(), line) from None
        return rows


def read_rows(data: bytes) -> CsvRows | WorkbookRows:
    """The rows of an uploaded file, a CSV file or an .xlsx workbook (see the module's
    docstring for how each is read). Both have `delimiter`, to show a row as a line."""
    if data.startswith(_ZIP_MAGIC):
        return WorkbookRows(data)
    if data.startswith(_OLE_MAGIC):
        raise CsvError(
            _(
                "This is an Excel 97-2003 workbook (.xls), which cannot be read. Save it as "
                'an Excel workbook (.xlsx) or as "CSV UTF-8" and upload it again.'
            ),
            1,
        )
    return CsvRows(data)


def header_columns(
    cells: Sequence[str], names: Mapping[str, Iterable[str]]
) -> tuple[dict[str, int], list[str], list[str]]:
    """A header row read against the known columns: `names` maps each column's key to the
    names it may have in a file (in lower case, such as {"quantity": {"quantity", "qty",
    "数量"}}). A name is read in plain width and lower case, and also without, or only by, a
    part in brackets ("产品编号 (SKU)" is 产品编号 or sku). Returns (key -> index of its first
    column, the names of columns given twice, the names of the columns ignored)."""
    columns: dict[str, int] = {}
    twice: list[str] = []
    ignored: list[str] = []
    for index, cell in enumerate(cells):
        key = column_key(cell, names)
        if key is None:
            if cell:
                ignored.append(cell)
        elif key in columns:
            twice.append(cell)
        else:
            columns[key] = index
    return columns, twice, ignored


def column_key(cell: str, names: Mapping[str, Iterable[str]]) -> str | None:
    """The key of `names` (see header_columns) that a header cell names, or None."""
    for form in _name_forms(cell):
        for key, aliases in names.items():
            if form == key or form in aliases:
                return key
    return None


def ignored_columns_note(names: Sequence[str]) -> str:
    """What a page says about the columns of an upload that were not read."""
    return _("Ignored columns: %(columns)s", columns=format_list(list(names), locale=get_locale()))


def _name_forms(cell: str) -> list[str]:
    """The forms a column name is looked up by: whole, before a bracket, inside it."""
    name = " ".join(plain_width(cell).lower().split())
    forms = [name, name.replace(" ", "")]
    before, bracket, after = name.partition("(")
    if bracket:
        forms += [before.strip(), after.partition(")")[0].strip()]
    return forms


def decode(data: bytes) -> str:
    """The file as text (the encoding of its byte order mark, else UTF-8, else GB18030), the
    mark dropped, no control character but tab and line breaks (SECURITY.md 44); CsvError
    naming the line when it is in none of them or holds a control character."""
    text = _text_of(data)
    if text is None:
        line = 1
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
        raise CsvError(
            _(
                "The file is neither UTF-8 nor GB18030 (GBK) text (line %(line)d), nor an "
                'Excel workbook (.xlsx). Save it as "CSV UTF-8" or as .xlsx and upload it '
                "again.",
                line=line,
            ),
            line,
        )
    control = CONTROL_CHARACTERS.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise CsvError(
            _(
                "Line %(line)d contains a control character (such as a NUL byte); a CSV file "
                "holds text only. Remove it and upload the file again.",
                line=line,
            ),
            line,
        )
    return text


def _text_of(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                return None
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _check_archive(data: bytes) -> None:
    """CsvError unless `data` is a zip archive of a size to unpack (a "zip bomb" is refused
    by the sizes its directory declares: unpacking stops at them, and a part that holds
    more fails its checksum)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise CsvError(_unreadable_workbook(), 1) from None
    if len(parts) > MAX_WORKBOOK_PARTS or (
        sum(part.file_size for part in parts) > MAX_WORKBOOK_UNPACKED
    ):
        raise CsvError(
            _(
                "The workbook is too large to read (more than %(size)d MB unpacked). Upload "
                "fewer rows, or save it as CSV.",
                size=MAX_WORKBOOK_UNPACKED // (1024 * 1024),
            ),
            1,
        )


def _workbook_cells(values: Sequence, line: int) -> list[str]:
    """A worksheet row's values as trimmed text, trailing empty cells dropped."""
    cells = [_cell_text(value).strip() for value in values]
    while cells and not cells[-1]:
        cells.pop()
    if any(CONTROL_CHARACTERS.search(cell) for cell in cells):
        raise CsvError(
            _(
                "Line %(line)d contains a control character (such as a NUL byte). Remove it "
                "and upload the file again.",
                line=line,
            ),
            line,
        )
    return cells


def _cell_text(value) -> str:
    """A cell's value as the spreadsheet shows it: numbers in at most 15 significant digits
    (as Excel does; 1035.4500000000001 is 1035.45) without an exponent, a date as
    YYYY-MM-DD (with the time when it has one)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{Decimal(format(value, '.15g')):f}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _too_many_rows() -> str:
    return _("The worksheet has more than %(max)d rows.", max=MAX_SHEET_ROWS)


def _unreadable_workbook() -> str:
    return _(
        "The file cannot be read as an Excel workbook (.xlsx): it may be damaged or protected "
        'by a password. Open it in a spreadsheet, save it as .xlsx or "CSV UTF-8" and upload '
        "it again."
    )


def delimiter_of(text: str) -> str:
    """The delimiter found most often on the first line that is not blank (ties and lines
    without any go to the earlier one in DELIMITERS)."""
    for line in io.StringIO(text, newline=""):
        if line.strip():
            return max(DELIMITERS, key=line.count)
    return DELIMITERS[0]


def write_csv(columns: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A CSV file with a header row: every cell guarded against running as a formula, None
    as an empty cell. Encode it for the response (a byte order mark makes spreadsheets read
    it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=LINE_END)
    writer.writerow([guarded(name) for name in columns])
    writer.writerows([guarded(cell) for cell in row] for row in rows)
    return out.getvalue()


def guarded(value) -> str:
    """A cell as written: with a leading "'" when a spreadsheet would run it as a formula, or
    when it starts with such a "'" itself (so that reading gives back exactly the cell)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) or _is_guarded(text):
        return "'" + text
    return text


def _is_guarded(cell: str) -> bool:
    """Whether the cell is one or more "'" and then a FORMULA_START."""
    return cell[:1] == "'" and cell.lstrip("'")[:1] in _FORMULA_CHARS


def _unguarded(cell: str) -> str:
    return cell[1:] if _is_guarded(cell) else cell


def csv_download(text: str, filename: str) -> Response:
    """A CSV file to download, with a byte order mark so that spreadsheets read it as UTF-8."""
    response = Response(("\ufeff" + text).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
