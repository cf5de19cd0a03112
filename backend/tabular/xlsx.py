"""XLSX for people to open in Excel, written as it is sent: one sheet, a header row, then the rows
page by page into a zip stream, so an export of 100,000 alerts or orders holds one page in memory,
never the sheet. Text cells are inline strings (no shared-strings table to build first); numbers
stay numbers; dates are written as `YYYY-MM-DD` text so every Excel shows them the same way."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import re
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from xml.sax.saxutils import escape, quoteattr

from litestar.response import Stream

from backend.tabular.writing import attachment_headers

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Characters XML 1.0 cannot carry at all (a department's text may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name={name} sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
# Style 0 plain, style 1 the bold header.
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="2"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/><name val="等线"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
_SHEET_HEAD = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>
<sheetData>"""
_SHEET_TAIL = "</sheetData></worksheet>"


async def xlsx_chunks(
    sheet: str, header: Sequence[str], pages: AsyncIterable[Sequence[Sequence[object]]]
) -> AsyncIterator[bytes]:
    """The workbook's bytes, a piece per page of rows (pages as `csv_chunks` takes them)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as book:
        for name, text in _package(sheet):
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write((_SHEET_HEAD + _row_xml(1, header, style=1)).encode())
            number = 1
            async for page in pages:
                lines = []
                for row in page:
                    number += 1
                    lines.append(_row_xml(number, row))
                part.write("".join(lines).encode())
                yield sink.take()
            part.write(_SHEET_TAIL.encode())
    yield sink.take()


def xlsx_stream_download(chunks: AsyncIterable[bytes], file_name: str) -> Stream:
    """An attachment sent as it is made (from `xlsx_chunks`)."""
    return Stream(chunks, media_type=XLSX_MEDIA_TYPE, headers=attachment_headers(file_name))


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _package(sheet: str) -> list[tuple[str, str]]:
    name = _SHEET_NAME_FORBIDDEN.sub("_", sheet)[:31] or "Sheet1"
    return [
        ("[Content_Types].xml", _CONTENT_TYPES),
        ("_rels/.rels", _ROOT_RELS),
        ("xl/workbook.xml", _WORKBOOK.format(name=quoteattr(name))),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ("xl/styles.xml", _STYLES),
    ]


def _row_xml(number: int, cells: Sequence[object], *, style: int = 0) -> str:
    style_attr = f' s="{style}"' if style else ""
    parts = [f'<row r="{number}">']
    for index, value in enumerate(cells):
        if value is None:
            continue
        ref = f"{column_letters(index)}{number}"
        if isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool):
            parts.append(f'<c r="{ref}"{style_attr}><v>{value}</v></c>')
        else:
            text = value.isoformat() if isinstance(value, dt.date) else str(value)
            text = escape(_NOT_XML.sub("", text))
            parts.append(f'<c r="{ref}"{style_attr} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
    parts.append("</row>")
    return "".join(parts)


class _Sink(io.RawIOBase):
    """Where the zip writes; not seekable, so zipfile streams (data descriptors after each part)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data
