"""`elimination_candidates` by daily cron: rebuilds the list of monitored households whose latest
visits meet the risk-elimination criteria and tells each helper once about households newly on it.
It never proposes anything (DOMAIN §5 step 10: the helper proposes). Idempotent: a second run the
same day changes nothing and sends nothing."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from arq import cron

from backend.elimination import service
from backend.notifications.service import enqueue_delivery
from workers.context import WorkerContext

log = logging.getLogger("fangpin.workers.elimination")

# 20:40 UTC = 04:40 in Asia/Shanghai: after the night's visit uploads, before the helpers' day.
RUN_AT_UTC = (20, 40)


async def elimination_candidates(ctx: dict[str, Any]) -> int:
    """Returns how many households are on the list after the run."""
    worker = WorkerContext(ctx)
    months = worker.settings.elimination_min_monitored_months
    async with worker.db.acquire() as conn:
        listed, ids = await service.refresh_candidates(conn, dt.datetime.now(dt.UTC), months)
    await enqueue_delivery(worker.redis, ids)
    log.info("elimination.candidates.refreshed", extra={"households": listed, "notifications": len(ids)})
    return listed


FUNCTIONS = [elimination_candidates]
CRON_JOBS = [cron(elimination_candidates, hour={RUN_AT_UTC[0]}, minute={RUN_AT_UTC[1]}, timeout=1800)]
