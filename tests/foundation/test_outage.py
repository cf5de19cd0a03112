"""Redis goes away for several seconds under a real `fangpin worker` and under a real `fangpin up`:
the processes stay up, log only JSON (the loss and the recovery included), and a notification put
into the outbox while Redis was down reaches the WeChat fake once Redis is back. Under `up`, a
child that dies is started again while the API keeps answering."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest

from backend.db import create_pool
from backend.demo.data import DEMO_FARMER_OPENID
from backend.notifications.service import enqueue_delivery, notify
from backend.queue import create_redis
from backend.settings import GENERATED_KEYS, Settings, env_name
from backend.wechat.fake import FakeControl
from schemas.notifications import NotificationDraft, NotificationEvent
from tests.conftest import RUN_ID, database_url_for
from tests.factories import World
from tests.notifications.conftest import RedisServer, grant, private_redis, row, set_template  # noqa: F401
from tests.processes import free_port

WAIT_S = 30.0  # generous for 2 shared cores; every wait polls and returns as soon as it holds
# The outage lasts until the worker has failed this many times: 1 + 2 + 4 s of backoff, so Redis is
# down for at least 7 s and the next try comes 8 s later.
OUTAGE_ATTEMPTS = 4



class Fangpin:
    """A `fangpin` command as a subprocess, its stdout and stderr in files the test reads."""

    def __init__(self, args: list[str], env: dict[str, str], directory: Path) -> None:
        self.err_path, self.out_path = directory / f"{args[0]}.err", directory / f"{args[0]}.out"
        with self.err_path.open("wb") as err, self.out_path.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "backend.cli", *args], env=env, stdout=out, stderr=err
            )

    def lines(self) -> list[dict[str, Any]]:
        """Every stderr line, parsed: a line that is not JSON fails the test here."""
        return [json.loads(line) for line in self.err_path.read_text(encoding="utf-8").splitlines()]

    def events(self, event: str, **fields: object) -> list[dict[str, Any]]:
        return [
            line
            for line in self.lines()
            if line["event"] == event and all(line.get(k) == v for k, v in fields.items())
        ]

    async def wait_for(self, event: str, **fields: object) -> dict[str, Any]:
        [found] = await until(lambda: self.events(event, **fields)[-1:])
        return found

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


async def until(probe: Callable[[], Any], what: str = "") -> Any:
    """Polls a sync or async probe until it returns something truthy."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        result = probe()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {WAIT_S} s: {what or probe}")


def env_for(settings: Settings, **values: str) -> dict[str, str]:
    """The environment a deployment would give: the session's keys, queue and servers."""
    base = {name: getattr(settings, name) for name in GENERATED_KEYS}
    base |= {"queue_name": settings.queue_name, "redis_prefix": settings.redis_prefix}
    base |= {"database_url": settings.database_url, "redis_url": settings.redis_url}
    base |= {"wechat_base_url": settings.wechat_base_url}
    base |= values
    return {**os.environ, **{env_name(k): str(v) for k, v in base.items()}}


async def put_in_outbox(conn: asyncpg.Connection, user_id: int, application_id: str) -> list[int]:
    async with conn.transaction():
        return await notify(
            conn,
            [user_id],
            NotificationDraft(
                event=NotificationEvent.application_approved,
                title="您的申请已审定通过",
                body="县乡村振兴局已审定，您家已纳入监测帮扶",
                page="pages/application/detail",
                data={"application_id": application_id, "ref": application_id},
            ),
        )


async def enqueue(settings: Settings, ids: list[int]) -> None:
    """What the API does after the commit: enqueue, logging (not raising) a failure."""
    arq = create_redis(settings)
    try:
        await enqueue_delivery(arq, ids)
    finally:
        await arq.aclose()


async def delivered(conn: asyncpg.Connection, notification_id: int) -> bool:
    return (await row(conn, notification_id))["delivery_status"] == "sent"


async def survive_outage(
    process: Fangpin, conn: asyncpg.Connection, redis: RedisServer, settings: Settings, user_id: int
) -> None:
    """Redis killed (its data with it) while a notification is committed, started again on the
    same port once the worker has retried OUTAGE_ATTEMPTS times; the notification is then sent."""
    redis.stop()
    await process.wait_for("worker.redis_lost", attempt=1)
    [during] = await put_in_outbox(conn, user_id, "DURING")
    await enqueue(settings, [during])  # fails: the row waits in PostgreSQL
    lost = await process.wait_for("worker.redis_lost", attempt=OUTAGE_ATTEMPTS)
    assert lost["level"] == "WARNING"
    assert not await delivered(conn, during)
    redis.start()
    await until(lambda: delivered(conn, during), "delivery after the outage")
    assert process.process.poll() is None
    assert (await process.wait_for("worker.reconnected"))["down_s"] >= 7
    # Backoff 1, 2, 4, 8 s: an outage of minutes is not hammered (capped at 30 s).
    retries = [line["retry_in_s"] for line in process.events("worker.redis_lost")]
    assert retries[:OUTAGE_ATTEMPTS] == [1.0, 2.0, 4.0, 8.0]


