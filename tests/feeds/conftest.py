"""Feed batch fixtures: department accounts with their feeds, department files as they export
them, uploads through the API and the real arq worker (in this process, or as a child process)."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from arq.connections import ArqRedis
from litestar.testing import AsyncTestClient

from backend.queue import create_redis
from backend.settings import Settings
from schemas.base import Role
from tests.factories import COUNTY_A, User, World, make_staff_user
from tests.processes import WorkerProcess
from workers.settings import create_worker

PERIOD = "2026-10"
MEDICAL_HEADER = ("id_number", "name", "period_start", "period_end", "total_cost", "reimbursed", "out_of_pocket")


def medical_rows(members: list[str], yuan: list[str]) -> list[tuple[str, ...]]:
    """One row per member: a month's medical bill with this out-of-pocket amount."""
    return [
        (number, f"患者{i}", "2026-10-01", "2026-10-31", y, "0", y) for i, (number, y) in enumerate(zip(members, yuan))
    ]


def csv_file(
    rows: list[tuple[str, ...]], header: tuple[str, ...] | None = MEDICAL_HEADER, *, encoding: str = "utf-8"
) -> bytes:
    """CSV as Excel saves it (CRLF); header None: rows only, to append to another file."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


async def give_feeds(pool: asyncpg.Pool, user: User, *feeds: str) -> User:
    await pool.execute("UPDATE users SET department_feeds = $2 WHERE id = $1", user.id, list(feeds))
    return user


@pytest.fixture
async def department(world: World, pool: asyncpg.Pool) -> User:
    """石门县医保局-like: county A, the medical feed."""
    return await give_feeds(pool, world.user(Role.department), "medical")


@pytest.fixture
async def education_department(world: World, pool: asyncpg.Pool, settings: Settings) -> User:
    """Another department of the same county, with another feed."""
    async with pool.acquire() as conn:
        user = await make_staff_user(conn, settings, Role.department, COUNTY_A)
    return await give_feeds(pool, user, "education")


@pytest.fixture
async def other_county_department(world: World, pool: asyncpg.Pool) -> User:
    return await give_feeds(pool, world.other_county[Role.department], "medical")


@pytest.fixture(autouse=True)
def empty_feed_storage(settings: Settings) -> None:
    shutil.rmtree(settings.data_path / "photos" / "feeds", ignore_errors=True)


def stored_feed_files(settings: Settings) -> list[str]:
    root = settings.data_path / "photos" / "feeds"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[ArqRedis]:
    """The queue, with nothing left over from an earlier test: batch ids start at 1 again in every
    test, and a killed worker's job keys would keep the same job id from being queued."""
    redis = create_redis(settings)
    await redis.delete(settings.queue_name)
    stale = [k async for k in redis.scan_iter(match=f"arq:*:{settings.redis_prefix}feeds_process:*")]
    if stale:
        await redis.delete(*stale)
    yield redis
    await redis.aclose()


async def run_worker(settings: Settings) -> None:
    """The real arq worker, in burst mode: until the queue is empty."""
    worker = create_worker(settings, burst=True, poll_delay=0.05)
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def upload(
    client: AsyncTestClient,
    user: User,
    content: bytes,
    *,
    file_name: str = "医保结算.csv",
    **fields: str,
) -> Any:
    fields.setdefault("feed", "medical")
    fields.setdefault("period", PERIOD)
    return await client.post(
        "/api/feeds/batches",
        files={"file": (file_name, content, "application/octet-stream")},
        data=fields,
        headers=user.headers,
    )


async def batch_row(pool: asyncpg.Pool, batch_id: int) -> asyncpg.Record:
    return await pool.fetchrow("SELECT * FROM feed_batches WHERE id = $1", batch_id)


async def staging_count(pool: asyncpg.Pool, feed: str = "medical") -> int:
    return await pool.fetchval(f"SELECT count(*) FROM feed_rows_{feed}")


async def forget_batch(pool: asyncpg.Pool, batch_id: int) -> None:
    """As if the batch had never been: its alerts, look-back figures and row go, lights turn green
    (so the same file can be run again from the same starting point)."""
    async with pool.acquire() as conn, conn.transaction():
        for table in ("alerts", "medical_costs_monthly", "registry_update_flags"):
            await conn.execute(f"DELETE FROM {table} WHERE batch_id = $1", batch_id)
        await conn.execute("DELETE FROM feed_batches WHERE id = $1", batch_id)
        await conn.execute("UPDATE households SET traffic_light = 'green'")


async def batch_outcome(pool: asyncpg.Pool, batch_id: int) -> tuple[dict[str, object], list[tuple]]:
    """What a run leaves that a user sees: the counts, the reject report's size and every alert."""
    row = await batch_row(pool, batch_id)
    counts = {
        k: row[k] for k in ("status", "rows_read", "rows_rejected", "rows_loaded", "rows_matched", "alerts_raised")
    }
    counts["rejects"] = await pool.fetchval("SELECT count(*) FROM feed_rejects WHERE batch_id = $1", batch_id)
    alerts = await pool.fetch(
        "SELECT person_id, household_id, rule_code, risk_type, level, period, why, threshold::text, evidence::text "
        "FROM alerts WHERE batch_id = $1 ORDER BY person_id, rule_code",
        batch_id,
    )
    return counts, [tuple(a) for a in alerts]


@pytest.fixture
def worker_process(settings: Settings) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


async def wait_for(pool: asyncpg.Pool, batch_id: int, test: str, timeout_s: float = 120) -> asyncpg.Record:
    """Polls the batch until `test` (SQL over feed_batches b) holds."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        row = await pool.fetchrow(f"SELECT * FROM feed_batches b WHERE id = $1 AND ({test})", batch_id)
        if row is not None:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError(f"batch {batch_id} never reached {test}: {dict(await batch_row(pool, batch_id))}")
