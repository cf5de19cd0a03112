"""Reading an uploaded table: CSV in UTF-8 (with or without BOM) or GBK, comma or tab separated,
or the first sheet of an XLSX workbook. Headers may be a column's English key or its Chinese label.
No I/O beyond the bytes given."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import openpyxl

from backend.tabular.errors import ImportFileInvalid
from schemas.base import ErrorDetail

# Encodings we read, as we name them in a batch record. Excel in China saves "CSV" as GBK; we
# decode with GB 18030, its superset, so every GBK file reads.
ENCODING_UTF8_BOM = "utf-8-sig"
ENCODING_UTF8 = "utf-8"
ENCODING_GBK = "gbk"
ENCODING_XLSX = "xlsx"
XLSX_MAGIC = b"PK\x03\x04"  # an XLSX file is a zip archive
# Spreadsheet exports often carry a running number; it means nothing to an importer.
IGNORED_HEADERS = frozenset({"序号", "no", "row"})


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header county staff type
    required: bool = False
    household: bool = False  # registry import: a household attribute, given once per household
    aliases: tuple[str, ...] = ()  # other Chinese headers the same column goes by in exports

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.key, self.label, *self.aliases)


@dataclass(frozen=True)
class RawRow:
    row: int  # the spreadsheet row number: the header is row 1
    cells: dict[str, str]  # column key → stripped cell text ("" when empty)


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was in: UTF-8 with or without BOM, else GBK."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), ENCODING_UTF8_BOM
        except UnicodeDecodeError:
            raise ImportFileInvalid("文件标明是 UTF-8 编码，但内容不是，请重新导出") from None
    try:
        return data.decode("utf-8"), ENCODING_UTF8
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), ENCODING_GBK
    except UnicodeDecodeError:
        raise ImportFileInvalid("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV 文件") from None


def read_table(
    data: bytes, columns: Sequence[Column], *, max_rows: int, max_bytes: int
) -> tuple[list[RawRow], str]:
    """The file's non-empty data rows keyed by column, and its encoding. A file too big, unreadable
    or with a bad header raises ImportFileInvalid (with one detail per header problem)."""
    if len(data) > max_bytes:
        raise ImportFileInvalid(f"文件太大，每次最多导入 {max_bytes // 1024 // 1024} MB")
    if data.startswith(XLSX_MAGIC):
        records, encoding = _xlsx_records(data), ENCODING_XLSX
    else:
        text, encoding = decode(data)
        first_line = text.split("\n", 1)[0]
        delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
        records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(records, None)
    if not header or not any(h.strip() for h in header):
        raise ImportFileInvalid("文件是空的")
    keys = _header_keys(header, columns)
    rows: list[RawRow] = []
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= max_rows:
            raise ImportFileInvalid(f"每次最多导入 {max_rows} 行，请分批导入")
        cells = {key: "" for key in keys if key is not None}
        for key, cell in zip(keys, record, strict=False):
            if key is not None:
                cells[key] = cell.strip()
        rows.append(RawRow(number, cells))
    return rows, encoding


def header_index(columns: Sequence[Column]) -> dict[str, str]:
    """Every header a column answers to (key, label, aliases) → its key."""
    return {header: c.key for c in columns for header in c.headers}


def _xlsx_records(data: bytes) -> Iterator[list[str]]:
    """The first sheet's rows as cell texts, streamed (read-only mode keeps memory flat)."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportFileInvalid("无法读取该 XLSX 文件，请用表格软件重新保存后上传") from None
    try:
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [cell_text(v) for v in values]
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A typed cell as the text a CSV export would hold: 12.0 → "12", a date → "2024-03-15",
    0.1 + 0.2 → "0.3" (the 15 significant digits Excel itself shows)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _header_keys(header: Iterable[str], columns: Sequence[Column]) -> list[str | None]:
    to_key = header_index(columns)
    keys: list[str | None] = []
    problems: list[ErrorDetail] = []
    for name in (h.strip() for h in header):
        key = to_key.get(name) or to_key.get(name.lower())
        if key is None and name.lower() not in IGNORED_HEADERS and name:
            problems.append(ErrorDetail(field=name, reason="无法识别的列名"))
        if key is not None and key in keys:
            problems.append(ErrorDetail(field=name, reason="列名重复"))
        keys.append(key)
    for column in columns:
        if column.required and column.key not in keys:
            problems.append(ErrorDetail(field=column.key, reason=f"缺少必填列「{column.label}」({column.key})"))
    if problems:
        raise ImportFileInvalid("文件的表头不正确，请使用导入模板的列名", problems)
    return keys
