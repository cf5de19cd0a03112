"""Alert evaluation at county scale, and the traffic light as a column against the same figures
computed from the alerts on every read (the choice docs/alerts.md reports).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/traffic_light.py [--households 200000] [--rows 200000]

Without DATABASE_URL the embedded server under .fangpin/bench is used. A scratch database is
created, migrated and loaded set-based (one county, 10 townships, 200 villages, three persons per
household), a medical batch is staged the way the pipeline leaves it (matched) and evaluated; the
database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch_db import scratch_database
import bench_county  # noqa: E402  (beside this file)

from backend.alerts import queries  # noqa: E402
from backend.alerts.service import BatchRef, evaluate_batch, refresh_traffic_lights  # noqa: E402
from backend.db import create_pool  # noqa: E402
from backend.embedded import servers  # noqa: E402
from migrations.runner import migrate  # noqa: E402
from schemas.feeds import FeedCode  # noqa: E402

COUNTY = "450102000000"
PERIOD = dt.date(2026, 10, 1)

# The alternative to the column: the light computed from the open alerts at read time.
SUMMARY_FROM_ALERTS = """
WITH worst AS (
    SELECT a.household_id, max(CASE a.level WHEN 'red' THEN 2 ELSE 1 END) AS rank
    FROM alerts a JOIN households h ON h.id = a.household_id
    WHERE a.status = 'open' AND h.village_code LIKE $1 || '%'
    GROUP BY a.household_id
)
SELECT v.code, v.name,
       count(h.id) FILTER (WHERE w.rank = 2) AS red,
       count(h.id) FILTER (WHERE w.rank = 1) AS yellow,
       count(h.id) FILTER (WHERE w.rank IS NULL) AS green
FROM regions v
LEFT JOIN households h ON h.village_code = v.code
LEFT JOIN worst w ON w.household_id = h.id
WHERE v.level = 'village' AND v.code LIKE $1 || '%' AND v.code LIKE $2
GROUP BY v.code, v.name
ORDER BY v.code
"""


async def seed(conn: asyncpg.Connection, households: int, rows: int) -> int:
    await conn.execute(bench_county.REGIONS_SQL)
    await conn.execute(
        """
        INSERT INTO households (household_no, village_code, category)
        SELECT 'B' || g, '450102' || lpad((1 + g % 10)::text, 3, '0') || lpad((1 + (g / 10) % 20)::text, 3, '0'),
               CASE WHEN g % 3 = 0 THEN 'lifted' ELSE 'ordinary' END
        FROM generate_series(1, $1) AS g
        """,
        households,
    )
    await conn.execute(
        """
        INSERT INTO persons (household_id, name, id_number_enc, id_number_bidx, id_number_masked, relation, sex,
                             birth_date)
        SELECT h.id, '成员' || h.id || '-' || m, '\\x00', sha256((h.id * 3 + m)::text::bytea), '450102********0000',
               (ARRAY['head', 'spouse', 'child'])[m + 1], 'male', '1980-01-01'
        FROM households h, generate_series(0, 2) AS m
        """
    )
    await conn.execute(
        """
        INSERT INTO household_incomes (household_id, year, member_count, wage_fen)
        SELECT id, 2025, 3, CASE WHEN id % 50 = 0 THEN 1800000 ELSE 4500000 END FROM households
        """
    )
    await conn.execute("INSERT INTO monitoring_thresholds VALUES (2025, '450000000000', 700000, '')")
    batch_id = await conn.fetchval(
        "INSERT INTO feed_batches (feed, region_code, period, source, file_name, file_sha256, size_bytes, "
        "storage_key, status) VALUES ('medical', $1, $2, 'cli', 'bench.csv', '\\x00', 0, 'bench', 'matching') "
        "RETURNING id",
        COUNTY,
        PERIOD,
    )
    # Rows for persons spread over the county; about 3 % cross the ordinary household's line.
    await conn.execute(
        """
        INSERT INTO feed_rows_medical (batch_id, row_no, id_number_bidx, id_number_masked, person_id, household_id,
                                       period_start, period_end, total_cost_fen, reimbursed_fen, out_of_pocket_fen)
        SELECT $1, g + 1, p.id_number_bidx, p.id_number_masked, p.id, p.household_id, $2::date, $2::date + 30,
               amount * 2, amount, amount
        FROM generate_series(1, $3) AS g
        JOIN persons p ON p.id = 1 + (g::bigint * 7919) % ($4 * 3)
        CROSS JOIN LATERAL (SELECT CASE WHEN g % 33 = 0 THEN 1200000 ELSE (g % 50) * 5000 END AS amount) a
        """,
        batch_id,
        PERIOD,
        rows,
        households,
    )
    await conn.execute("ANALYZE")
    return batch_id


async def timed(label: str, repeat: int, call) -> None:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{label:<58} p50 {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms")


async def run(dsn: str, households: int, rows: int) -> None:
    await migrate(dsn)
    loader = await asyncpg.connect(dsn)  # no statement timeout: seeding millions of rows takes minutes
    start = time.perf_counter()
    batch_id = await seed(loader, households, rows)
    await loader.close()
    pool = await create_pool(dsn)
    async with pool.acquire() as conn:
        print(f"seeded {households} households, {households * 3} persons, {rows} staged rows "
              f"in {time.perf_counter() - start:.1f} s")
        batch = BatchRef(id=batch_id, feed=FeedCode.medical, region_code=COUNTY, period=PERIOD)
        start = time.perf_counter()
        async with conn.transaction():
            raised = await evaluate_batch(conn, batch)
        elapsed = time.perf_counter() - start
        print(f"evaluate_batch: {rows} rows -> {raised} alerts in {elapsed:.2f} s ({rows / elapsed:,.0f} rows/s)")
        start = time.perf_counter()
        async with conn.transaction():
            again = await evaluate_batch(conn, batch)
        print(f"evaluate_batch again: {again} new in {time.perf_counter() - start:.2f} s")
        await conn.execute("ANALYZE")

        lit = [r["household_id"] for r in await conn.fetch("SELECT DISTINCT household_id FROM alerts")]
        await timed(f"refresh_traffic_lights of {len(lit)} households", 5, lambda: refresh_traffic_lights(conn, lit))
        await timed("county summary, light as a column", 30,
                    lambda: conn.fetch(queries.SUMMARISE_LIGHTS, "450102", "450102%"))
        await timed("county summary, light computed from alerts", 30,
                    lambda: conn.fetch(SUMMARY_FROM_ALERTS, "450102", "450102%"))
        household = lit[0]
        await timed("staff household view with light and open alerts", 200,
                    lambda: conn.fetchrow(queries.GET_HOUSEHOLD_WITH_ALERTS, household, "450102%", None))
    await pool.close()


async def scratch(admin_dsn: str, households: int, rows: int) -> None:
    async with scratch_database(admin_dsn, "alerts") as dsn:
        await run(dsn, households, rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    data_dir = Path(".fangpin/bench").resolve()
    with servers(data_dir, os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")) as (dsn, _):
        asyncio.run(scratch(dsn, args.households, args.rows))


if __name__ == "__main__":
    main()
