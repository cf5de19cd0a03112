"""Two real worker processes on one database, each given a job for the same batch (the upload's and
the sweep's): the batch is run once, with the counts and alerts of a single run."""

from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from backend.feeds.service import enqueue_batch
from backend.pii import Pii
from backend.settings import Settings
from tests.factories import World, make_id_number
from tests.feeds.conftest import (
    WorkerProcess,
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

ROWS = 60_000


def county_file(members: list[str]) -> bytes:
    strangers = [make_id_number("19910101") for _ in range(200)]
    numbers = [members[i % len(members)] if i % 2 == 0 else strangers[i % len(strangers)] for i in range(ROWS)]
    return csv_file(medical_rows(numbers, [f"{30 + i % 70}.00" for i in range(ROWS)]))


async def test_two_workers_given_the_same_batch_run_it_once(
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

    batch_id = (await upload(client, department, content)).json()["id"]
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
