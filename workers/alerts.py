"""Alert jobs: `alerts_income` by cron runs the income rule (SR-01) over every province, since
household surveys and the year's monitoring line change outside any department feed."""

from __future__ import annotations

import logging
from typing import Any

from arq import cron

from backend.alerts import service
from workers.context import WorkerContext

log = logging.getLogger("fangpin.workers.alerts")

# 03:10 in Beijing (the worker's clock is UTC): after the night's survey imports, before work.
INCOME_RUN_HOUR_UTC = 19
INCOME_RUN_MINUTE = 10


async def alerts_income(ctx: dict[str, Any]) -> int:
    """Raises the month's income alerts in every province; the dedupe key makes a second run in
    the same month raise nothing new. Returns how many were raised."""
    worker = WorkerContext(ctx)
    return await service.evaluate_income_everywhere(worker.db)


CRON_JOBS = [cron(alerts_income, hour={INCOME_RUN_HOUR_UTC}, minute={INCOME_RUN_MINUTE}, timeout=1800)]
