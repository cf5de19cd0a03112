"""Reading a department's file into staging rows (DOMAIN §7.1, docs/feeds.md): streamed, so memory
stays flat whatever the file size, in chunks of valid rows ready for COPY plus the rejects. A row
with any bad cell is rejected whole and each bad cell reported once. The clear ID number exists
only while its rows are parsed: rows carry its blind index and masked form, rejects the masked form.

RowParser reads one row cell by cell and is the reference for every verdict. CSV goes column-wise
through backend/feeds/columnar.py (Polars), which hands every row it is not sure of to RowParser;
XLSX rows go through RowParser directly."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import msgspec

from backend.boundary import control_character_reason
from backend.feeds import cells, columnar
from backend.feeds.columns import ID_NUMBER, PERSON_OR_VILLAGE, SPECS, VILLAGE_CODE, FeedSpec
from backend.pii import Pii, mask_id_number
from backend.tabular import CellError, ImportFileInvalid, streaming
from backend.tabular.errors import SheetNotFound
from schemas.feeds import FeedCode

HEADER_SCAN_ROWS = 20  # title rows above the header are common; twenty is more than any export has
EMPTY_REQUIRED = "必填项为空"
_ABSENT = 1 << 30  # the cell index of a column the file lacks: no record is that long
Cell = str | int | bytes | dt.date | None


class FeedFileRejected(Exception):
    """The whole file is refused (the batch fails with it): nothing of it is kept."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # feed_file_unreadable, feed_sheet_not_found, feed_columns_missing, feed_columns_repeated
        self.message = message  # Chinese, names the columns, the sheet or the encoding problem


class FeedReject(msgspec.Struct, frozen=True):
    row_no: int  # as the spreadsheet numbers it
    column_key: str
    value_masked: str  # the cell as typed (50 characters at most), an ID number masked
    reason: str


class FeedChunk(msgspec.Struct):
    rows: list[tuple]  # valid rows in STAGING_COLUMNS[feed] order
    rejects: list[FeedReject]
    rows_read: int  # non-empty data rows read so far in the file


def open_feed(
    path: Path, feed: FeedCode, pii: Pii, *, sheet: str | None = None, chunk_rows: int = 20_000
) -> FeedReader:
    """The file's reader, its header found; FeedFileRejected when the file cannot be read or
    lacks a required column. Reading on may still raise FeedFileRejected (a broken quote)."""
    spec = SPECS[feed]
    with _rejecting():
        encoding = streaming.file_encoding(path)
        if encoding == streaming.ENCODING_XLSX:
            delimiter, records = "", streaming.xlsx_records(path, sheet)
        else:
            delimiter = streaming.csv_delimiter(path, encoding)
            records = streaming.csv_records(path, encoding, delimiter)
        header, rest = streaming.locate_header(records, spec.columns, scan_rows=HEADER_SCAN_ROWS)
    if encoding != streaming.ENCODING_XLSX or header is None:
        records.close()  # CSV is read again, column-wise; an XLSX sheet is in memory already
        rest = None
    if header is None:
        needed = "、".join(c.label for c in spec.columns if c.required) or "身份证号或村代码"
        raise FeedFileRejected("feed_columns_missing", f"前 {HEADER_SCAN_ROWS} 行中没有找到表头，需要的列：{needed}")
    if problem := _header_problem(spec, header):
        records.close()
        raise FeedFileRejected(*problem)
    return FeedReader(path, encoding, delimiter, header, RowParser(spec, header.keys, pii), chunk_rows, rest)


def _header_problem(spec: FeedSpec, header: streaming.Header) -> tuple[str, str] | None:
    if header.missing:
        names = "、".join(f"「{c.label}」({c.key})" for c in header.missing)
        return "feed_columns_missing", f"第 {header.row} 行的表头缺少必填列：{names}"
    if not spec.id_required and not {ID_NUMBER.key, VILLAGE_CODE} & set(header.keys):
        return "feed_columns_missing", f"第 {header.row} 行的表头缺少「身份证号」或「村代码」列，至少要有一列"
    if header.repeated:
        return "feed_columns_repeated", f"第 {header.row} 行的表头中这些列重复了：{'、'.join(header.repeated)}"
    return None


@contextlib.contextmanager
def _rejecting() -> Iterator[None]:
    """The tabular reader's refusals as the batch's failure codes."""
    try:
        yield
    except SheetNotFound as exc:
        raise FeedFileRejected("feed_sheet_not_found", exc.message) from None
    except ImportFileInvalid as exc:
        raise FeedFileRejected("feed_file_unreadable", exc.message) from None


