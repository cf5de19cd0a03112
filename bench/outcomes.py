"""The outcome per measure (docs/assistance.md) at county scale: the county report, a page of the
household list (first and far), and the whole XLSX export's rows, through the service functions.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/outcomes.py [--households 50000] [--rounds 7]

Without DATABASE_URL the embedded server under .fangpin/bench is used. A scratch database is
created, migrated and loaded set-based (one county, 10 townships, 200 villages; two started
measures per household, eleven monthly visits with figures, the year-before income survey), and
dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch_db import scratch_database
import bench_county  # noqa: E402  (beside this file)

from backend.assistance import outcomes  # noqa: E402
from backend.auth import Principal  # noqa: E402
from backend.db import create_pool  # noqa: E402
from backend.embedded import servers  # noqa: E402
from migrations.runner import migrate  # noqa: E402
from schemas.base import Role  # noqa: E402

COUNTY = "450102000000"
TODAY = dt.date(2026, 11, 20)

SEED_SQL = """
INSERT INTO users (role, username, region_code) VALUES ('county', 'bench-county', '450102000000');
INSERT INTO households (household_no, village_code, category, monitoring_status, monitoring_type)
SELECT 'B' || g, '450102' || lpad((1 + g % 10)::text, 3, '0') || lpad((1 + (g / 10) % 20)::text, 3, '0'),
       'lifted', 'monitoring', 'marginal'
FROM generate_series(1, $1) AS g;
"""
MEASURES_SQL = """
INSERT INTO plan_measures (household_id, measure_type, owner_department, start_date, status, created_by)
SELECT h.id, (ARRAY['industry', 'employment', 'medical', 'education'])[1 + (h.id + k) % 4], '县农业农村局',
       date '2026-03-01' + ((h.id * 7 + k * 31) % 150)::int, 'in_progress', 1
FROM households h, generate_series(1, 2) AS k
"""
VISITS_SQL = """
INSERT INTO visits (household_id, visitor_user_id, visited_at, checklist, member_count, net_income_fen,
                    rigid_expense_fen)
SELECT h.id, 1, timestamptz '2026-01-05 10:00+08' + make_interval(months => m, days => (h.id % 20)::int), '{}',
       1 + h.id % 5, 500000 + h.id * 37 % 900000, h.id * 13 % 200000
FROM households h, generate_series(0, 10) AS m
"""
INCOMES_SQL = """
INSERT INTO household_incomes (household_id, year, member_count, wage_fen, medical_expense_fen)
SELECT id, 2025, 3, 900000, 50000 FROM households
"""


async def timed(label: str, rounds: int, call: Callable[[], Awaitable[object]]) -> None:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    print(f"{label}: p50 {statistics.median(times):.0f} ms, p99 {p99:.0f} ms ({rounds} runs)")


async def run(dsn: str, households: int, rounds: int) -> None:
    await migrate(dsn)
    pool = await create_pool(dsn)
    async with pool.acquire() as conn:
        await conn.execute(bench_county.REGIONS_SQL)
        await conn.execute(SEED_SQL.split(";")[0])
        await conn.execute(SEED_SQL.split(";")[1], households)
        for sql in (MEASURES_SQL, VISITS_SQL, INCOMES_SQL):
            await conn.execute(sql)
        await conn.execute("ANALYZE")
        county = Principal(user_id=1, role=Role.county, region_code=COUNTY)
        print(f"{households} households, {households * 2} measures, {households * 11} visits")
        await timed("county report", rounds, lambda: outcomes.get_report(conn, county, None, None, TODAY))
        await timed("household list, first page of 50", rounds,
                    lambda: outcomes.list_households(conn, county, None, None, TODAY, 1, 50))
        await timed("household list, page 900 of 50", rounds,
                    lambda: outcomes.list_households(conn, county, None, None, TODAY, 900, 50))

    async def export() -> None:
        async for _ in outcomes.household_pages(pool, county, COUNTY, None, TODAY):
            pass

    await timed("every household row of the export", max(1, rounds // 3), export)
    await pool.close()


async def scratch(admin_dsn: str, households: int, rounds: int) -> None:
    async with scratch_database(admin_dsn, "outcomes") as dsn:
        await run(dsn, households, rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    data_dir = Path(".fangpin/bench").resolve()
    with servers(data_dir, os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")) as (dsn, _):
        asyncio.run(scratch(dsn, args.households, args.rounds))


if __name__ == "__main__":
    main()
