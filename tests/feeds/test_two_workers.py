"""Two API processes and two worker processes on one database: the same file sent to both APIs at
once is one batch; both workers given a job for it (the upload's and the sweep's) run it once,
with the counts and alerts of a single run."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
from litestar.testing import AsyncTestClient

from backend.feeds.service import enqueue_batch
from backend.pii import Pii
from backend.settings import Settings
from tests.factories import World, make_id_number
from tests.feeds.conftest import (
    batch_outcome,
    batch_row,
    csv_file,
    forget_batch,
    medical_rows,
    run_worker,
    upload,
    wait_for,
)
from tests.feeds.test_crash import UNLOCKED, registry
from tests.processes import ApiProcess, WorkerProcess, stop_all

ROWS = 60_000


def county_file(members: list[str]) -> bytes:
    strangers = [make_id_number("19910101") for _ in range(200)]
    numbers = [members[i % len(members)] if i % 2 == 0 else strangers[i % len(strangers)] for i in range(ROWS)]
    return csv_file(medical_rows(numbers, [f"{30 + i % 70}.00" for i in range(ROWS)]))


async def test_two_api_processes_take_one_file_once_and_two_workers_run_it_once(
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
    content = county_file(await registry(pool, pii))
    alone = (await upload(client, department, content)).json()["id"]
    await run_worker(settings)
    expected_counts, expected_alerts = await batch_outcome(pool, alone)
    assert expected_counts["status"] == "done" and expected_alerts
    await forget_batch(pool, alone)

    apis = [ApiProcess(settings, tmp_path / f"api-{n}.log") for n in (1, 2)]  # the same file to both at once
    try:
        async with httpx.AsyncClient(base_url=apis[0].url) as one, httpx.AsyncClient(base_url=apis[1].url) as two:
            answers = await asyncio.gather(upload(one, department, content), upload(two, department, content))
    finally:
        stop_all(apis)
    assert sorted(a.status_code for a in answers) == [200, 201]
    [batch_id] = {a.json()["id"] for a in answers}
    assert await pool.fetchval("SELECT count(*) FROM feed_batches") == 1
    assert await enqueue_batch(redis, settings, batch_id, sweep=True)  # as if the sweep had found it too
    for n in (1, 2):
        worker_process.append(WorkerProcess(settings, tmp_path / f"worker-{n}.log"))
    await wait_for(pool, batch_id, f"status IN ('done', 'failed') AND {UNLOCKED}", timeout_s=180)
    for worker in worker_process:
        worker.stop()

    counts, alerts = await batch_outcome(pool, batch_id)
    assert counts == expected_counts
    assert alerts == expected_alerts
    assert (await batch_row(pool, batch_id))["attempts"] == 1
