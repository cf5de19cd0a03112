"""Reading a department's file into staging rows (DOMAIN §7.1, docs/feeds.md): streamed, so memory
stays flat whatever the file size, in chunks of valid rows ready for COPY plus the rejects. A row
with any bad cell is rejected whole and each bad cell reported once. The clear ID number exists
only while its row is parsed: rows carry its blind index and masked form, rejects the masked form."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import msgspec

from backend.boundary import control_character_reason
from backend.feeds import cells
from backend.feeds.columns import ID_NUMBER, SPECS, FeedSpec
from backend.pii import Pii, mask_id_number
from backend.tabular import CellError, ImportFileInvalid, streaming
from schemas.feeds import FeedCode

HEADER_SCAN_ROWS = 20  # title rows above the header are common; twenty is more than any export has
EMPTY_REQUIRED = "必填项为空"
_ABSENT = 1 << 30  # the cell index of a column the file lacks: no record is that long


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
            records = streaming.xlsx_records(path, sheet)
        else:
            records = streaming.csv_records(path, encoding)
        header, rest = streaming.locate_header(records, spec.columns, scan_rows=HEADER_SCAN_ROWS)
    if header is None:
        records.close()
        needed = "、".join(c.label for c in spec.columns if c.required) or "身份证号或村代码"
        raise FeedFileRejected("feed_columns_missing", f"前 {HEADER_SCAN_ROWS} 行中没有找到表头，需要的列：{needed}")
    problem = _header_problem(spec, header)
    if problem is not None:
        records.close()
        raise FeedFileRejected(*problem)
    return FeedReader(spec, pii, records, rest, header, encoding, chunk_rows)


def _header_problem(spec: FeedSpec, header: streaming.Header) -> tuple[str, str] | None:
    if header.missing:
        names = "、".join(f"「{c.label}」({c.key})" for c in header.missing)
        return "feed_columns_missing", f"第 {header.row} 行的表头缺少必填列：{names}"
    if not spec.id_required and not {ID_NUMBER.key, "village_code"} & set(header.keys):
        return "feed_columns_missing", f"第 {header.row} 行的表头缺少「身份证号」或「村代码」列，至少要有一列"
    if header.repeated:
        return "feed_columns_repeated", f"第 {header.row} 行的表头中这些列重复了：{'、'.join(header.repeated)}"
    return None


@contextlib.contextmanager
def _rejecting() -> Iterator[None]:
    """The tabular reader's refusals as the batch's failure codes."""
    try:
        yield
    except streaming.SheetNotFound as exc:
        raise FeedFileRejected("feed_sheet_not_found", exc.message) from None
    except ImportFileInvalid as exc:
        raise FeedFileRejected("feed_file_unreadable", exc.message) from None


class FeedReader:
    """An iterable of FeedChunk, read once. `encoding`: utf-8, utf-8-sig, gb18030 or xlsx;
    `header_row`: the 1-based row the headers were found on."""

    def __init__(
        self,
        spec: FeedSpec,
        pii: Pii,
        source: Iterator[list[str]],
        records: Iterator[list[str]],
        header: streaming.Header,
        encoding: str,
        chunk_rows: int,
    ) -> None:
        self.encoding = encoding
        self.header_row = header.row
        self._spec, self._pii, self._source, self._records = spec, pii, source, records
        self._keys = header.keys
        self._chunk_rows = chunk_rows

    def close(self) -> None:
        self._source.close()  # type: ignore[attr-defined]  # a generator: closes the file

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[FeedChunk]:
        try:
            with _rejecting():
                yield from self._chunks()
        finally:
            self.close()

    def _at(self, key: str) -> int:
        return self._keys.index(key) if key in self._keys else _ABSENT

    def _chunks(self) -> Iterator[FeedChunk]:
        spec, chunk_rows = self._spec, self._chunk_rows
        id_index, id_required = self._pii.id_index, spec.id_required
        id_at = self._at(ID_NUMBER.key)
        plan = [(self._at(f.key), f.key, f.parse, f.column.required) for f in spec.fields]
        # Where each key's value sits in a staging row: row_no, id index, id masked, fields.
        slot = {ID_NUMBER.key: 1} | {f.key: 3 + i for i, f in enumerate(spec.fields)}
        checks = [(c.column, self._at(c.column), slot[c.keys[0]], slot[c.keys[1]], c.keys, c.test) for c in spec.checks]
        fills = [(slot[f.column], [slot[k] for k in f.keys], f.fill) for f in spec.fills]
        rows: list[tuple] = []
        rejects: list[FeedReject] = []
        read = chunk_start = 0
        yielded = False
        row_no = self.header_row
        for record in self._records:
            row_no += 1
            if not any(record):
                continue
            read += 1
            problems: list[FeedReject] | None = None
            try:
                text = record[id_at].strip()
            except IndexError:
                text = ""
            if text:
                try:
                    number = cells.id_number(text)
                    out: list[object] = [row_no, id_index(number), mask_id_number(number)]
                except CellError as exc:
                    problems = [_reject(row_no, ID_NUMBER.key, text, _reason(text, exc))]
                    out = [row_no, None, None]
            else:
                if id_required:
                    problems = [FeedReject(row_no, ID_NUMBER.key, "", EMPTY_REQUIRED)]
                out = [row_no, None, None]
            for at, key, parse, required in plan:
                try:
                    text = record[at].strip()
                except IndexError:
                    text = ""
                if text:
                    try:
                        out.append(parse(text))
                        continue
                    except CellError as exc:
                        reject = _reject(row_no, key, text, _reason(text, exc))
                elif required:
                    reject = FeedReject(row_no, key, "", EMPTY_REQUIRED)
                else:
                    out.append(None)
                    continue
                out.append(None)
                problems = [reject] if problems is None else [*problems, reject]
            for column, at, first, second, check_keys, test in checks:
                if problems and any(p.column_key in check_keys for p in problems):
                    continue  # a cell it compares is already reported
                if reason := test(out[first], out[second]):
                    reject = _reject(row_no, column, record[at].strip() if at < len(record) else "", reason)
                    problems = [reject] if problems is None else [*problems, reject]
            if problems:
                rejects.extend(sorted(problems, key=lambda p: slot[p.column_key]))  # in the file's order
            else:
                for at, sources, fill in fills:
                    if out[at] is None:
                        out[at] = fill(*(out[s] for s in sources))
                rows.append(tuple(out))
            if read - chunk_start >= chunk_rows:
                yield FeedChunk(rows, rejects, read)
                rows, rejects, chunk_start, yielded = [], [], read, True
        if rows or rejects or not yielded:
            yield FeedChunk(rows, rejects, read)


def _reason(text: str, exc: CellError) -> str:
    return control_character_reason(text) or str(exc)  # the plainer reason for a typed cell


def _reject(row_no: int, key: str, text: str, reason: str) -> FeedReject:
    return FeedReject(row_no, key, cells.reject_value(text, id_column=key == ID_NUMBER.key), reason)

