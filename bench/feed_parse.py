"""Parsing a department feed (issue 15): a 1,000,000-row medical export as Excel on Chinese Windows
saves it (GBK CSV, a title row above the headers, 1 % bad rows, one bad cell each), read by
- `csv`: the csv module decoding GB 18030 and splitting rows, nothing else — the floor of reading
  in Python;
- `reader`: backend.feeds.reader as the worker uses it, everything before COPY (ID checksum, birth
  date and region, blind index, mask, dates, amounts in fen, cross-checks, rejects with reasons):
  Polars column-wise for the rows it is sure of, the row parser for the others;
- `row-parser`: the same reader's row parser for every row (what XLSX gets);
and a 1,000,000-row XLSX of the same feed: python-calamine and openpyxl in read-only mode, cells
only, then the whole reader (`xlsx-reader`: streamed by openpyxl at this size, see
streaming.XLSX_IN_MEMORY_MAX_XML_BYTES; `xlsx-reader-cal`: made to use calamine). Each variant runs in its own process, so its
peak memory (ru_maxrss) is its own; CPU seconds (user + system, all threads) are shown beside the
wall clock because the machine may be shared. Files are generated once into --dir and reused.

    .venv/bin/python bench/feed_parse.py [--rows 1000000] [--xlsx-rows 1000000] [--dir /tmp/fangpin-feed-bench]

Measured on the 2-core machine, quiet (seconds wall / CPU, peak MiB): csv 0.81 / 0.81, 87; reader
4.17 / 4.94, 189; row-parser 6.94 / 6.94, 113; xlsx-calamine 8.87, 820; xlsx-openpyxl 70.3, 175;
xlsx-reader 102 (openpyxl at this size), 197; xlsx-reader-cal 22.9 (16.4 CPU), 821.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from stdnum.cn import ric

from backend.feeds.reader import open_feed
from backend.pii import Pii
from backend.tabular import streaming
from schemas.feeds import FeedCode

REGIONS = ("430726", "430721", "430702", "430703")  # 石门县 and its neighbours in 常德
HEADER = ("序号", "姓名", "公民身份号码", "就诊日期", "出院日期", "医疗总费用（元）", "统筹支付", "个人自付", "备注")
SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
BAD_SHARE = 0.01
# One bad cell per bad row, each kind in turn: (column index, what to write over it).
BAD_CELLS: tuple[tuple[int, Callable[[str], str]], ...] = (
    (2, lambda v: v[:-1] + ("0" if v[-1] != "0" else "1")),  # check digit
    (2, lambda v: v[:10] + "1332" + v[14:]),  # 32 December
    (2, lambda v: ""),
    (2, lambda v: "4.30726E+17"),
    (3, lambda v: "2026-13-01"),
    (4, lambda v: "下月"),
    (5, lambda v: "-" + v),
    (6, lambda v: v + "5" if "." in v else v + ".125"),
    (7, lambda v: "１２３"),  # full-width digits
)
CHILD_VARIANTS = ("csv", "reader", "row-parser", "xlsx-calamine", "xlsx-openpyxl", "xlsx-reader", "xlsx-reader-cal")


def _id_number(rng: random.Random) -> str:
    # Born 1988 or later: stdnum (so pii.normalize_id_number) refuses a region code for a birth
    # year before the code existed, and these counties' codes date from 1988.
    birth = dt.date(1988, 1, 1) + dt.timedelta(days=rng.randrange(12_000))
    body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def medical_rows(rows: int, seed: int = 15) -> list[list[str]]:
    """The export's data rows as text; every 100th has one bad cell (BAD_CELLS in turn)."""
    rng = random.Random(seed)
    every = round(1 / BAD_SHARE)
    out = []
    for n in range(1, rows + 1):
        start = dt.date(2025, 11, 1) + dt.timedelta(days=rng.randrange(330))
        total = rng.randrange(5_000, 5_000_000)  # fen
        reimbursed = total * rng.randrange(40, 90) // 100
        own = rng.randrange(0, total - reimbursed + 1)
        row = [
            str(n),
            rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            _id_number(rng),
            start.isoformat() if n % 3 else f"{start.year}/{start.month}/{start.day}",
            (start + dt.timedelta(days=rng.randrange(30))).isoformat(),
            f"{total / 100:.2f}" if n % 7 else f"{total // 100:,}.{total % 100:02d}",
            f"{reimbursed / 100:.2f}",
            f"{own / 100:.2f}",
            "",
        ]
        if n % every == 0:
            column, spoil = BAD_CELLS[(n // every) % len(BAD_CELLS)]
            row[column] = spoil(row[column])
        out.append(row)
    return out


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="gb18030", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["石门县医疗保障局 2026年10月 参保人员医疗费用结算明细"])
        writer.writerow(HEADER)
        writer.writerows(medical_rows(rows))


def write_xlsx(path: Path, rows: int) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("结算明细")
    sheet.append(["石门县医疗保障局 2026年10月 参保人员医疗费用结算明细"])
    sheet.append(HEADER)
    for row in medical_rows(rows):
        sheet.append([row[0], row[1], row[2], row[3], row[4], *(_number_or_text(v) for v in row[5:8]), row[8]])
    book.save(path)


def _number_or_text(value: str) -> object:
    if not value.isascii():
        return value  # float() would read full-width digits
    try:
        return float(value.replace(",", ""))  # a number cell, as Excel keeps money
    except ValueError:
        return value


def make_pii() -> Pii:
    return Pii(b"\x01" * 32, b"\x02" * 32)


def run_csv(path: Path) -> dict[str, int]:
    with path.open(encoding="gb18030", newline="") as text:
        return {"rows": sum(1 for _ in csv.reader(text)) - 2}


def run_reader(path: Path) -> dict[str, int]:
    rows = rejects = 0
    for chunk in open_feed(path, FeedCode.medical, make_pii()):
        rows += len(chunk.rows)
        rejects += len(chunk.rejects)
    return {"rows": rows, "rejects": rejects}


def run_row_parser(path: Path) -> dict[str, int]:
    rows = rejects = 0
    reader = open_feed(path, FeedCode.medical, make_pii())
    records = itertools.islice(streaming.csv_records(path, reader.encoding, ","), reader.header_row, None)
    for chunk in reader.row_chunks(records, first_row_no=reader.header_row + 1):
        rows += len(chunk.rows)
        rejects += len(chunk.rejects)
    return {"rows": rows, "rejects": rejects}


def run_xlsx_calamine(path: Path) -> dict[str, int]:
    streaming.XLSX_IN_MEMORY_MAX_XML_BYTES = 1 << 62  # calamine whatever the size
    return {"rows": sum(1 for _ in streaming.xlsx_records(path, None)) - 2}


def run_xlsx_reader_calamine(path: Path) -> dict[str, int]:
    streaming.XLSX_IN_MEMORY_MAX_XML_BYTES = 1 << 62
    return run_reader(path)


def run_xlsx_openpyxl(path: Path) -> dict[str, int]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 2
    book.close()
    return {"rows": rows}


RUNS: dict[str, Callable[[Path], dict[str, int]]] = {
    "csv": run_csv,
    "reader": run_reader,
    "row-parser": run_row_parser,
    "xlsx-calamine": run_xlsx_calamine,
    "xlsx-openpyxl": run_xlsx_openpyxl,
    "xlsx-reader": run_reader,
    "xlsx-reader-cal": run_xlsx_reader_calamine,
}


def child(variant: str, path: Path) -> None:
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = RUNS[variant](path)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"variant": variant, "seconds": seconds, "cpu": cpu, "peak_mib": peak_mib, **result}))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def in_child(*args: str) -> str:
    """Run this script again in a fresh process: Linux carries ru_maxrss across fork and exec, so
    the parent never holds generated rows itself."""
    done = subprocess.run(
        [sys.executable, __file__, *args],
        check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )  # fmt: skip
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/fangpin-feed-bench"))
    parser.add_argument("--repeat", type=int, default=3, help="runs of each CSV variant; the fastest is shown")
    parser.add_argument("--skip", nargs="*", default=[], choices=CHILD_VARIANTS)
    parser.add_argument("--child", choices=CHILD_VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--generate", choices=("csv", "xlsx"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file)
        return
    if args.generate:
        (write_csv if args.generate == "csv" else write_xlsx)(args.file, args.rows)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    files = {"csv": args.dir / f"medical-{args.rows}.gbk.csv", "xlsx": args.dir / f"medical-{args.xlsx_rows}.xlsx"}
    for kind, path in files.items():
        if not path.exists():
            started = time.perf_counter()
            rows = args.rows if kind == "csv" else args.xlsx_rows
            in_child("--generate", kind, "--rows", str(rows), "--file", str(path.with_suffix(".part")))
            path.with_suffix(".part").rename(path)
            print(f"generated {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - started:.0f} s")
    print(f"{'variant':<15}{'rows':>10}{'rejects':>9}{'seconds':>9}{'CPU s':>7}{'rows/s':>11}{'peak MiB':>10}")
    for variant in CHILD_VARIANTS:
        if variant in args.skip:
            continue
        kind = "xlsx" if variant.startswith("xlsx") else "csv"
        runs = [json.loads(in_child("--child", variant, "--file", str(files[kind])))
                for _ in range(1 if kind == "xlsx" else args.repeat)]  # fmt: skip
        figures = min(runs, key=lambda r: r["seconds"])
        print(
            f"{variant:<15}{figures['rows']:>10,}{figures.get('rejects', ''):>9}{figures['seconds']:>9.2f}{figures['cpu']:>7.2f}"
            f"{figures['rows'] / figures['seconds']:>11,.0f}{figures['peak_mib']:>10.0f}"
        )


if __name__ == "__main__":
    main()
