"""The alert work at provincial load (issue 16): with 200,000 open alerts, the county board with its
counts, a township's first page, assigning 1,000 alerts at once, and the XLSX export of 100,000
alerts (time and the process's peak memory while it streams).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/alerts.py [--households 200000] [--alerts 200000] [--export 100000]

A scratch database is seeded set-based (bench/traffic_light.py's county: 10 townships, 200
villages, three persons per household, a helper per village), the alerts spread over its
villages, and dropped at the end. Calls go through the service functions the routes call (the
HTTP layer is measured in bench/api_read.py). Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch_db import scratch_database
import traffic_light

from backend.alerts import board, reads, work
from backend.auth import Principal
from backend.db import create_pool, custom_plans
from backend.embedded import servers
from backend.settings import load_settings
from backend.tabular.xlsx import xlsx_chunks
from migrations.runner import migrate
from schemas.alerts import AlertAssign, AlertLevel, AlertSearch
from schemas.base import Role

COUNTY = traffic_light.COUNTY
TOWNSHIP = "450102001000"

SEED_ALERTS = """
INSERT INTO alerts (household_id, person_id, rule_code, period, risk_type, level, evidence, why, created_at)
SELECT p.household_id, p.id, r.code, date '2026-10-01', r.risk_type, r.level, '{}'::jsonb,
       '近12个月医疗自付 18,230 元，超过阈值 10,000 元', now() - (g % 30) * interval '1 day'
FROM generate_series(1, $1) AS g
JOIN persons p ON p.id = g
CROSS JOIN LATERAL (SELECT code, risk_type, level FROM alert_rules WHERE code = (ARRAY['ZJ-01', 'JY-02', 'CL-01'])[1 + g % 3]) r
"""
SEED_STAFF = """
INSERT INTO users (username, role, region_code, display_name) VALUES ($1, $2, $3, $1) RETURNING id
"""
SEED_HELPERS = """
INSERT INTO users (username, role, region_code, display_name)
SELECT 'helper-' || code, 'helper', code, '帮扶干部' || code FROM regions WHERE level = 'village'
"""
# The floors: the bare statements each operation cannot do without; FLOOR_LIST is the peer instead,
# the one-statement page with a window count the list used before (0.1-0.3x: ours is faster).
FLOOR_BOARD = """
SELECT left(h.village_code, 9), a.rule_code, a.status, count(*)
FROM alerts a JOIN households h ON h.id = a.household_id
WHERE h.village_code LIKE $1 GROUP BY 1, 2, 3
"""
FLOOR_LIST = """
SELECT a.id, count(*) OVER () FROM alerts a JOIN households h ON h.id = a.household_id
WHERE h.village_code LIKE $1 ORDER BY a.id DESC LIMIT 20
"""
FLOOR_ASSIGN = "UPDATE alerts SET status = 'assigned', assignee_user_id = $2 WHERE id = ANY($1::bigint[])"
FLOOR_EXPORT = "SELECT a.id, a.level, a.rule_code, a.status, a.why, a.created_at FROM alerts a ORDER BY a.id DESC LIMIT {rows}"
LINK_HELPERS = """
UPDATE households h SET helper_user_id = u.id FROM users u WHERE u.region_code = h.village_code AND u.role = 'helper'
"""


async def timed(label: str, repeat: int, call: Callable[[], Awaitable[object]], floor: float | None = None) -> float:
    """Prints p50/p99 (and the ratio to `floor`, a p50 measured in the same run); returns the p50."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p99 = samples[max(0, int(len(samples) * 0.99) - 1)]
    p50 = statistics.median(samples)
    ratio = f"   {p50 / floor:5.1f}x the line above" if floor else ""
    print(f"{label:<52} p50 {p50:8.1f} ms   p99 {p99:8.1f} ms   ({repeat} calls){ratio}")
    return p50


async def _planned(conn: asyncpg.Connection, sql: str, *args: object) -> None:
    """A floor planned for its parameters, as the lists it stands beside (backend/db.py)."""
    async with custom_plans(conn):
        await conn.fetch(sql, *args)


async def _rolled_back(conn: asyncpg.Connection, sql: str, *args: object) -> None:
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute(sql, *args)
    finally:
        await tx.rollback()


async def _discard(chunk: bytes) -> None:
    return None


