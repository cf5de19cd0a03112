"""CSV feeds column-wise (bench/feed_parse.py, 1,000,000 GBK rows: 4.2 s against the row parser's
6.9 s). Polars reads each piece of the file and accepts, column by column, only what it can be sure
the row parser accepts with the same value: an 18-character ID number with its check digit (birth
date and region looked up once per distinct value), amounts written 1234.50 or 1,234.50, and any
other cell whose distinct text the row parser itself has read. Every other row, and every row with
a bad cell, goes to reader.RowParser: its verdicts, values and reasons are the reference
(tests/feeds/test_reader.py compares both ways on the same files)."""

from __future__ import annotations

import heapq
import operator
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import polars as pl

from backend import pii as pii_rules
from backend.feeds import cells
from backend.feeds.columns import ID_NUMBER, VILLAGE_CODE
from backend.tabular import CellError

if TYPE_CHECKING:
    from backend.feeds.reader import FeedReject, RowParser

# The checksum of GB 11643 as stdnum computes it: (1 - 2 * int(first 17 digits, base 13)) % 11.
_CHECK_DIGITS = "0123456789X"
_ID = r"^[0-9]{17}[0-9X]$"  # [0-9], not \d: Polars' \d also matches full-width digits
_PLAIN_AMOUNT = rf"^[0-9]{{1,{cells.MAX_YUAN_DIGITS}}}(\.[0-9]{{0,2}})?$"
_GROUPED_AMOUNT = r"^[0-9]{1,3}(,[0-9]{3}){1,3}(\.[0-9]{1,2})?$"  # 1,234.50; 12 digits at most
_YUAN = pl.Decimal(cells.MAX_YUAN_DIGITS + 2, 2)
_VALUE, _OK = "value_", "ok_"


def pieces(
    texts: Iterator[str], delimiter: str, first_row_no: int, parser: RowParser
) -> Iterator[tuple[list[tuple], list[FeedReject], int]]:
    """Each piece of CSV text (whole records; the first numbered `first_row_no`) as its valid
    rows, its rejects, and the non-empty rows read so far."""
    names = [f"c{i}" for i in range(parser.width)]
    row_no = first_row_no
    read = 0
    for text in texts:
        frame = pl.read_csv(
            text.encode(), has_header=False, schema={n: pl.String for n in names}, separator=delimiter,
            truncate_ragged_lines=True, missing_columns="insert", raise_if_empty=False,  # short and long rows
        ).with_row_index("row_no", offset=row_no)  # fmt: skip
        row_no += frame.height
        frame = frame.filter(pl.any_horizontal(pl.col(n).is_not_null() & (pl.col(n) != "") for n in names))
        read += frame.height
        yield *_parse(frame, names, parser), read


def _parse(frame: pl.DataFrame, names: list[str], parser: RowParser) -> tuple[list[tuple], list[FeedReject]]:
    spec, column_of = parser.spec, {key: names[i] for i, key in enumerate(parser.keys) if key is not None}
    typed = [_id_cells(frame, column_of.get(ID_NUMBER.key), required=spec.id_required)]
    for slot, field in enumerate(spec.fields, start=1):
        typed.append(_cells(frame, column_of.get(field.key), field.parse, required=field.column.required, slot=slot))
    values = frame.select("row_no", *(v for v, _ in typed), *(ok for _, ok in typed))
    ok = [pl.col(f"{_OK}{i}") for i in range(len(typed))]
    value = {ID_NUMBER.key: pl.col(f"{_VALUE}0")} | {f.key: pl.col(f"{_VALUE}{i + 1}") for i, f in enumerate(spec.fields)}
    for check in spec.checks:
        low, high = value[check.lower], value[check.upper]
        ok.append(low.is_null() | high.is_null() | (low <= high))
    if not spec.id_required:
        ok.append(value[ID_NUMBER.key].is_null() != value[VILLAGE_CODE].is_null())
    sure = values.with_columns(pl.all_horizontal(ok).alias("sure"))
    fast, slow = sure.filter(pl.col("sure")), sure.filter(~pl.col("sure"))
    rows = _rows(fast, len(spec.fields), parser)
    slow_rows, rejects = [], []
    if slow.height:
        records = frame.join(slow.select("row_no"), on="row_no", how="semi")
        for row_no, *record in records.iter_rows():
            parsed = parser([cell or "" for cell in record], row_no)
            if type(parsed) is tuple:
                slow_rows.append(parsed)
            else:
                rejects += parsed
    return list(heapq.merge(rows, slow_rows, key=operator.itemgetter(0))), rejects


