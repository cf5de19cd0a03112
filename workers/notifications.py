"""Notification delivery jobs: `notifications_deliver` right after a commit, `notifications_sweep`
by cron for whatever is due (retries, rows whose enqueue failed while Redis was down, lost claims)."""

from __future__ import annotations

import logging
from typing import Any

from arq import cron

from backend.notifications import delivery
from backend.notifications.sms import load_sms_sender
from backend.wechat.client import WeChatClient
from workers.context import WorkerContext

log = logging.getLogger("fangpin.notifications")

# Retries wait at least RETRY_DELAYS_S[0] = 10 s, and a row whose enqueue was lost waits at most
# this long before the sweep sends it.
SWEEP_EVERY_S = 5


def channels(ctx: dict[str, Any]) -> delivery.Channels:
    """WeChat and SMS senders for this worker, built once."""
    if "notification_channels" not in ctx:
        worker = WorkerContext(ctx)
        ctx["notification_channels"] = delivery.Channels(
            wechat=WeChatClient(worker.settings, worker.http, worker.redis),
            sms=load_sms_sender(worker.settings, worker.http),
            pii=worker.pii,
        )
    return ctx["notification_channels"]


async def notifications_deliver(ctx: dict[str, Any], notification_ids: list[int]) -> int:
    """Delivers these rows if they are still due; safe to run twice (a claimed or finished row is
    skipped). Returns how many it handled."""
    handled = 0
    async with WorkerContext(ctx).db.acquire() as conn:
        for start in range(0, len(notification_ids), delivery.CLAIM_BATCH):
            chunk = notification_ids[start : start + delivery.CLAIM_BATCH]
            handled += len(await delivery.deliver_batch(conn, channels(ctx), chunk, len(chunk)))
    if handled < len(notification_ids):
        log.info("notifications.deliver.skipped", extra={"skipped": len(notification_ids) - handled})
    return handled


async def notifications_sweep(ctx: dict[str, Any]) -> int:
    """Delivers every due row."""
    async with WorkerContext(ctx).db.acquire() as conn:
        return await delivery.deliver_due(conn, channels(ctx))


FUNCTIONS = [notifications_deliver]
CRON_JOBS = [
    cron(notifications_sweep, second=set(range(0, 60, SWEEP_EVERY_S)), run_at_startup=True, timeout=300),
]
