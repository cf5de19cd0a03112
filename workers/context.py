"""Typed access to what `on_startup` puts into arq's ctx."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
from arq.connections import ArqRedis

from backend.notifications.service import enqueue_delivery
from backend.pii import Pii
from backend.settings import Settings

log = logging.getLogger("fangpin.workers")

# A daily reminder: claims today's reminders not sent yet in one transaction, returns the outbox rows.
Remind = Callable[[asyncpg.Connection, dt.datetime], Awaitable[list[int]]]


class WorkerContext:
    def __init__(self, ctx: dict[str, Any]) -> None:
        self._ctx = ctx

    @property
    def settings(self) -> Settings:
        return self._ctx["settings"]

    @property
    def db(self) -> asyncpg.Pool:
        return self._ctx["db"]

    @property
    def redis(self) -> ArqRedis:
        return self._ctx["redis"]

    @property
    def pii(self) -> Pii:
        return self._ctx["pii"]

    @property
    def http(self) -> httpx.AsyncClient:
        return self._ctx["http"]

    @property
    def job_try(self) -> int:
        return self._ctx.get("job_try", 1)


async def send_reminders(ctx: dict[str, Any], remind: Remind, event: str) -> int:
    """Runs a daily reminder and queues its messages for delivery after the commit; returns how
    many were sent (0 on a second run the same day: each reminder claims its day)."""
    worker = WorkerContext(ctx)
    async with worker.db.acquire() as conn:
        ids = await remind(conn, dt.datetime.now(dt.UTC))
    await enqueue_delivery(worker.redis, ids)
    log.info(event, extra={"notifications": len(ids)})
    return len(ids)
