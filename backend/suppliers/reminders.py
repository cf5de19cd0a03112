"""Certification-expiry reminders (帮扶产品认定到期提醒): a certified supplier's users are told 90, 30
and 7 days before the certificate runs out, each once, through the notifications outbox."""

from __future__ import annotations

import datetime as dt

import asyncpg

from backend.calendar.rules import local_date
from backend.notifications.service import notify
from backend.suppliers import queries, rules
from schemas.notifications import NotificationDraft, NotificationEvent


async def remind_expiring(conn: asyncpg.Connection, now: dt.datetime) -> list[int]:
    """Sends the reminders due on China's local date of `now` that were not sent yet; running it
    again (the same day or by a second worker) sends nothing more. Returns the notification ids
    to enqueue after the commit."""
    today = local_date(now)
    horizon = today + dt.timedelta(days=rules.REMINDER_HORIZON_DAYS)
    ids: list[int] = []
    async with conn.transaction():
        for supplier in await conn.fetch(queries.LIST_EXPIRING, today, horizon):
            until: dt.date = supplier["certified_until"]
            days_left = (until - today).days
            days_before = rules.reminder_due(days_left)
            if days_before is None:
                continue
            if await conn.fetchval(queries.CLAIM_REMINDER, supplier["id"], until, days_before, now) is None:
                continue  # this threshold's reminder went out already
            users = [r["id"] for r in await conn.fetch(queries.SUPPLIER_USERS, supplier["id"])]
            ids += await notify(conn, users, _draft(supplier["id"], until, days_left, days_before))
    return ids


def _draft(supplier_id: int, until: dt.date, days_left: int, days_before: int) -> NotificationDraft:
    when = f"{until.year}年{until.month}月{until.day}日"
    left = "今天到期" if days_left == 0 else f"还有 {days_left} 天"
    return NotificationDraft(
        event=NotificationEvent.supplier_cert_expiring,
        title="帮扶产品认定即将到期",
        body=(
            f"贵单位的帮扶产品认定将于 {when} 到期（{left}），请及时向县乡村振兴局提交复核材料；"
            "到期未续的，商品将从采购目录下架。"
        ),
        page="/pages/supplier/index",
        data={
            "supplier_id": str(supplier_id),
            "certified_until": until.isoformat(),
            "days_before": str(days_before),
        },
    )
