"""The identification workflow at county scale: task-list and overdue-list latency over many cases,
and how many transitions per second one connection commits (lock, version bump, event, outbox).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/applications.py [--households 20000] [--steps 500]

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

from backend.applications import reads, service  # noqa: E402
from backend.auth import Principal, utcnow  # noqa: E402
from backend.db import create_pool  # noqa: E402
from backend.embedded import servers  # noqa: E402
from migrations.runner import migrate  # noqa: E402
from schemas.applications import StepComment  # noqa: E402
from schemas.base import Role  # noqa: E402

COUNTY = "450102000000"
TOWNSHIP = "450102001000"
VILLAGE = "450102001001"
# Cases spread over the workflow's waiting states; discovery spread over 30 days (≈half overdue).
STATES = [
    "verification",
    "village_review",
    "awaiting_notice",
    "township_review",
    "county_approval",
    "approved",
]


async def seed(conn: asyncpg.Connection, households: int) -> dict[Role, Principal]:
    await conn.execute(bench_county.REGIONS_SQL)
    await conn.execute(
        """
        INSERT INTO households (household_no, village_code, category)
        SELECT 'B' || g, '450102' || lpad((1 + (g / 7) % 10)::text, 3, '0') || lpad((1 + (g / 3) % 20)::text, 3, '0'), 'lifted'
        FROM generate_series(1, $1) AS g
        """,
        households,
    )
    await conn.execute(
        """
        INSERT INTO persons (household_id, name, id_number_enc, id_number_bidx, id_number_masked, relation, sex,
                             birth_date)
        SELECT id, '户主' || id, '\\x00', sha256(id::text::bytea), '450102********0000', 'head', 'male', '1980-01-01'
        FROM households
        """
    )
    principals: dict[Role, Principal] = {}
    for role, region in ((Role.county, COUNTY), (Role.township, TOWNSHIP), (Role.village, VILLAGE)):
        user_id = await conn.fetchval(
            "INSERT INTO users (role, username, region_code) VALUES ($1, $2, $3) RETURNING id",
            role.value,
            f"bench-{role.value}",
            region,
        )
        principals[role] = Principal(user_id=user_id, role=role, region_code=region)
    await conn.execute(
        """
        INSERT INTO applications (household_id, source, state, created_by, risk_types, narrative, discovered_at)
        SELECT h.id, 'self_report', ($1::text[])[1 + h.id % array_length($1::text[], 1)], $2, '{illness}', '困难',
               now() - (h.id % 30 || ' days')::interval
        FROM households h
        """,
        STATES,
        principals[Role.county].user_id,
    )
    await conn.execute("ANALYZE")
    return principals


async def timed(label: str, repeat: int, call) -> None:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{label:<52} p50 {statistics.median(samples):6.1f} ms   p95 {p95:6.1f} ms   ({result})")


async def run(dsn: str, households: int, steps: int) -> None:
    await migrate(dsn)
    pool = await create_pool(dsn)
    async with pool.acquire() as conn:
        start = time.perf_counter()
        principals = await seed(conn, households)
        print(f"seeded {households} households and cases in {time.perf_counter() - start:.1f} s")
        county, township = principals[Role.county], principals[Role.township]
        now = utcnow()

        async def county_tasks() -> str:
            tasks = await reads.list_tasks(conn, county, now)
            return f"{tasks.total} waiting, {tasks.overdue} overdue"

        async def township_tasks() -> str:
            tasks = await reads.list_tasks(conn, township, now)
            return f"{tasks.total} waiting"

        async def overdue_page() -> str:
            page = await reads.list_applications(conn, county, now, overdue=True)
            return f"{page.meta.total} overdue in the county"

        await timed("county task list (first 50, counts over all)", 30, county_tasks)
        await timed("township task list", 30, township_tasks)
        await timed("county overdue list (first 20 of all)", 30, overdue_page)

        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT a.id FROM applications a JOIN households h ON h.id = a.household_id "
                "WHERE a.state = 'township_review' AND h.village_code LIKE '450102001%' LIMIT $1",
                steps,
            )
        ]
        start = time.perf_counter()
        for case_id in ids:
            await service.township_pass(conn, township, case_id, StepComment(), now)
        elapsed = time.perf_counter() - start
        print(
            f"township review, one connection: {len(ids)} transitions in {elapsed:.2f} s "
            f"= {len(ids) / elapsed:.0f}/s ({elapsed / len(ids) * 1000:.1f} ms each)"
        )
    await pool.close()


async def scratch(admin_dsn: str, households: int, steps: int) -> None:
    async with scratch_database(admin_dsn, "apps") as dsn:
        await run(dsn, households, steps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    with servers(
        Path(".fangpin/bench").resolve(), os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    ) as (
        dsn,
        _,
    ):
        asyncio.run(scratch(dsn, args.households, args.steps))


if __name__ == "__main__":
    main()