async def export(pool: asyncpg.Pool, county: Principal, rows: int) -> None:
    """The XLSX of `rows` alerts, every byte made and dropped as a client would receive it."""
    search = AlertSearch(village_code=COUNTY)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    size = written = 0

    async def limited():  # type: ignore[no-untyped-def]
        nonlocal written
        async for page in board.alert_pages(pool, county, search, dt.datetime.now(dt.UTC)):
            if written >= rows:
                return
            page = page[: rows - written]
            written += len(page)
            yield page

    async for chunk in xlsx_chunks("预警清单", board.ALERTS_HEADER, limited()):
        size += len(chunk)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"XLSX export of {written:,} alerts: {elapsed:.2f} s, {size / 2**20:.1f} MiB, "
          f"peak RSS {peak / 1024:.0f} MiB (before {before / 1024:.0f} MiB)")


async def run(dsn: str, households: int, alerts: int, exported: int) -> None:
    await migrate(dsn)
    loader = await asyncpg.connect(dsn)
    start = time.perf_counter()
    await traffic_light.seed(loader, households, 1)
    county_id = await loader.fetchval(SEED_STAFF, "县级", "county", COUNTY)
    township_id = await loader.fetchval(SEED_STAFF, "乡镇", "township", TOWNSHIP)
    await loader.execute(SEED_HELPERS)
    await loader.execute(LINK_HELPERS)
    await loader.execute(SEED_ALERTS, min(alerts, households * 3))
    await loader.execute("ANALYZE")
    count = await loader.fetchval("SELECT count(*) FROM alerts")
    await loader.close()
    print(f"seeded {households:,} households, {count:,} open alerts in {time.perf_counter() - start:.1f} s")

    settings = load_settings({}, database_url=dsn)
    pool = await create_pool(dsn)
    county = Principal(user_id=county_id, role=Role.county, region_code=COUNTY)
    township = Principal(user_id=township_id, role=Role.township, region_code=TOWNSHIP)
    now = dt.datetime.now(dt.UTC)
    county_like, township_like = COUNTY[:6] + "%", TOWNSHIP[:9] + "%"
    async with pool.acquire() as conn:
        floor = await timed("  floor: bare GROUP BY of the county's alerts", 20, lambda: _planned(conn, FLOOR_BOARD, county_like))
        await timed("county board (counts per township and rule)", 20, lambda: board.get_board(conn, county, None, now),
                    floor)
        floor = await timed("  peer: one statement, window count, county", 50, lambda: _planned(conn, FLOOR_LIST, county_like))
        await timed("county alert list, first page with total", 50,
                    lambda: reads.list_alerts(conn, county, AlertSearch(), now), floor)
        floor = await timed("  peer: one statement, window count, township", 50,
                            lambda: _planned(conn, FLOOR_LIST, township_like))
        await timed("township alert list, first page with total", 50,
                    lambda: reads.list_alerts(conn, township, AlertSearch(), now), floor)
        await timed("township list, red and overdue", 50,
                    lambda: reads.list_alerts(conn, township, AlertSearch(level=AlertLevel.red, overdue=True), now))
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM alerts WHERE status = 'open' ORDER BY id LIMIT 5000")]
        floor = await timed("  floor: bare UPDATE of 1,000 alerts (rolled back)", 5,
                            lambda: _rolled_back(conn, FLOOR_ASSIGN, ids[:1000], county_id))
        chunks = [ids[i : i + 1000] for i in range(0, len(ids), 1000)]
        batches = iter(chunks)
        await timed("assign 1,000 alerts at once (default assignees)", len(chunks),
                    lambda: work.assign(conn, county, AlertAssign(alert_ids=next(batches)), now, settings), floor)
        start = time.perf_counter()
        await conn.copy_from_query(FLOOR_EXPORT.format(rows=exported), output=_discard, format="csv")
        print(f"  floor: COPY of {exported:,} alert rows out as CSV: {time.perf_counter() - start:.2f} s")
    await export(pool, county, exported)
    await pool.close()


async def scratch(admin_dsn: str, households: int, alerts: int, exported: int) -> None:
    async with scratch_database(admin_dsn, "alertwork") as dsn:
        await run(dsn, households, alerts, exported)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--alerts", type=int, default=200_000)
    parser.add_argument("--export", type=int, default=100_000)
    args = parser.parse_args()
    with servers(Path(".fangpin/bench").resolve(), os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")) as (
        dsn,
        _,
    ):
        asyncio.run(scratch(dsn, args.households, args.alerts, args.export))


if __name__ == "__main__":
    main()