def assert_json_logs_without_crash(process: Fangpin) -> None:
    lines = process.lines()  # each one JSON, or this fails
    assert lines and not [line for line in lines if line["event"] == "process.crashed" or "exc" in line]


async def test_worker_outlives_a_redis_outage_and_delivers_what_was_queued(
    pool: asyncpg.Pool,
    settings: Settings,
    world: World,
    wechat_fake: FakeControl,
    private_redis: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert world.farmer is not None
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, 2)
    local = msgspec.structs.replace(settings, redis_url=private_redis.url)
    env = env_for(local, data_dir=str(tmp_path))
    worker = Fangpin(["worker"], env, tmp_path)
    try:
        async with pool.acquire() as conn:
            [before] = await put_in_outbox(conn, world.farmer.id, "BEFORE")
            await enqueue(local, [before])
            await until(lambda: delivered(conn, before), "delivery before the outage")
            await survive_outage(worker, conn, private_redis, local, world.farmer.id)
        sent = [m["data"]["character_string5"] for m in await wechat_fake.sent()]
        assert sent == ["BEFORE", "DURING"]
    finally:
        code = worker.stop()
    assert code == 0
    assert worker.out_path.read_text() == ""
    assert_json_logs_without_crash(worker)


@pytest.fixture
async def up_database(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    """A database of its own: `up` migrates it and seeds the demo world into it."""
    admin_dsn = server_urls[0]
    database = f"fangpin_t_{RUN_ID}_up"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        yield database_url_for(admin_dsn, database)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def healthy(url: str) -> bool:
    async with httpx.AsyncClient(timeout=2) as http:
        try:
            return (await http.get(f"{url}/healthz")).status_code == 200
        except httpx.HTTPError:
            return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


async def test_up_restarts_a_dead_child_and_outlives_a_redis_outage(
    settings: Settings,
    up_database: str,
    private_redis: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    port, fake_port = free_port(), free_port()
    url, fake_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{fake_port}"
    local = msgspec.structs.replace(
        settings, database_url=up_database, redis_url=private_redis.url, wechat_base_url=fake_url
    )
    env = env_for(local, data_dir=str(tmp_path), port=str(port), wechat_fake_port=str(fake_port))
    up = Fangpin(["up"], env, tmp_path)
    up_pool: asyncpg.Pool | None = None
    try:
        await until(lambda: "Press Ctrl-C to stop." in up.out_path.read_text(), "up's banner")
        assert await healthy(url)
        up_pool = await create_pool(up_database, min_size=1, max_size=1)
        farmer = await up_pool.fetchval("SELECT id FROM users WHERE openid = $1", DEMO_FARMER_OPENID)

        # The worker dies: `up` starts it again and the API never stops answering.
        api = await up.wait_for("up.child_started", child="api")
        worker = await up.wait_for("up.child_started", child="worker")
        os.kill(worker["pid"], signal.SIGKILL)
        exited = await up.wait_for("up.child_exited", child="worker")
        assert exited["exit_code"] == -signal.SIGKILL and exited["restart_in_s"] == 1.0
        restarted = await up.wait_for("up.child_restarted", child="worker")
        assert restarted["delay_s"] == 1.0 and restarted["pid"] != worker["pid"]
        assert alive(api["pid"]) and await healthy(url)
        assert len(up.events("up.child_started", child="api")) == 1

        async with up_pool.acquire() as conn:
            await survive_outage(up, conn, private_redis, local, farmer)
        await until(lambda: healthy(url), "the API healthy again")
        sent = [m["data"]["character_string5"] for m in await FakeControl(fake_url).sent()]
        assert "DURING" in sent
        assert up.process.poll() is None
    finally:
        if up_pool is not None:
            await up_pool.close()
        code = up.stop(signal.SIGINT)  # Ctrl-C still stops everything
    assert code == 0
    assert not [line["pid"] for line in up.events("up.child_started") if alive(line["pid"])]
    assert_json_logs_without_crash(up)
