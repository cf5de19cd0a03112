"""Supplier jobs by cron: `suppliers_remind_expiring` once a day tells suppliers their certificate
runs out in 90, 30 or 7 days (each threshold once per certificate: a second run sends nothing)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from arq import cron

from backend.notifications.service import enqueue_delivery
from backend.suppliers import reminders
from workers.context import WorkerContext

log = logging.getLogger("fangpin.workers.suppliers")

# 00:40 UTC = 08:40 in Asia/Shanghai: at the start of the supplier's working day.
REMIND_AT_UTC = (0, 40)


async def suppliers_remind_expiring(ctx: dict[str, Any]) -> int:
    """Sends today's certification-expiry reminders not sent yet; returns how many."""
    worker = WorkerContext(ctx)
    async with worker.db.acquire() as conn:
        ids = await reminders.remind_expiring(conn, dt.datetime.now(dt.UTC))
    await enqueue_delivery(worker.redis, ids)
    log.info("suppliers.remind_expiring.sent", extra={"notifications": len(ids)})
    return len(ids)


FUNCTIONS = [suppliers_remind_expiring]
CRON_JOBS = [cron(suppliers_remind_expiring, hour={REMIND_AT_UTC[0]}, minute={REMIND_AT_UTC[1]}, timeout=300)]
