"""Notification fixtures: the real WeChat client against the shipped fake, templates and grants."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from arq.connections import ArqRedis

from backend.notifications import delivery
from backend.notifications.service import notify
from backend.pii import Pii
from backend.queue import create_redis
from backend.settings import Settings
from backend.wechat.client import WeChatClient
from backend.wechat.fake import FakeControl
from schemas.notifications import NotificationDraft, NotificationEvent

TEMPLATE_ID = "tmpl-case-approved"
# A template as an admin would set one up for "application approved".
APPROVED_FIELDS = {
    "thing1": "title",
    "phrase2": "literal:已通过",
    "time3": "created_at",
    "thing4": "body",
    "character_string5": "data.ref",
}


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[ArqRedis]:
    redis = create_redis(settings)
    yield redis
    await redis.aclose()


@pytest.fixture
async def channels(settings: Settings, redis: ArqRedis, pii: Pii, wechat_fake: FakeControl) -> AsyncIterator[delivery.Channels]:
    async with httpx.AsyncClient(timeout=10.0) as http:
        yield delivery.Channels(wechat=WeChatClient(settings, http, redis), sms=None, pii=pii)


async def set_template(
    conn: asyncpg.Connection,
    event: NotificationEvent = NotificationEvent.application_approved,
    template_id: str = TEMPLATE_ID,
    fields: dict[str, str] | None = None,
    *,
    page: str = "pages/case/detail?ref={ref}",
    sms_fallback: bool = False,
) -> None:
    await conn.execute(
        "INSERT INTO notification_templates (event, template_id, fields, page, sms_fallback) VALUES ($1, $2, $3, $4, $5)",
        event.value,
        template_id,
        fields or APPROVED_FIELDS,
        page,
        sms_fallback,
    )


async def grant(conn: asyncpg.Connection, user_id: int, count: int = 1, template_id: str = TEMPLATE_ID) -> None:
    await conn.execute(
        "INSERT INTO subscribe_grants (user_id, template_id, remaining) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id, template_id) DO UPDATE SET remaining = excluded.remaining",
        user_id,
        template_id,
        count,
    )


async def remaining_grants(conn: asyncpg.Connection, user_id: int, template_id: str = TEMPLATE_ID) -> int:
    return await conn.fetchval(
        "SELECT coalesce(sum(remaining), 0) FROM subscribe_grants WHERE user_id = $1 AND template_id = $2",
        user_id,
        template_id,
    )


async def approve_note(
    conn: asyncpg.Connection, user_ids: list[int], ref: str = "A-1", title: str = "您的申请已审定通过"
) -> list[int]:
    return await notify(
        conn,
        user_ids,
        NotificationDraft(
            event=NotificationEvent.application_approved,
            title=title,
            body="县乡村振兴局已审定，您家已纳入监测帮扶",
            page="pages/case/detail",
            data={"ref": ref},
        ),
    )


async def row(conn: asyncpg.Connection, notification_id: int) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT delivery_status, attempts, channel, last_error, next_attempt_at - now() AS wait, "
        "delivered_at, wechat_template_id FROM notifications WHERE id = $1",
        notification_id,
    )


async def openid_of(conn: asyncpg.Connection, user_id: int) -> str:
    return await conn.fetchval("SELECT openid FROM users WHERE id = $1", user_id)