class FeedReader:
    """An iterable of FeedChunk, read once. `encoding`: utf-8, utf-8-sig, gb18030 or xlsx;
    `header_row`: the 1-based row the headers were found on."""

    def __init__(
        self,
        path: Path,
        encoding: str,
        delimiter: str,
        header: streaming.Header,
        parser: RowParser,
        chunk_rows: int,
        sheet_rows: Iterator[list[str]] | None,
    ) -> None:
        self.encoding = encoding
        self.header_row = header.row
        self._path, self._delimiter, self._parser, self._chunk_rows = path, delimiter, parser, chunk_rows
        self._sheet_rows = sheet_rows  # XLSX: the rows after the header

    def __iter__(self) -> Iterator[FeedChunk]:
        with _rejecting():
            if self._sheet_rows is not None:
                yield from self.row_chunks(self._sheet_rows, first_row_no=self.header_row + 1)
                return
            pieces = streaming.csv_pieces(
                self._path, self.encoding, self._delimiter, skip_records=self.header_row, piece_lines=self._chunk_rows
            )
            for rows, rejects, read in columnar.pieces(pieces, self._delimiter, self.header_row + 1, self._parser):
                yield FeedChunk(rows, rejects, read)

    def row_chunks(self, records: Iterator[list[str]], *, first_row_no: int) -> Iterator[FeedChunk]:
        """The chunks of `records`, the first numbered `first_row_no`, parsed row by row."""
        parse, chunk_rows, width = self._parser, self._chunk_rows, self._parser.width
        rows: list[tuple[Cell, ...]] = []
        rejects: list[FeedReject] = []
        read = chunk_start = 0
        yielded = False
        for row_no, record in enumerate(records, start=first_row_no):
            if not any(record[:width]):  # cells right of the header's are not ours
                continue
            read += 1
            parsed = parse(record, row_no)
            if type(parsed) is tuple:
                rows.append(parsed)
            else:
                rejects += parsed
            if read - chunk_start >= chunk_rows:
                yield FeedChunk(rows, rejects, read)
                rows, rejects, chunk_start, yielded = [], [], read, True
        if rows or rejects or not yielded:
            yield FeedChunk(rows, rejects, read)


class RowParser:
    """One record (its cells' text, by position) → its staging row, or the rejects of its bad
    cells in the file's column order."""

    def __init__(self, spec: FeedSpec, keys: list[str | None], pii: Pii) -> None:
        self.spec, self.keys, self.width, self.pii = spec, keys, len(keys), pii
        self._id_index = pii.id_index

        def at(key: str) -> int:
            return keys.index(key) if key in keys else _ABSENT

        self._id_at = at(ID_NUMBER.key)
        self._plan = [(at(f.key), f.key, f.parse, f.column.required) for f in spec.fields]
        # Where each key's value sits in a staging row: row_no, id index, id masked, fields.
        self._slot = {ID_NUMBER.key: 1} | {f.key: 3 + i for i, f in enumerate(spec.fields)}
        self._checks = [(c.column, at(c.column), self._slot[c.lower], self._slot[c.upper], c.reason) for c in spec.checks]
        self._village = self._slot.get(VILLAGE_CODE) if not spec.id_required else None
        self._fills = [(self._slot[f.column], [self._slot[k] for k in f.keys], f.fill) for f in spec.fills]

    def __call__(self, record: list[str], row_no: int) -> tuple[Cell, ...] | list[FeedReject]:
        problems: list[FeedReject] = []
        try:
            id_text = record[self._id_at].strip()
        except IndexError:
            id_text = ""
        if id_text:
            try:
                number = cells.id_number(id_text)
                out: list[Cell] = [row_no, self._id_index(number), mask_id_number(number)]
            except CellError as exc:
                problems.append(_reject(row_no, ID_NUMBER.key, id_text, _reason(id_text, exc)))
                out = [row_no, None, None]
        else:
            if self.spec.id_required:
                problems.append(FeedReject(row_no, ID_NUMBER.key, "", EMPTY_REQUIRED))
            out = [row_no, None, None]
        for at, key, parse, required in self._plan:
            try:
                text = record[at].strip()
            except IndexError:
                text = ""
            if text:
                try:
                    out.append(parse(text))  # type: ignore[arg-type]
                    continue
                except CellError as exc:
                    problems.append(_reject(row_no, key, text, _reason(text, exc)))
            elif required:
                problems.append(FeedReject(row_no, key, "", EMPTY_REQUIRED))
            out.append(None)
        for column, at, lower, upper, reason in self._checks:
            low, high = out[lower], out[upper]
            if low is not None and high is not None and low > high:  # type: ignore[operator]
                problems.append(_reject(row_no, column, record[at].strip() if at < len(record) else "", reason))
        if (
            self._village is not None
            and (out[1] is None) == (out[self._village] is None)
            and not any(p.column_key in (ID_NUMBER.key, VILLAGE_CODE) for p in problems)  # reported already
        ):
            problems.append(_reject(row_no, ID_NUMBER.key, id_text, PERSON_OR_VILLAGE))
        if problems:
            return sorted(problems, key=lambda p: self._slot[p.column_key]) if len(problems) > 1 else problems
        return self.filled(tuple(out)) if self._fills else tuple(out)

    def filled(self, row: tuple[Cell, ...]) -> tuple[Cell, ...]:
        """A valid row with its empty defaulted cells filled in (negative list: the source)."""
        out = list(row)
        for slot, sources, fill in self._fills:
            if out[slot] is None:
                out[slot] = fill(*(out[s] for s in sources))
        return tuple(out)


def _reason(text: str, exc: CellError) -> str:
    return control_character_reason(text) or str(exc)  # the plainer reason for a typed cell


def _reject(row_no: int, key: str, text: str, reason: str) -> FeedReject:
    return FeedReject(row_no, key, cells.reject_value(text, id_column=key == ID_NUMBER.key), reason)
