"""Visit jobs by cron: `visits_remind` once a day sends each helper at most one message about
their overdue visits (and, in a month's last week, those due); a second run the same local day
sends nothing."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from arq import cron

from backend.notifications.service import enqueue_delivery
from backend.visits import service
from workers.context import WorkerContext

log = logging.getLogger("fangpin.workers.visits")

# 00:40 UTC = 08:40 in Asia/Shanghai: before the day's visits, after the alert reminder (00:30).
REMIND_AT_UTC = (0, 40)


async def visits_remind(ctx: dict[str, Any]) -> int:
    """Sends today's visit reminders not sent yet; returns how many."""
    worker = WorkerContext(ctx)
    async with worker.db.acquire() as conn:
        ids = await service.remind_visits(conn, dt.datetime.now(dt.UTC))
    await enqueue_delivery(worker.redis, ids)
    log.info("visits.remind.sent", extra={"reminders": len(ids)})
    return len(ids)


FUNCTIONS = [visits_remind]
CRON_JOBS = [cron(visits_remind, hour={REMIND_AT_UTC[0]}, minute={REMIND_AT_UTC[1]}, timeout=300)]
