"""Alert jobs by cron: `alerts_income` runs the income rule (SR-01) over every province, since
household surveys and the year's monitoring line change outside any department feed;
`alerts_remind_overdue` once a day sends one reminder per assignee listing their overdue alerts
(idempotent per local day: a second run sends nothing)."""

from __future__ import annotations

from typing import Any

from arq import cron

from backend.alerts import service, work
from workers.context import WorkerContext, send_reminders

# 03:10 in Beijing (the worker's clock is UTC): after the night's survey imports, before work.
INCOME_RUN_HOUR_UTC = 19
INCOME_RUN_MINUTE = 10
# 00:30 UTC = 08:30 in Asia/Shanghai: before the helpers set out for the day's visits.
REMIND_AT_UTC = (0, 30)


async def alerts_income(ctx: dict[str, Any]) -> int:
    """Raises the income alerts of surveys not judged yet in every province; the dedupe key makes
    a second run raise nothing new. Returns how many were raised."""
    worker = WorkerContext(ctx)
    return await service.evaluate_income_everywhere(worker.db)


async def alerts_remind_overdue(ctx: dict[str, Any]) -> int:
    """Sends today's overdue reminders not sent yet; returns how many."""
    return await send_reminders(ctx, work.remind_overdue, "alerts.remind_overdue.sent")


FUNCTIONS = [alerts_remind_overdue]
CRON_JOBS = [
    cron(alerts_income, hour={INCOME_RUN_HOUR_UTC}, minute={INCOME_RUN_MINUTE}, timeout=1800),
    cron(alerts_remind_overdue, hour={REMIND_AT_UTC[0]}, minute={REMIND_AT_UTC[1]}, timeout=300),
]
