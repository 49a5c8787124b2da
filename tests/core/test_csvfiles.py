"""The one CSV dialect of uploads and exports: decoding, the delimiter rule, strict quotes, rows
with the line they start on, and the spreadsheet-formula guard both ways."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.csvfiles import (
    FORMULA_START,
    CsvError,
    delimiter_of,
    guarded,
    read_rows,
    write_csv,
)


def rows_of(data: bytes) -> list[tuple[int, tuple[str, ...]]]:
    return [(row.line, row.cells) for row in read_rows(data)]


# Decoding


@pytest.mark.parametrize(
    "data",
    [b"sku,quantity\nNW-LT14,2\n", b"\xef\xbb\xbfsku,quantity\nNW-LT14,2\n"],
    ids=["utf-8", "utf-8 with a byte order mark"],
)
def test_utf8_is_read_with_or_without_a_byte_order_mark(data):
    assert rows_of(data) == [(1, ("sku", "quantity")), (2, ("NW-LT14", "2"))]


def test_utf8_text_beyond_ascii_reads_as_written():
    data = "sku,name\nNW-ZZ1,咖啡机 Café\n".encode()
    assert rows_of(data)[1] == (2, ("NW-ZZ1", "咖啡机 Café"))


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ("sku,name\nNW-ZZ1,Café\n".encode("latin-1"), 2),
        (b"\xef\xbb\xbfsku,name\nNW-ZZ1,\xe5\x92\n", 2),
        (b"sku,name\n\nA,1\nB,\xff\n", 4),
    ],
    ids=["latin-1", "a UTF-8 byte order mark, then not UTF-8", "a bad byte on line 4"],
)
def test_a_file_in_no_encoding_read_is_refused_naming_the_first_bad_line(data, line):
    with pytest.raises(CsvError) as refused:
        read_rows(data)
    assert refused.value.line == line
    assert f"neither UTF-8 nor GB18030 (GBK) text (line {line})" in refused.value.message
    assert refused.value.field == "file"


# The delimiter


@pytest.mark.parametrize(
    ("first_line", "delimiter"),
    [
        ("sku,quantity", ","),
        ("sku;quantity", ";"),
        ("sku\tquantity", "\t"),
        ("target;kind;value;currency;min_quantity;valid_from;valid_to", ";"),
        ("sku;name,with a comma;category", ";"),  # the most frequent wins
        ("sku;quantity,", ","),  # a tie goes to the comma
        ("sku\tname;x", ";"),  # a tie between semicolon and tab goes to the semicolon
        ("NW-LT14", ","),  # none at all: the comma
        ("", ","),
    ],
)
def test_the_delimiter_is_the_one_found_most_on_the_first_line(first_line, delimiter):
    assert delimiter_of(first_line + "\nNW-LT14,2;3\t4\n") == delimiter


def test_the_delimiter_is_read_from_the_first_line_that_is_not_blank():
    assert delimiter_of("\n  \r\nsku;quantity\nA,1\n") == ";"
    assert [row.cells for row in read_rows(b"\n\nsku;quantity\nA;1\n")] == [
        ("sku", "quantity"),
        ("A", "1"),
    ]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_every_delimiter_reads_the_same_cells(delimiter):
    text = delimiter.join(["sku", "name", "price"]) + "\n"
    text += delimiter.join(["NW-LT14", '"Laptop, 14""; tab"', "8999.00"]) + "\n"
    assert [row.cells for row in read_rows(text.encode())] == [
        ("sku", "name", "price"),
        ("NW-LT14", 'Laptop, 14"; tab', "8999.00"),
    ]


# Rows and their lines


def test_rows_keep_the_line_they_start_on_and_blank_rows_are_skipped():
    data = b'sku,description\r\n\r\nA,"two\r\nlines"\r\n,\r\n  ,  \r\nB,one\r\n'
    assert rows_of(data) == [
        (1, ("sku", "description")),
        (3, ("A", "two\r\nlines")),
        (7, ("B", "one")),
    ]


def test_cells_are_trimmed_and_empty_trailing_cells_kept():
    assert rows_of(b" sku , quantity \nNW-LT14 ,2,,\n") == [
        (1, ("sku", "quantity")),
        (2, ("NW-LT14", "2", "", "")),
    ]


def test_an_empty_file_has_no_rows():
    assert rows_of(b"") == []
    assert rows_of(b"\xef\xbb\xbf\n\n") == []


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b'sku,quantity\nNW-LT14,2\n"NW-MN27"x,1\n', 3),
        (b'sku,quantity\nNW-LT14,"2\nNW-MN27,1\n', 2),  # never closed: where it opened
        (b'sku,description\nA,"two\nlines"\nB,"x"y\n', 4),
    ],
    ids=["a stray quote", "a quote never closed", "after a quoted line break"],
)
def test_a_stray_quote_is_an_error_on_the_line_its_row_starts(data, line):
    with pytest.raises(CsvError) as refused:
        rows_of(data)
    assert refused.value.line == line
    assert refused.value.message.startswith(f"Line {line} cannot be read as CSV: ")


def test_the_rows_before_an_unreadable_line_are_read():
    rows = read_rows(b'sku,quantity\nA,1\nB,"2"x\nC,3\n')
    read = []
    with pytest.raises(CsvError):
        for row in rows:
            read.append(row.line)
    assert read == [1, 2]


# The formula guard


@pytest.mark.parametrize("start", FORMULA_START)
def test_a_cell_a_spreadsheet_would_run_is_written_with_a_leading_quote(start):
    assert guarded(start + "1+2") == "'" + start + "1+2"
    written = write_csv(["target"], [(start + "1+2",)]).split("\r\n", 1)[1]
    assert written.lstrip('"').startswith("'" + start)


@pytest.mark.parametrize(
    "cell", ["NW-LT14", "8999.00", "", "'quoted", "a=b", " =x", "'", "category:Laptops"]
)
def test_other_cells_are_written_as_they_are(cell):
    assert guarded(cell) == cell


def test_a_cell_that_looks_guarded_already_is_guarded_once_more():
    assert guarded("'=1+2") == "''=1+2"
    assert guarded("''-5") == "'''-5"
    written = write_csv(["a"], [("'=1+2",), ("''-5",)])
    assert [row.cells for row in read_rows(written.encode())] == [("a",), ("'=1+2",), ("''-5",)]


def test_reading_takes_one_guard_off_every_cell():
    data = b"target,value,note\n'=1+2,'-5,'@SUM(A1)\n'plain,'',it's\n''+1,'''=2,'\n"
    assert [row.cells for row in read_rows(data)][1:] == [
        ("=1+2", "-5", "@SUM(A1)"),
        ("'plain", "''", "it's"),
        ("'+1", "''=2", "'"),
    ]


def test_none_is_an_empty_cell_and_other_values_their_text():
    assert write_csv(["a", "b", "c"], [(None, 5, -3)]) == "a,b,c\r\n,5,'-3\r\n"


#: Any text a cell may hold: no surrogates, and no control character but tab and line breaks
#: (a file with one is refused, SECURITY.md 44).
CONTROL = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r")
cells = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=CONTROL), max_size=12
).filter(lambda cell: cell == cell.strip())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cells, min_size=3, max_size=3), max_size=6))
def test_what_is_written_reads_back_cell_for_cell(rows):
    rows = [tuple(row) for row in rows if any(row)]
    text = write_csv(["sku", "name", "note"], rows)
    assert [row.cells for row in read_rows(text.encode("utf-8-sig"))] == [
        ("sku", "name", "note"),
        *rows,
    ]
