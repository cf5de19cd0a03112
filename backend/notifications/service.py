"""Notifications: the outbox seam every domain calls, each user's inbox, the admin's templates and
outbox view, and the subscribe grants the mini-program reports. Delivery is in `delivery.py`."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg
import msgspec
from arq.connections import ArqRedis

from backend import audit
from backend.auth import Principal
from backend.db import row_to, rows_to
from backend.notifications import errors, queries, rules
from backend.queue import enqueue_after_commit
from schemas.base import ErrorDetail, PageMeta
from schemas.notifications import (
    Delivery,
    DeliveryPage,
    DeliveryStatus,
    InboxPage,
    MarkedRead,
    Notification,
    NotificationDraft,
    NotificationEvent,
    Requeued,
    RetryFailed,
    SubscribeReport,
    SubscribeResult,
    SubscribeTemplate,
    SubscribeTemplates,
    Template,
    TemplateUpdate,
    UnreadCount,
)

DELIVER_JOB = "notifications_deliver"


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
        await enqueue_after_commit(redis, DELIVER_JOB, notification_ids)


# --- inbox: every user, only their own rows -------------------------------------------------


async def list_inbox(
    conn: asyncpg.Connection, principal: Principal, page: int, page_size: int, *, unread_only: bool = False
) -> InboxPage:
    """The caller's notifications, newest first, with how many are unread."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        counts = await conn.fetchrow(queries.COUNT_INBOX, principal.user_id)
        rows = await conn.fetch(
            queries.LIST_INBOX, principal.user_id, unread_only, page_size, (page - 1) * page_size
        )
    total = counts["unread"] if unread_only else counts["total"]
    return InboxPage(
        items=rows_to(rows, Notification),
        meta=PageMeta(total=total, page=page, page_size=page_size),
        unread=counts["unread"],
    )


async def count_unread(conn: asyncpg.Connection, principal: Principal) -> UnreadCount:
    return UnreadCount(unread=await conn.fetchval(queries.COUNT_UNREAD, principal.user_id))


async def mark_read(conn: asyncpg.Connection, principal: Principal, notification_id: int) -> Notification:
    """Marks one of the caller's notifications read (again is harmless); someone else's is not found."""
    row = await conn.fetchrow(queries.MARK_READ, notification_id, principal.user_id)
    if row is None:
        raise errors.NotificationNotFound()
    return row_to(row, Notification)


async def mark_all_read(conn: asyncpg.Connection, principal: Principal) -> MarkedRead:
    status = await conn.execute(queries.MARK_ALL_READ, principal.user_id)
    return MarkedRead(marked=int(status.split()[-1]))


# --- templates (admin) ----------------------------------------------------------------------


async def list_templates(conn: asyncpg.Connection) -> list[Template]:
    return rows_to(await conn.fetch(queries.LIST_TEMPLATES), Template)


async def put_template(
    conn: asyncpg.Connection, principal: Principal, event: NotificationEvent, data: TemplateUpdate
) -> Template:
    """Creates or replaces the event's WeChat template; refuses field keys or sources that cannot work."""
    problems = rules.template_field_problems(data.fields)
    if problems:
        raise errors.InvalidTemplateFields(
            detail=[ErrorDetail(field=f"fields.{key}", reason=reason) for key, reason in problems.items()]
        )
    async with conn.transaction():
        row = await conn.fetchrow(
            queries.UPSERT_TEMPLATE,
            event.value,
            data.template_id,
            data.fields,
            data.page,
            data.sms_fallback,
            data.enabled,
            principal.user_id,
        )
        await audit.record(
            conn,
            principal.user_id,
            "notification_template.put",
            "notification_template",
            event.value,
            msgspec.to_builtins(data),
        )
    return row_to(row, Template)


async def delete_template(conn: asyncpg.Connection, principal: Principal, event: NotificationEvent) -> None:
    """The event goes to the inbox only from now on."""
    async with conn.transaction():
        if await conn.fetchval(queries.DELETE_TEMPLATE, event.value) is None:
            raise errors.TemplateNotFound()
        await audit.record(
            conn, principal.user_id, "notification_template.delete", "notification_template", event.value
        )


# --- subscribe grants (mini-program) --------------------------------------------------------


async def list_subscribe_templates(conn: asyncpg.Connection, principal: Principal) -> SubscribeTemplates:
    """The templates the mini-program may pass to wx.requestSubscribeMessage, with the caller's grants."""
    return SubscribeTemplates(
        items=rows_to(
            await conn.fetch(queries.LIST_SUBSCRIBE_TEMPLATES, principal.user_id), SubscribeTemplate
        )
    )


async def record_subscriptions(
    conn: asyncpg.Connection, principal: Principal, report: SubscribeReport
) -> SubscribeTemplates:
    """Each `accept` of a template we use allows one more message to the caller; other answers and
    unknown template ids change nothing."""
    accepted = sorted(t for t, result in report.results.items() if result is SubscribeResult.accept)
    if accepted:
        await conn.execute(queries.ADD_GRANTS, principal.user_id, accepted)
    return await list_subscribe_templates(conn, principal)


# --- outbox (admin) -------------------------------------------------------------------------


async def list_deliveries(
    conn: asyncpg.Connection,
    page: int,
    page_size: int,
    *,
    status: DeliveryStatus | None = None,
    event: NotificationEvent | None = None,
    user_id: int | None = None,
) -> DeliveryPage:
    filters = (status.value if status else None, event.value if event else None, user_id)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        total = await conn.fetchval(queries.COUNT_DELIVERIES, *filters)
        rows = await conn.fetch(queries.LIST_DELIVERIES, *filters, page_size, (page - 1) * page_size)
    return DeliveryPage(
        items=rows_to(rows, Delivery), meta=PageMeta(total=total, page=page, page_size=page_size)
    )


async def retry_failed(
    conn: asyncpg.Connection, redis: ArqRedis, principal: Principal, data: RetryFailed
) -> Requeued:
    """Failed rows (the given ids, or all of them, of one event if named) go back to the queue with
    a fresh set of attempts; a worker picks them up at once, or the sweep if Redis is down."""
    async with conn.transaction():
        ids = [
            r["id"]
            for r in await conn.fetch(
                queries.REQUEUE_FAILED, data.ids, data.event.value if data.event else None
            )
        ]
        if ids:
            await audit.record(
                conn,
                principal.user_id,
                "notifications.retry",
                "notification",
                ",".join(map(str, ids[:50])),
                {"count": len(ids)},
            )
    await enqueue_delivery(redis, ids)
    return Requeued(requeued=len(ids))
