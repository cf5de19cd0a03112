"""Reading a table too big to hold in memory, from a file: CSV in UTF-8 (with or without BOM) or
GB 18030 (what Excel on Chinese Windows saves as "CSV", GBK being its subset), comma or tab
separated, or one sheet of an XLSX workbook; a row at a time, each as its cells' text. The header
row may sit below title rows: `locate_header` finds it. Department feeds read this way."""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from backend.tabular.errors import ImportFileInvalid
from backend.tabular.reading import (
    ENCODING_UTF8,
    ENCODING_UTF8_BOM,
    ENCODING_XLSX,
    XLSX_MAGIC,
    Column,
    cell_text,
    header_index,
)

ENCODING_GB18030 = "gb18030"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97–2003 (.xls), an OLE file: not read
# The encoding is decided on the first block that is not plain ASCII (where GBK and UTF-8 agree).
SNIFF_BYTES = 1 << 20
DELIMITER_SNIFF_LINES = 20
# A header's decorations: a required-column star, a unit in brackets ("总费用（元）"), spaces.
_HEADER_NOISE = re.compile(r"[*＊\s\u3000]|[（(][^）)]*[）)]")


class SheetNotFound(ImportFileInvalid):
    message = "XLSX 文件中没有指定的工作表"


def file_encoding(path: Path) -> str:
    """utf-8-sig, utf-8, gb18030 or xlsx, from the file's first bytes that tell them apart."""
    with path.open("rb") as stream:
        block = stream.read(SNIFF_BYTES)
        if block.startswith(XLSX_MAGIC):
            return ENCODING_XLSX
        if block.startswith(XLS_MAGIC):
            raise ImportFileInvalid("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后上传")
        if block.startswith(codecs.BOM_UTF8):
            return ENCODING_UTF8_BOM
        while block.isascii():
            if not (block := stream.read(SNIFF_BYTES)):
                return ENCODING_UTF8  # plain ASCII: every encoding reads it alike
    try:  # incremental: the block may end inside a character
        codecs.getincrementaldecoder("utf-8")().decode(block)
    except UnicodeDecodeError:
        return ENCODING_GB18030
    return ENCODING_UTF8


def csv_records(path: Path, encoding: str) -> Iterator[list[str]]:
    """The file's records, streamed. A byte the encoding cannot read becomes U+FFFD, so the row
    holding it is rejected rather than the file; a broken quote refuses the file."""
    with path.open(encoding=encoding, errors="replace", newline="") as text:
        head = list(itertools.islice(text, DELIMITER_SNIFF_LINES))
        delimiter = "\t" if sum(line.count("\t") for line in head) > sum(line.count(",") for line in head) else ","
        reader = csv.reader(itertools.chain(head, text), delimiter=delimiter)
        try:
            yield from reader
        except csv.Error:
            raise ImportFileInvalid(
                f"文件第 {reader.line_num} 行附近无法读取（引号不配对？），请用表格软件重新导出"
            ) from None


def xlsx_records(path: Path, sheet: str | None) -> Iterator[list[str]]:
    """The rows of the sheet named (default the first) as cell texts, from row 1. calamine holds
    the sheet's values in memory (Rust-side, compact); see bench/feed_parse.py for the figures."""
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError):
        raise ImportFileInvalid("无法读取该 XLSX 文件，请用表格软件重新保存后上传") from None
    with book:
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            raise SheetNotFound(f"文件中没有名为「{sheet}」的工作表，现有工作表：{'、'.join(names)}")
        if not names:
            raise ImportFileInvalid("XLSX 文件中没有工作表")
        try:
            rows = book.get_sheet_by_name(sheet or names[0])
        except CalamineError:
            raise ImportFileInvalid("无法读取该 XLSX 文件的工作表，请用表格软件重新保存后上传") from None
        for values in rows.iter_rows():  # from row 1, empty leading rows included
            yield [cell_text(v) for v in values]


def header_name(text: str) -> str:
    return _HEADER_NOISE.sub("", text).lower()


@dataclass
class Header:
    row: int  # its 1-based row number in the file
    keys: list[str | None]  # the column key of each cell position, None for a column not ours
    missing: list[Column] = field(default_factory=list)  # required columns it lacks
    repeated: list[str] = field(default_factory=list)  # headers naming a column already named


def locate_header(
    records: Iterator[list[str]], columns: Sequence[Column], *, scan_rows: int
) -> tuple[Header | None, Iterator[list[str]]]:
    """The row among the first `scan_rows` naming most of `columns` (the first such), and the
    records after it; None when no row names any."""
    to_key = {header_name(h): key for h, key in header_index(columns).items()}
    head = list(itertools.islice(records, scan_rows))
    best: tuple[int, list[str | None]] | None = None
    for number, record in enumerate(head, start=1):
        keys = [to_key.get(header_name(cell)) for cell in record]
        found = len({k for k in keys if k is not None})
        if found and (best is None or found > len({k for k in best[1] if k is not None})):
            best = (number, keys)
    if best is None:
        return None, iter(())
    number, keys = best
    header = Header(number, keys)
    header.missing = [c for c in columns if c.required and c.key not in keys]
    seen: set[str] = set()
    for name, key in zip(head[number - 1], keys, strict=True):
        if key is None:
            continue
        if key in seen:
            header.repeated.append(name.strip())
        seen.add(key)
    return header, itertools.chain(head[number:], records)
