"""Notification fixtures: the real WeChat client against the shipped fake, templates and grants."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from arq.connections import ArqRedis

from backend.embedded import redis_server_binary
from backend.notifications import delivery
from backend.notifications.service import notify
from backend.pii import Pii
from backend.queue import create_redis
from backend.settings import Settings
from backend.wechat.client import WeChatClient
from backend.wechat.fake import FakeControl
from schemas.notifications import NotificationDraft, NotificationEvent
from tests.applications.conftest import clock, flow  # noqa: F401  (the workflow's driver and clock)
from tests.processes import free_port
from workers.settings import create_worker

TEMPLATE_ID = "tmpl-case-approved"
# A template as an admin would set one up for "application approved".
APPROVED_FIELDS = {
    "thing1": "title",
    "phrase2": "literal:已通过",
    "time3": "created_at",
    "thing4": "body",
    "character_string5": "data.ref",
}


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[ArqRedis]:
    redis = create_redis(settings)
    yield redis
    await redis.aclose()


@pytest.fixture
async def channels(
    settings: Settings, redis: ArqRedis, pii: Pii, wechat_fake: FakeControl
) -> AsyncIterator[delivery.Channels]:
    async with httpx.AsyncClient(timeout=10.0) as http:
        yield delivery.Channels(wechat=WeChatClient(settings, http, redis), sms=None, pii=pii)


async def set_template(
    conn: asyncpg.Connection,
    event: NotificationEvent = NotificationEvent.application_approved,
    template_id: str = TEMPLATE_ID,
    fields: dict[str, str] | None = None,
    *,
    page: str = "pages/case/detail?ref={ref}",
    sms_fallback: bool = False,
) -> None:
    await conn.execute(
        "INSERT INTO notification_templates (event, template_id, fields, page, sms_fallback) "
        "VALUES ($1, $2, $3, $4, $5)",
        event.value,
        template_id,
        fields or APPROVED_FIELDS,
        page,
        sms_fallback,
    )


async def grant(
    conn: asyncpg.Connection, user_id: int, count: int = 1, template_id: str = TEMPLATE_ID
) -> None:
    await conn.execute(
        "INSERT INTO subscribe_grants (user_id, template_id, remaining) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id, template_id) DO UPDATE SET remaining = excluded.remaining",
        user_id,
        template_id,
        count,
    )


async def remaining_grants(conn: asyncpg.Connection, user_id: int, template_id: str = TEMPLATE_ID) -> int:
    return await conn.fetchval(
        "SELECT coalesce(sum(remaining), 0) FROM subscribe_grants WHERE user_id = $1 AND template_id = $2",
        user_id,
        template_id,
    )


async def approve_note(
    conn: asyncpg.Connection, user_ids: list[int], ref: str = "A-1", title: str = "您的申请已审定通过"
) -> list[int]:
    return await notify(
        conn,
        user_ids,
        NotificationDraft(
            event=NotificationEvent.application_approved,
            title=title,
            body="县乡村振兴局已审定，您家已纳入监测帮扶",
            page="pages/case/detail",
            data={"ref": ref},
        ),
    )


async def row(conn: asyncpg.Connection, notification_id: int) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT delivery_status, attempts, channel, last_error, next_attempt_at - now() AS wait, "
        "delivered_at, wechat_template_id FROM notifications WHERE id = $1",
        notification_id,
    )


async def openid_of(conn: asyncpg.Connection, user_id: int) -> str:
    return await conn.fetchval("SELECT openid FROM users WHERE id = $1", user_id)


class RedisServer:
    """A private redis-server on a fixed free port that a test may stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def empty_queue(settings: Settings, redis: ArqRedis) -> None:
    """No job left over from an earlier test in the session's queue."""
    await redis.delete(settings.queue_name)


async def run_workers(settings: Settings, count: int = 1) -> None:
    """Real arq workers in burst mode, side by side, until the queue is empty."""
    workers = [create_worker(settings, burst=True, poll_delay=0.05) for _ in range(count)]
    try:
        await asyncio.gather(*(w.async_run() for w in workers))
    finally:
        await asyncio.gather(*(w.close() for w in workers))
