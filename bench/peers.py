"""The tools a county would otherwise use, each reading the same two files: the registry export
(UTF-8, ID numbers in clear) and the month's medical feed (GBK). Each joins them on the ID number
and applies the medical rule as an analyst would — per person, out-of-pocket ≥ 10,000 yuan or ≥ 50 %
of the household's last yearly net income — and validates nothing (no checksum, no date, an amount
that does not parse counts as nothing). `floor` is only a bare COPY of the feed into an unlogged
table of text columns.

bench/compare.py runs each in its own process, to read its peak memory:

    .venv/bin/python bench/peers.py pandas REGISTRY.csv FEED.csv [DSN]

and reads the one JSON line it prints: seconds (reading to answer, imports excluded), rows read
from the feed, persons flagged, peak RSS.
"""

from __future__ import annotations

import asyncio
import codecs
import importlib
import json
import sys
import tempfile
import time
from pathlib import Path

THRESHOLD_YUAN = 10_000
INCOME_SHARE = 0.5
ID, OOP, INCOME = "身份证号", "个人自付", "上年家庭纯收入"  # bench/synth.py's headers
FEED_ENCODING = "gbk"


def floor(registry: Path, feed: Path, dsn: str) -> tuple[int, int | None]:
    import asyncpg

    async def run() -> int:
        conn = await asyncpg.connect(dsn)
        try:
            columns = ", ".join(f"c{k} text" for k in range(7))
            await conn.execute(
                f"DROP TABLE IF EXISTS bench_feed_floor; CREATE UNLOGGED TABLE bench_feed_floor ({columns})"
            )
            status = await conn.copy_to_table(
                "bench_feed_floor",
                source=feed,
                format="csv",
                header=True,
                encoding=FEED_ENCODING.upper(),
            )
            await conn.execute("DROP TABLE bench_feed_floor")
            return int(status.split()[-1])
        finally:
            await conn.close()

    return asyncio.run(run()), None


def pandas(registry: Path, feed: Path, dsn: str) -> tuple[int, int]:
    import pandas as pd

    people = pd.read_csv(registry, dtype={ID: str, "户编号": str})
    visits = pd.read_csv(feed, encoding=FEED_ENCODING, dtype={ID: str})
    visits[OOP] = pd.to_numeric(visits[OOP], errors="coerce")
    matched = visits.merge(people, on=ID)
    per_person = matched.groupby(ID).agg(oop=(OOP, "sum"), income=(INCOME, "first"))
    flagged = (per_person.oop >= THRESHOLD_YUAN) | (per_person.oop >= INCOME_SHARE * per_person.income)
    return len(visits), int(flagged.sum())


def to_utf8(path: Path, out: Path) -> None:
    """DuckDB reads UTF-8 and Latin-1 only (GBK needs an extension it downloads): transcode first."""
    decoder = codecs.getincrementaldecoder(FEED_ENCODING)()
    with path.open("rb") as src, out.open("w", encoding="utf-8") as dst:
        while chunk := src.read(1 << 22):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))


def duckdb(registry: Path, feed: Path, dsn: str) -> tuple[int, int]:
    import duckdb as db

    with tempfile.TemporaryDirectory() as tmp:
        utf8 = Path(tmp) / "feed.csv"
        to_utf8(feed, utf8)
        rows, flagged = (
            db.connect()
            .execute(
                f"""
            WITH visits AS (
                SELECT "{ID}" AS id, "{OOP}" AS oop FROM read_csv($feed, header = true, all_varchar = true)),
            people AS (
                SELECT "{ID}" AS id, CAST("{INCOME}" AS DOUBLE) AS income
                FROM read_csv($registry, header = true, all_varchar = true)),
            per_person AS (
                -- cast here: DuckDB 2.0 pushes a TRY_CAST in `visits` into the CSV scan as a strict one
                SELECT v.id, sum(TRY_CAST(v.oop AS DOUBLE)) AS oop, any_value(p.income) AS income
                FROM visits v JOIN people p USING (id) GROUP BY v.id)
            SELECT (SELECT count(*) FROM visits),
                   count(*) FILTER (WHERE oop >= {THRESHOLD_YUAN} OR oop >= {INCOME_SHARE} * income)
            FROM per_person
            """,
                {"feed": str(utf8), "registry": str(registry)},
            )
            .fetchone()
        )
    return rows, flagged


def polars(registry: Path, feed: Path, dsn: str) -> tuple[int, int]:
    import polars as pl

    # Polars reads UTF-8 only; other encodings are decoded in memory by Python first.
    visits = pl.read_csv(feed, encoding=FEED_ENCODING, schema_overrides={ID: pl.String, OOP: pl.String})
    people = pl.scan_csv(
        registry,
        schema_overrides={ID: pl.String, "户编号": pl.String, INCOME: pl.Float64},
    )
    per_person = (
        visits.lazy()
        .select(pl.col(ID), pl.col(OOP).cast(pl.Float64, strict=False).alias("oop"))
        .join(people.select(ID, INCOME), on=ID)
        .group_by(ID)
        .agg(pl.col("oop").sum(), pl.col(INCOME).first())
        .filter((pl.col("oop") >= THRESHOLD_YUAN) | (pl.col("oop") >= INCOME_SHARE * pl.col(INCOME)))
        .collect()
    )
    return visits.height, per_person.height


PEERS = {"floor": floor, "pandas": pandas, "duckdb": duckdb, "polars": polars}
MODULES = {
    "floor": "asyncpg",
    "pandas": "pandas",
    "duckdb": "duckdb",
    "polars": "polars",
}


def main() -> None:
    name, registry, feed, *rest = sys.argv[1:]
    run = PEERS[name]
    importlib.import_module(MODULES[name])  # not timed
    start = time.perf_counter()
    rows, flagged = run(Path(registry), Path(feed), rest[0] if rest else "")
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": rows,
                "flagged": flagged,
                "peak_rss": peak_rss(),
            }
        )
    )


def peak_rss() -> int:
    """This process's high-water RSS in bytes (VmHWM; getrusage would count the parent's pages
    the child shared between fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    main()
