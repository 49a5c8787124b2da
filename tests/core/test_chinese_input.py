"""Input typed with a Chinese input method (core.inputs.plain_width) and table files as Chinese
spreadsheets save them (core.csvfiles): CSV in UTF-8 with or without a byte order mark, UTF-16
with one, GB18030/GBK, and .xlsx workbooks, refused when damaged or too large."""

import io
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook

from portal.core import csvfiles
from portal.core.csvfiles import CsvError, header_columns, read_rows
from portal.core.inputs import plain_code, plain_email, plain_width
from portal.core.numbers import NumberError, parse_amount, parse_percent, parse_quantity
from tests.support.tables import damaged, with_cached_values, xlsx, zip_bomb

# Typed with an input method on


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("ＮＷ－ＬＴ１４　２", "NW-LT14 2"),
        ("NW-LT14，2", "NW-LT14,2"),
        ("NW-LT14、2", "NW-LT14,2"),
        ("NW-LT14：2", "NW-LT14:2"),
        ("NW-LT14；2", "NW-LT14;2"),
        ("NW\u2010LT14", "NW-LT14"),  # hyphen
        ("NW\u2013LT14", "NW-LT14"),  # en dash
        ("NW\u2014LT14", "NW-LT14"),  # em dash
        ("NW——LT14", "NW-LT14"),  # Shift and "-" in a Chinese input method: one dash
        ("NW\u2212LT14", "NW-LT14"),  # minus sign
        ("NW\ufe63LT14", "NW-LT14"),  # small hyphen-minus
        ("NW-\u200bLT14", "NW-LT14"),  # zero-width space from a chat app
        ("buyer＠acme．example", "buyer@acme.example"),
        ("buyer@acme。example", "buyer@acme.example"),
        ("１２。５０", "12.50"),
        ("王芳 NW-LT14", "王芳 NW-LT14"),  # other scripts stay
    ],
)
def test_text_typed_with_an_input_method_reads_as_its_plain_form(typed, plain):
    assert plain_width(typed) == plain


def test_codes_and_e_mail_addresses_have_one_stored_form():
    assert plain_code("　ｎｗ－ｌｔ１４ ") == "NW-LT14"
    assert plain_email(" Ｂｕｙｅｒ＠ＡＣＭＥ．example　") == "buyer@acme.example"


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("１，１５０。５０", "1150.50"),
        ("１１５０．５", "1150.5"),
        ("－１２。５", "-12.5"),
        ("\u221212.5", "-12.5"),
        ("\u201312.5", "-12.5"),
        ("1150。", "1150"),
    ],
)
def test_amounts_read_full_width_digits_the_ideographic_full_stop_and_dashes(typed, amount):
    assert parse_amount(typed) == parse_amount(amount)


def test_percentages_and_quantities_read_full_width_forms():
    assert str(parse_percent("１２。５％")) == "12.5"
    assert parse_quantity("　２　", maximum=10) == 2
    with pytest.raises(NumberError):
        parse_amount("１。２。３")  # two full stops are no number


# CSV files in the encodings spreadsheets save

GBK_TEXT = "产品编号,数量,备注\r\nNW-LT14,2,王芳要的\r\n"


@pytest.mark.parametrize(
    "data",
    [
        GBK_TEXT.encode("gb18030"),
        GBK_TEXT.encode("gbk"),
        GBK_TEXT.encode("utf-8"),
        GBK_TEXT.encode("utf-8-sig"),
        GBK_TEXT.encode("utf-16"),  # "Unicode text", with its byte order mark
    ],
    ids=["gb18030", "gbk", "utf-8", "utf-8 with a byte order mark", "utf-16"],
)
def test_a_chinese_csv_reads_alike_in_every_encoding_excel_saves(data):
    assert [(row.line, row.cells) for row in read_rows(data)] == [
        (1, ("产品编号", "数量", "备注")),
        (2, ("NW-LT14", "2", "王芳要的")),
    ]


def test_gb18030_beyond_gbk_reads_too():
    data = "sku,name\nNW-ZZ1,𠀀 and €\n".encode("gb18030")  # four-byte sequences
    assert [row.cells for row in read_rows(data)][1] == ("NW-ZZ1", "𠀀 and €")


@pytest.mark.parametrize(
    "data",
    [b"sku,quantity\nNW-LT14,\x80\n", b"sku,quantity\nNW-LT14,\x81\x20\n"],
    ids=["a byte no encoding starts with", "a GB18030 lead byte without its trail"],
)
def test_a_file_in_no_encoding_read_gets_a_clear_message(data):
    with pytest.raises(CsvError) as refused:
        read_rows(data)
    assert refused.value.line == 2
    assert "neither UTF-8 nor GB18030 (GBK) text (line 2)" in refused.value.message


