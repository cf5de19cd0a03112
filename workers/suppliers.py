"""Supplier jobs by cron: `suppliers_remind_expiring` once a day tells suppliers their certificate
runs out in 90, 30 or 7 days (each threshold once per certificate: a second run sends nothing)."""

from __future__ import annotations

from typing import Any

from arq import cron

from backend.suppliers import reminders
from workers.context import send_reminders

# 00:40 UTC = 08:40 in Asia/Shanghai: at the start of the supplier's working day.
REMIND_AT_UTC = (0, 40)


async def suppliers_remind_expiring(ctx: dict[str, Any]) -> int:
    """Sends today's certification-expiry reminders not sent yet; returns how many."""
    return await send_reminders(ctx, reminders.remind_expiring, "suppliers.remind_expiring.sent")


FUNCTIONS = [suppliers_remind_expiring]
CRON_JOBS = [cron(suppliers_remind_expiring, hour={REMIND_AT_UTC[0]}, minute={REMIND_AT_UTC[1]}, timeout=300)]
