"""A real worker process killed in the middle of a batch, then the job retried by another: the
same counts and exactly the same alerts as a run nobody interrupted."""

from __future__ import annotations

import datetime as dt

import asyncpg
from litestar.testing import AsyncTestClient
from stdnum.cn import ric

from backend.pii import Pii
from backend.settings import Settings
from tests.factories import VILLAGE_A1A, VILLAGE_A1B, VILLAGE_A2A, World, make_household, make_id_number
from tests.feeds.conftest import (
    batch_outcome,
    batch_row,
    csv_file,
    forget_batch,
    medical_rows,
    run_worker,
    staging_count,
    upload,
    wait_for,
)
from tests.processes import WorkerProcess

ROWS = 300_000
# No run holds a batch (the advisory locks of this test database).
UNLOCKED = (
    "NOT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
    "WHERE l.locktype = 'advisory' AND d.datname = current_database())"
)
HOUSEHOLDS = 150


def members_of(household: int) -> list[str]:
    """Three ID numbers no other test makes: born on the household's own day of 1986."""
    birth = (dt.date(1986, 1, 1) + dt.timedelta(days=household)).strftime("%Y%m%d")
    bodies = [f"450102{birth}{seq:03d}" for seq in (11, 12, 13)]
    return [body + ric.calc_check_digit(body + "0") for body in bodies]


async def registry(pool: asyncpg.Pool, pii: Pii) -> list[str]:
    """150 households of three in county A, a third of them ordinary (a higher medical line)."""
    numbers: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        for i in range(HOUSEHOLDS):
            village = (VILLAGE_A1A, VILLAGE_A1B, VILLAGE_A2A)[i % 3]
            household = await make_household(
                conn, pii, village, category="ordinary" if i % 3 == 0 else "lifted", id_numbers=members_of(i)
            )
            numbers += household.id_numbers
    return numbers


def province_file(members: list[str]) -> bytes:
    """A third of the rows for registry members (about 220 bills each, summing to 2,000-20,000
    yuan, so some are over the lines and some not), the rest strangers; 1 % bad rows."""
    strangers = [make_id_number("19900101") for _ in range(500)]
    numbers = [members[i // 3 % len(members)] if i % 3 == 0 else strangers[i % len(strangers)] for i in range(ROWS)]
    amounts = ["x" if i % 100 == 50 else f"{10 + (i // 3 % len(members)) % 80}.50" for i in range(ROWS)]
    return csv_file(medical_rows(numbers, amounts))


async def test_a_killed_worker_then_a_retry_gives_the_uninterrupted_result(
    client: AsyncTestClient,
    pool: asyncpg.Pool,
    settings: Settings,
    pii: Pii,
    world: World,
    department,
    redis,
    worker_process: list[WorkerProcess],
    tmp_path,
) -> None:
    content = province_file(await registry(pool, pii))

    # Uninterrupted, then forgotten so that the same upload starts from the same state again.
    calm = (await upload(client, department, content)).json()["id"]
    await run_worker(settings)
    expected_counts, expected_alerts = await batch_outcome(pool, calm)
    assert expected_counts["status"] == "done" and expected_counts["rows_read"] == ROWS
    levels = {a[4] for a in expected_alerts}
    assert levels == {"red", "yellow"}  # the file crosses both lines for some, neither for others
    assert len({a[0] for a in expected_alerts}) < HOUSEHOLDS * 3
    await forget_batch(pool, calm)

    # Interrupted: the worker is killed once it has loaded a chunk.
    stormy = (await upload(client, department, content)).json()["id"]
    first = WorkerProcess(settings, tmp_path / "worker-1.log")
    worker_process.append(first)
    midway = await wait_for(pool, stormy, "status = 'parsing' AND rows_loaded > 0")
    first.kill()
    killed = await batch_row(pool, stormy)
    assert killed["status"] == "parsing" and killed["rows_read"] < ROWS, dict(killed)
    assert midway["rows_loaded"] > 0 and await staging_count(pool) > 0  # half a batch was left behind
    await wait_for(pool, stormy, UNLOCKED)  # PostgreSQL ended the killed worker's session, and its lock

    second = WorkerProcess(settings, tmp_path / "worker-2.log")
    worker_process.append(second)
    await wait_for(pool, stormy, f"status IN ('done', 'failed') AND {UNLOCKED}", timeout_s=180)
    second.stop()

    counts, alerts = await batch_outcome(pool, stormy)
    assert counts == expected_counts
    assert alerts == expected_alerts
    assert (await batch_row(pool, stormy))["attempts"] == 2
    assert await staging_count(pool) == 0