# Header names


def test_a_header_names_known_columns_by_any_of_their_names_and_the_rest_are_ignored():
    names = {"sku": ("产品编号",), "quantity": ("qty", "数量")}
    cells = ("备注", "产品编号 (SKU)", "Colour", "ＱＴＹ", "")
    assert header_columns(cells, names) == ({"sku": 1, "quantity": 3}, [], ["备注", "Colour"])
    assert header_columns(("SKU", "数量", "sku"), names) == (
        {"sku": 0, "quantity": 1},
        ["sku"],
        [],
    )


# Workbooks


def test_the_first_sheet_of_a_workbook_reads_like_a_csv_file():
    data = xlsx(
        ("产品编号", "数量", "备注"),
        (),
        ("NW-LT14", 2, None),
        ("  NW-MN27 ", 1.0, "x"),
        ("NW-DT7", 1035.4500000000001, datetime(2026, 12, 31)),
        sheets=2,
    )
    rows = read_rows(data)
    assert rows.delimiter == ","
    assert [(row.line, row.cells) for row in rows] == [
        (1, ("产品编号", "数量", "备注")),
        (3, ("NW-LT14", "2", "")),  # as wide as the first row
        (4, ("NW-MN27", "1", "x")),
        (5, ("NW-DT7", "1035.45", "2026-12-31")),
    ]


def test_a_formula_reads_as_the_value_saved_with_it_and_is_never_evaluated():
    data = xlsx(("sku", "quantity"), ("NW-LT14", "=1+1"), ("NW-MN27", "=1+2"))
    calculated = with_cached_values(data, {"B2": "2"})
    assert [row.cells for row in read_rows(calculated)][1:] == [("NW-LT14", "2"), ("NW-MN27", "")]


def test_a_text_cell_that_looks_like_a_formula_stays_text():
    data = xlsx(("sku", "note"), ("NW-LT14", "'=HYPERLINK(1)"))
    assert [row.cells for row in read_rows(data)][1] == ("NW-LT14", "=HYPERLINK(1)")


@pytest.mark.parametrize(
    "data",
    [
        damaged(xlsx(("sku", "quantity"), ("NW-LT14", 2))),
        b"PK\x03\x04" + b"\x00" * 200,
    ],
    ids=["cut short", "not an archive"],
)
def test_a_damaged_workbook_is_refused_with_a_message(data):
    with pytest.raises(CsvError) as refused:
        list(read_rows(data))
    assert "cannot be read as an Excel workbook (.xlsx)" in refused.value.message


def test_an_archive_that_is_no_workbook_is_refused_with_a_message():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(CsvError, match="cannot be read as an Excel workbook"):
        list(read_rows(out.getvalue()))


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    bomb = zip_bomb(csvfiles.MAX_WORKBOOK_UNPACKED + 1024 * 1024)
    assert len(bomb) < 2 * 1024 * 1024
    with pytest.raises(CsvError) as refused:
        read_rows(bomb)
    assert "too large to read (more than 100 MB unpacked)" in refused.value.message


def test_a_workbook_of_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(csvfiles, "MAX_SHEET_ROWS", 50)
    rows = [("NW-LT14", 1)] * 51
    with pytest.raises(CsvError, match="more than 50 rows"):
        list(read_rows(xlsx(*rows)))
    assert len(list(read_rows(xlsx(*rows[:50])))) == 50


def test_columns_beyond_the_hundredth_are_not_read():
    book = Workbook()
    book.active["A1"], book.active["CV1"], book.active["XFD1"] = "sku", "100th", "far away"
    book.active["A1000"] = "last row"
    out = io.BytesIO()
    book.save(out)
    rows = [(row.line, len(row.cells), row.cells[-1]) for row in read_rows(out.getvalue())]
    assert rows == [(1, 100, "100th"), (1000, 100, "")]


def test_an_old_excel_workbook_is_refused_with_what_to_save_instead():
    with pytest.raises(CsvError, match=r"Excel 97-2003 workbook \(\.xls\)"):
        read_rows(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)


def test_a_worksheet_cell_with_a_control_character_is_refused():
    # openpyxl leaves no way to write one; the check stands behind XML's own refusal.
    with pytest.raises(CsvError, match="Line 3 contains a control character"):
        csvfiles._workbook_cells(("NW-LT14", "2\x00"), 3)
