"""arq WorkerSettings: shared resources in ctx on start-up, one module of jobs per domain."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
from arq import cron  # noqa: F401  (domains add cron jobs to CRON_JOBS)
from arq.worker import Worker

from backend import db
from backend.pii import Pii
from backend.queue import create_redis
from backend.settings import Settings, load_settings
from workers import alerts, elimination, feeds, notifications, photos, suppliers, visits

MODULES = (notifications, photos, feeds, alerts, suppliers, visits, elimination)
FUNCTIONS: list[Any] = [f for module in MODULES for f in module.FUNCTIONS]
CRON_JOBS: list[Any] = [job for module in MODULES for job in module.CRON_JOBS]


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get("settings") or load_settings()
    ctx["settings"] = settings
    ctx["db"] = await db.create_pool(settings.database_url or "", min_size=1, max_size=5)
    ctx["pii"] = Pii(settings.key_bytes("pii_key"), settings.key_bytes("pii_index_key"))
    ctx["http"] = httpx.AsyncClient(timeout=10.0)


async def shutdown(ctx: dict[str, Any]) -> None:
    """Closes what `startup` made, also when it stopped half-way."""
    if "http" in ctx:
        await ctx["http"].aclose()
    if "db" in ctx:
        await ctx["db"].close()


def create_worker(settings: Settings, **overrides: Any) -> Worker:
    """A worker bound to these settings (the CLI and tests use this; arq's CLI is not needed)."""
    options: dict[str, Any] = {
        "functions": FUNCTIONS,
        # arq keeps each cron job's next run on the CronJob itself: a fresh copy per worker.
        "cron_jobs": [dataclasses.replace(job, next_run=None) for job in CRON_JOBS],
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_pool": create_redis(settings),
        "queue_name": settings.queue_name,
        "ctx": {"settings": settings},
        "handle_signals": False,
        "max_jobs": 20,
    }
    options.update(overrides)
    return Worker(**options)
