"""PostgreSQL takes a request's connection away (pg_terminate_backend, as a restart or a failover
does): the caller gets a clean 503 to retry, nothing is half-written, and the pool recovers."""

from __future__ import annotations

import asyncio
import threading

import asyncpg
from litestar.testing import AsyncTestClient

from backend.settings import Settings
from tests.applications.conftest import SELF_REPORT
from tests.factories import World

SUBMIT = "/api/miniapp/farmer/applications"
WAITING_ON_THE_LOCK = """
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
"""


class Killer(threading.Thread):
    """In its own thread and loop (the test client runs a request to the end before it returns):
    locks the applications table, waits for a backend to queue behind the lock, terminates it."""

    def __init__(self, dsn: str) -> None:
        super().__init__(daemon=True)
        self.dsn, self.locked, self.killed = dsn, threading.Event(), False

    def run(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            async with conn.transaction():
                # Reads go on; the submission's writes wait here, inside its transaction.
                await conn.execute("LOCK TABLE applications IN EXCLUSIVE MODE")
                self.locked.set()
                for _ in range(400):
                    if pid := await conn.fetchval(WAITING_ON_THE_LOCK):
                        self.killed = await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
                        return
                    await asyncio.sleep(0.025)
        finally:
            await conn.close()


async def test_a_connection_killed_mid_request_is_a_503_and_nothing_is_half_written(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, settings: Settings
) -> None:
    farmer = world.farmer
    assert farmer is not None and settings.database_url
    headers = {**farmer.headers, "Idempotency-Key": "killed-mid-request"}
    killer = Killer(settings.database_url)
    killer.start()
    assert await asyncio.to_thread(killer.locked.wait, 30)
    answer = await client.post(SUBMIT, json=SELF_REPORT, headers=headers)
    await asyncio.to_thread(killer.join, 30)
    assert killer.killed, "the submission never queued behind the lock"

    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "database_unavailable"
    assert answer.json()["message"] == "系统繁忙，请稍后再试"
    assert int(answer.headers["retry-after"]) > 0
    written = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM applications) AS cases, "
        "(SELECT count(*) FROM application_submit_keys) AS keys, "
        "(SELECT count(*) FROM notifications) AS messages"
    )
    assert tuple(written) == (0, 0, 0)

    # The pool gave the dead connection up: the farmer's retry with the same key goes through once.
    retried = await client.post(SUBMIT, json=SELF_REPORT, headers=headers)
    assert retried.status_code == 201, retried.text
    assert await pool.fetchval("SELECT count(*) FROM applications") == 1