def _rows(fast: pl.DataFrame, fields: int, parser: RowParser) -> list[tuple]:
    numbers = fast[f"{_VALUE}0"]
    if numbers.null_count():  # water: rows naming a village
        indexes = [parser.pii.id_index(n) if n is not None else None for n in numbers.to_list()]
    else:
        indexes = parser.pii.id_indexes(numbers.to_list())
    masked = (fast[f"{_VALUE}0"].str.slice(0, 6) + "********" + fast[f"{_VALUE}0"].str.slice(14, 4)).to_list()
    columns = [fast[f"{_VALUE}{i + 1}"].to_list() for i in range(fields)]
    rows = list(zip(fast["row_no"].to_list(), indexes, masked, *columns, strict=True))
    if parser.spec.fills:
        rows = [parser.filled(row) for row in rows]
    return rows


def _id_cells(frame: pl.DataFrame, column: str | None, *, required: bool) -> tuple[pl.Expr, pl.Expr]:
    """The normalised number where Polars is sure, and whether the cell is sure."""
    if column is None:
        return pl.lit(None, pl.String).alias(f"{_VALUE}0"), pl.lit(not required).alias(f"{_OK}0")
    number = pl.col(column).str.strip_chars().str.to_uppercase()
    body = number.str.slice(0, 17).str.to_integer(base=13, strict=False)
    check = pl.lit(_CHECK_DIGITS).str.slice((23 - 2 * (body % 11)) % 11, 1)
    # Birth dates and regions (with the birth year) as pii checks them, once per distinct value.
    digits = frame.select(number.filter(number.str.contains(_ID)))[column]
    births = [b for b in digits.str.slice(6, 8).unique().to_list() if pii_rules.birth_date_exists(b)]
    regions = [r for r in digits.str.slice(0, 10).unique().to_list() if pii_rules.region_existed(r[:6], r[6:])]
    sure = (
        number.str.contains(_ID) & (number.str.slice(17, 1) == check)
        & number.str.slice(6, 8).is_in(births) & number.str.slice(0, 10).is_in(regions)
    ).fill_null(False)  # fmt: skip
    empty = pl.col(column).is_null()
    return (
        pl.when(sure).then(number).alias(f"{_VALUE}0"),
        (sure | empty if not required else sure).alias(f"{_OK}0"),
    )


def _cells(
    frame: pl.DataFrame, column: str | None, parse: Callable[[str], object], *, required: bool, slot: int
) -> tuple[pl.Expr, pl.Expr]:
    """A field's value where Polars is sure (named value_<slot>), and whether it is (ok_<slot>)."""
    names = f"{_VALUE}{slot}", f"{_OK}{slot}"
    if column is None:
        return pl.lit(None).alias(names[0]), pl.lit(not required).alias(names[1])
    if parse is cells.amount_fen:
        return _amounts(column, required=required, names=names)
    # Any other cell: the row parser reads each distinct text once (dates, enums, free text).
    old: list[str] = []
    new: list[object] = []
    blank: list[str] = []
    for raw in frame[column].unique().drop_nulls().to_list():
        text = raw.strip()
        if not text:
            blank.append(raw)
            continue
        try:
            new.append(parse(text))
        except CellError:
            continue
        old.append(raw)
    cell = pl.col(column)
    value = cell.replace_strict(old, pl.Series(new), default=None) if old else pl.lit(None)
    sure = cell.is_in(old)
    if not required:
        sure = sure | cell.is_null() | cell.is_in(blank)
    return value.alias(names[0]), sure.fill_null(False).alias(names[1])


def _amounts(column: str, *, required: bool, names: tuple[str, str]) -> tuple[pl.Expr, pl.Expr]:
    text = pl.col(column).str.strip_chars()
    # A decimal read of the text is exact; its scale, two, makes fen of it.
    yuan = text.str.replace_all(",", "", literal=True).cast(_YUAN, strict=False)
    sure = (text.str.contains(_PLAIN_AMOUNT) | text.str.contains(_GROUPED_AMOUNT)).fill_null(False) & yuan.is_not_null()
    fen = pl.when(sure).then((yuan * 100).cast(pl.Int64))
    if not required:
        sure = sure | pl.col(column).is_null()
    return fen.alias(names[0]), sure.alias(names[1])
