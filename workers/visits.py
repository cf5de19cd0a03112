"""Visit jobs by cron: `visits_remind` once a day sends each helper at most one message about
their overdue visits (and, in a month's last week, those due); a second run the same local day
sends nothing."""

from __future__ import annotations

from typing import Any

from arq import cron

from backend.visits import service
from workers.context import send_reminders

# 00:40 UTC = 08:40 in Asia/Shanghai: before the day's visits, after the alert reminder (00:30).
REMIND_AT_UTC = (0, 40)


async def visits_remind(ctx: dict[str, Any]) -> int:
    """Sends today's visit reminders not sent yet; returns how many."""
    return await send_reminders(ctx, service.remind_visits, "visits.remind.sent")


FUNCTIONS = [visits_remind]
CRON_JOBS = [cron(visits_remind, hour={REMIND_AT_UTC[0]}, minute={REMIND_AT_UTC[1]}, timeout=300)]
