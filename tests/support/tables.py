"""Files as people upload them: workbooks written by openpyxl, a damaged one, a "zip bomb",
and CSV in the encodings Chinese Excel saves."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence

from openpyxl import Workbook


def xlsx(*rows: Sequence, sheets: int = 1) -> bytes:
    """A workbook whose first sheet holds `rows` (a value starting with "=" is a formula)."""
    book = Workbook()
    for rows_of_sheet in [rows, *([[("other sheet",)]] * (sheets - 1))]:
        sheet = book.active if rows_of_sheet is rows else book.create_sheet()
        for row in rows_of_sheet:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_cached_values(data: bytes, values: dict[str, str]) -> bytes:
    """`data` with the formula cells named in `values` ({"B2": "2"}) given the value a
    spreadsheet saves with a formula it calculated (openpyxl writes none)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            content = source.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for cell, value in values.items():
                    text, found = re.subn(
                        rf'(<c r="{cell}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v></v>)?',
                        rf"\1\2<v>{value}</v>",
                        text,
                    )
                    assert found == 1, f"no formula in {cell}"
                content = text.encode()
            target.writestr(part, content)
    return out.getvalue()


def zip_bomb(unpacked: int) -> bytes:
    """An .xlsx-looking archive whose sheet unpacks to `unpacked` bytes of one repeated row
    (a few hundred kilobytes packed)."""
    row = b'<row><c t="inlineStr"><is><t>NW-LT14</t></is></c></row>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = row * (1024 * 1024 // len(row))
            for _ in range(unpacked // len(chunk) + 1):
                sheet.write(chunk)
    return out.getvalue()


def damaged(data: bytes) -> bytes:
    """A workbook cut short, as an upload broken off half-way."""
    return data[: len(data) // 2]


def upload_file(client, url: str, data: bytes, name: str, **fields):
    """POST `data` as the form's `file` (encoded in memory: the test client would spool a
    large body to a file it never closes)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import stream_encode_multipart

    stream, _length, boundary = stream_encode_multipart(
        {"file": FileStorage(io.BytesIO(data), filename=name), **fields}, use_tempfile=False
    )
    return client.post(
        url, data=stream.read(), content_type=f"multipart/form-data; boundary={boundary}"
    )
