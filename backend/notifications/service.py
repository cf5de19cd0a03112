"""The outbox seam: every service that changes something a person cares about calls `notify`
inside its own transaction, so the notification exists exactly when the change does."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg
import msgspec
from arq.connections import ArqRedis

from backend.notifications import queries
from backend.queue import enqueue_after_commit
from schemas.notifications import NotificationDraft


async def notify(conn: asyncpg.Connection, user_ids: Iterable[int], draft: NotificationDraft) -> list[int]:
    """Write one outbox/inbox row per distinct recipient; returns the new notification ids.

    Call it on the connection that holds the causing change's transaction.
    """
    recipients = sorted(set(user_ids))
    if not recipients:
        return []
    rows = await conn.fetch(
        queries.INSERT_NOTIFICATIONS,
        recipients,
        draft.event.value,
        draft.title,
        draft.body,
        draft.page,
        msgspec.to_builtins(draft.data),
    )
    return [r["id"] for r in rows]


async def enqueue_delivery(redis: ArqRedis, notification_ids: list[int]) -> None:
    """Call after the causing transaction commits: a worker delivers at once. Best effort — when
    Redis is down the rows wait in PostgreSQL and the delivery cron sweeps them up."""
    if notification_ids:
        await enqueue_after_commit(redis, "notifications_deliver", notification_ids)
