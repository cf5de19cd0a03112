"""The risk-elimination candidates cron at county scale: how long the daily rebuild takes over
every monitored household and its visits, and a helper's and a township's read of the list.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/elimination.py [--households 50000] [--helpers 500] [--visits 6]

Without DATABASE_URL the embedded server under .fangpin/bench is used. A scratch database is
created, migrated and loaded set-based (one county, 10 townships, 200 villages), and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch_db import scratch_database
import bench_county  # noqa: E402  (beside this file)

from backend.auth import Principal, utcnow  # noqa: E402
from backend.db import create_pool  # noqa: E402
from backend.elimination import service  # noqa: E402
from backend.embedded import servers  # noqa: E402
from migrations.runner import migrate  # noqa: E402
from schemas.base import Role  # noqa: E402

TOWNSHIP = "450102001000"
CHECKLIST = (
    '{"food": {"ok": true}, "clothing": {"ok": true}, "education": {"ok": true}, '
    '"medical": {"ok": true}, "housing": {"ok": true}, "drinking_water": {"ok": true}}'
)


async def seed(conn: asyncpg.Connection, households: int, helpers: int, visits: int) -> dict[str, Principal]:
    """Monitored households enrolled 3–12 months ago, `visits` monthly visits each whose per-capita
    income is spread around a 7,000-yuan line (about a third end above it twice running)."""
    await conn.execute(bench_county.REGIONS_SQL)
    year = utcnow().year
    for y in (year - 1, year):
        await conn.execute(
            "INSERT INTO monitoring_thresholds (year, province_code, per_capita_fen) VALUES ($1, '450000000000', 700000)",
            y,
        )
    await conn.execute(
        """
        INSERT INTO users (role, username, region_code)
        SELECT 'helper', 'bench-helper-' || g,
               '450102' || lpad((1 + g % 10)::text, 3, '0') || lpad((1 + g % 20)::text, 3, '0')
        FROM generate_series(1, $1) AS g
        """,
        helpers,
    )
    county = await conn.fetchval(
        "INSERT INTO users (role, username, region_code) VALUES ('county', 'bench-county', '450102000000') RETURNING id"
    )
    township = await conn.fetchval(
        "INSERT INTO users (role, username, region_code) VALUES ('township', 'bench-township', $1) RETURNING id",
        TOWNSHIP,
    )
    await conn.execute(
        """
        INSERT INTO households (household_no, village_code, category, monitoring_status, monitoring_type, helper_user_id)
        SELECT 'E' || g, u.region_code, 'lifted', 'monitoring', 'unstable', u.id
        FROM generate_series(1, $1) AS g
        JOIN users u ON u.username = 'bench-helper-' || (1 + g % $2)
        """,
        households,
        helpers,
    )
    await conn.execute(
        """
        INSERT INTO persons (household_id, name, id_number_enc, id_number_bidx, id_number_masked, relation, sex,
                             birth_date)
        SELECT id, '户主' || id, '\\x00', sha256(id::text::bytea), '450102********0000', 'head', 'male', '1980-01-01'
        FROM households
        """
    )
    await conn.execute(
        """
        INSERT INTO applications (household_id, source, state, created_by, discovered_at, decided_at, monitoring_type)
        SELECT h.id, 'cadre_screening', 'approved', $1, now() - ((3 + h.id % 10) || ' months')::interval,
               now() - ((3 + h.id % 10) || ' months')::interval, 'unstable'
        FROM households h
        """,
        county,
    )
    await conn.execute(
        """
        INSERT INTO visits (household_id, visitor_user_id, visited_at, checklist, member_count, net_income_fen,
                            rigid_expense_fen)
        SELECT h.id, h.helper_user_id, now() - (m || ' months')::interval, $2::text::jsonb, 3,
               3 * (600000 + ((h.id * 7 + m * 13) % 300000)), 100000
        FROM households h, generate_series(0, $1 - 1) AS m
        """,
        visits,
        CHECKLIST,
    )
    await conn.execute("ANALYZE")
    # Helper 8's households were enrolled 10 months ago (3 + id % 10), so some are on the list.
    helper = await conn.fetchrow("SELECT id, region_code FROM users WHERE username = 'bench-helper-8'")
    return {
        "helper": Principal(user_id=helper["id"], role=Role.helper, region_code=helper["region_code"]),
        "township": Principal(user_id=township, role=Role.township, region_code=TOWNSHIP),
        "county": Principal(user_id=county, role=Role.county, region_code="450102000000"),
    }


async def timed(label: str, repeat: int, call) -> None:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p99 = samples[max(0, int(len(samples) * 0.99) - 1)]
    print(f"{label:<44} p50 {statistics.median(samples):8.1f} ms   p99 {p99:8.1f} ms   ({result})")


async def run(dsn: str, households: int, helpers: int, visits: int) -> None:
    await migrate(dsn)
    pool = await create_pool(dsn)
    async with pool.acquire() as conn:
        start = time.perf_counter()
        who = await seed(conn, households, helpers, visits)
        print(f"seeded {households} households, {households * visits} visits in {time.perf_counter() - start:.1f} s")

        async def rebuild() -> str:
            listed, ids = await service.refresh_candidates(conn, utcnow(), 6)
            return f"{listed} listed, {len(ids)} helpers told"

        await timed("daily rebuild, first run (helpers told)", 1, rebuild)
        await timed("daily rebuild, next runs (nothing new)", 5, rebuild)

        async def mine() -> str:
            page = await service.list_candidates(conn, who["helper"])
            return f"{page.meta.total} of the helper's"

        async def township() -> str:
            page = await service.list_candidates(conn, who["township"])
            return f"first 50 of {page.meta.total}"

        await timed("a helper's candidates", 50, mine)
        await timed("a township's candidates", 50, township)
    await pool.close()


async def scratch(admin_dsn: str, households: int, helpers: int, visits: int) -> None:
    async with scratch_database(admin_dsn, "elim") as dsn:
        await run(dsn, households, helpers, visits)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--helpers", type=int, default=500)
    parser.add_argument("--visits", type=int, default=6)
    args = parser.parse_args()
    with servers(Path(".fangpin/bench").resolve(), os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")) as (
        dsn,
        _,
    ):
        asyncio.run(scratch(dsn, args.households, args.helpers, args.visits))


if __name__ == "__main__":
    main()
