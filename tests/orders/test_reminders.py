"""Certification-expiry reminders through the daily cron's function against real PostgreSQL and
Redis: 90, 30 and 7 days before, each threshold once per certificate however often it runs."""

from __future__ import annotations

import datetime as dt

import asyncpg

from backend.auth import utcnow
from backend.calendar.rules import local_date
from backend.queue import create_redis
from backend.suppliers import reminders
from backend.suppliers.rules import reminder_due
from schemas.base import Role
from tests.factories import COUNTY_A
from tests.orders.conftest import Market, make_org_user, make_supplier
from workers.suppliers import suppliers_remind_expiring


def test_the_threshold_due() -> None:
    assert [reminder_due(d) for d in (120, 91, 90, 31, 30, 20, 8, 7, 1, 0, -1)] == [
        None, None, 90, 90, 30, 30, 30, 7, 7, 7, None,
    ]


async def told(pool: asyncpg.Pool, user_id: int) -> list[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT event, data->>'days_before' AS days FROM notifications WHERE user_id = $1 ORDER BY id", user_id
    )
    return [(r["event"], r["days"]) for r in rows]


async def test_the_cron_reminds_each_threshold_once(pool, market: Market) -> None:
    today = local_date(utcnow())
    settings = market.world.settings
    suppliers: dict[int, tuple[int, int]] = {}  # days left → (supplier id, its user's id)
    async with pool.acquire() as conn:
        for days_left in (90, 30, 20, 7, 0, 100, -1):
            supplier_id = await make_supplier(conn, f"到期测试{days_left}", COUNTY_A)
            await conn.execute(
                "UPDATE suppliers SET certified_until = $2 WHERE id = $1", supplier_id, today + dt.timedelta(days=days_left)
            )
            user = await make_org_user(conn, settings, Role.supplier, supplier_id=supplier_id)
            suppliers[days_left] = (supplier_id, user.id)
        suspended = await make_supplier(conn, "已暂停", COUNTY_A)
        await conn.execute(
            "UPDATE suppliers SET certification_status = 'suspended', decision_reason = '抽检不合格', certified_until = $2 "
            "WHERE id = $1",
            suspended,
            today + dt.timedelta(days=7),
        )

    redis = create_redis(settings)
    try:
        ctx = {"db": pool, "redis": redis, "settings": settings}
        first = await suppliers_remind_expiring(ctx)
        second = await suppliers_remind_expiring(ctx)
    finally:
        await redis.aclose()
    assert (first, second) == (5, 0)
    expected = {90: "90", 30: "30", 20: "30", 7: "7", 0: "7"}
    for days_left, (_, user_id) in suppliers.items():
        wanted = [("supplier_cert_expiring", expected[days_left])] if days_left in expected else []
        assert await told(pool, user_id) == wanted, days_left
    body = await pool.fetchval("SELECT body FROM notifications WHERE user_id = $1", suppliers[7][1])
    assert "还有 7 天" in body and "复核" in body
    assert await pool.fetchval("SELECT count(*) FROM supplier_cert_reminders") == 5

    # Two months later the 90-day supplier is 30 days away (its 30-day reminder) and the 100-day one
    # 40 days away (its 90-day reminder); the others were told already.
    async with pool.acquire() as conn:
        later = await reminders.remind_expiring(conn, utcnow() + dt.timedelta(days=60))
    assert len(later) == 2
    assert await told(pool, suppliers[90][1]) == [("supplier_cert_expiring", "90"), ("supplier_cert_expiring", "30")]
    assert await told(pool, suppliers[100][1]) == [("supplier_cert_expiring", "90")]


async def test_a_renewed_certificate_is_reminded_again(pool, market: Market) -> None:
    today = local_date(utcnow())
    supplier_id, user = market.supplier_1, market.users["supplier_1"]
    await pool.execute("UPDATE suppliers SET certified_until = $2 WHERE id = $1", supplier_id, today + dt.timedelta(days=7))
    async with pool.acquire() as conn:
        assert len(await reminders.remind_expiring(conn, utcnow())) == 1
        await conn.execute(
            "UPDATE suppliers SET certified_until = $2 WHERE id = $1", supplier_id, today + dt.timedelta(days=30)
        )
        assert len(await reminders.remind_expiring(conn, utcnow())) == 1  # the new certificate's 30-day one
        assert await reminders.remind_expiring(conn, utcnow()) == []
    assert [d for _, d in await told(pool, user.id)] == ["7", "30"]
