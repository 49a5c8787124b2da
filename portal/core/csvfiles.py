"""CSV files in and out: one dialect for every upload (quick order, price lists, the catalog)
and every export (price rules, the account statement).

Reading: UTF-8, with or without a byte order mark (what spreadsheets save as "CSV UTF-8");
the delimiter is the comma, semicolon or tab found most often on the first line that is not
blank, the comma on a tie or when there is none, so a file from a spreadsheet set to any
locale reads alike; quotes are strict, so a stray quote is an error on its line rather than
the rest of the file in one cell. Cells come trimmed; blank lines and rows of empty cells are
skipped, and every row keeps the line it starts on (blank lines and quoted line breaks
counted), for messages that point at the line.

The spreadsheet-formula guard ("CSV injection"): a cell that starts with one of
FORMULA_START is written with a leading "'", so that a spreadsheet shows it as text instead of
running it; reading takes such a "'" off again, so an export imports back unchanged (a cell
that starts with "'" and then one of them gets one "'" more, and loses one on reading).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from portal.core.errors import ServiceError
from portal.core.inputs import CONTROL_CHARACTERS

#: Spreadsheets run a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The delimiters a file may use, in the order that settles a tie.
DELIMITERS = (",", ";", "\t")
#: Line ends of written files (RFC 4180).
LINE_END = "\r\n"

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
        #: The file as text; CsvError here when it is not UTF-8.
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


def read_rows(data: bytes) -> CsvRows:
    """The rows of an uploaded file (see the module's docstring for how it is read)."""
    return CsvRows(data)


def decode(data: bytes) -> str:
    """The file as text: UTF-8, a byte order mark dropped, no control character but tab and
    line breaks (SECURITY.md 44); CsvError naming the first line that is not."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CsvError(
            _(
                'The file is not UTF-8 text (line %(line)d). Save it as "CSV UTF-8" and upload '
                "it again.",
                line=line,
            ),
            line,
        ) from None
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
