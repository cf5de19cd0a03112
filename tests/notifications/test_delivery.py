"""Delivery against the real PostgreSQL, Redis and the shipped WeChat fake."""

import asyncio
import datetime as dt

import httpx
import msgspec
import pytest

from backend.db import create_pool
from backend.notifications import delivery, rules
from backend.notifications.sms import SmsError, SmsMessage
from backend.queue import create_redis
from backend.wechat.client import WeChatClient
from backend.wechat.fake import FakeControl
from schemas.base import Role
from tests.factories import World
from tests.notifications.conftest import (
    TEMPLATE_ID,
    approve_note,
    grant,
    openid_of,
    remaining_grants,
    row,
    set_template,
)


async def test_event_without_template_goes_to_inbox_only(
    pool, world: World, channels, wechat_fake: FakeControl
) -> None:
    async with pool.acquire() as conn:
        await grant(conn, world.farmer.id)
        [nid] = await approve_note(conn, [world.farmer.id])
        results = await delivery.deliver_batch(conn, channels)
        state = await row(conn, nid)
    assert [r.id for r in results] == [nid]
    assert state["delivery_status"] == "inbox_only" and state["delivered_at"] is not None
    assert await wechat_fake.sent() == []


async def test_granted_message_goes_to_wechat_and_spends_one_grant(
    pool, world: World, channels, wechat_fake
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, 1)
        [first] = await approve_note(conn, [world.farmer.id], ref="SQ-1")
        [second] = await approve_note(conn, [world.farmer.id], ref="SQ-2")
        await delivery.deliver_batch(conn, channels)
        sent, inbox = await row(conn, first), await row(conn, second)
        left = await remaining_grants(conn, world.farmer.id)
        openid = await openid_of(conn, world.farmer.id)
        created_at = await conn.fetchval("SELECT created_at FROM notifications WHERE id = $1", first)
    assert (sent["delivery_status"], sent["channel"], sent["attempts"]) == ("sent", "wechat", 1)
    assert inbox["delivery_status"] == "inbox_only"  # one grant, one message
    assert left == 0
    [message] = await wechat_fake.sent()
    assert message["touser"] == openid and message["template_id"] == TEMPLATE_ID
    assert message["page"] == "pages/case/detail?ref=SQ-1"
    assert message["data"]["phrase2"] == "已通过"
    assert message["data"]["character_string5"] == "SQ-1"
    local = created_at.astimezone(rules.LOCAL_TZ)  # the row's own time, not this machine's clock
    assert message["data"]["time3"] == f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


async def test_long_values_are_cut_so_wechat_accepts_them(pool, world: World, channels, wechat_fake) -> None:
    title = "您于三月一日提交的防止返贫监测自主申报已经县乡村振兴局审定通过"
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id)
        [nid] = await approve_note(conn, [world.farmer.id], ref="参考号SQ-2026-0001", title=title)
        await delivery.deliver_batch(conn, channels)
        state = await row(conn, nid)
    assert state["delivery_status"] == "sent", state["last_error"]
    [message] = await wechat_fake.sent()
    assert message["data"]["thing1"] == title[:19] + "…"
    assert message["data"]["character_string5"] == "SQ-2026-0001"


async def test_no_grant_43101_falls_back_to_inbox_without_retry(
    pool, world: World, channels, wechat_fake
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, 3)  # we counted three, but the user revoked them in WeChat
        await wechat_fake.fail("subscribe_send", 43101)
        [nid] = await approve_note(conn, [world.farmer.id])
        await delivery.deliver_batch(conn, channels)
        state = await row(conn, nid)
        left = await remaining_grants(conn, world.farmer.id)
    assert state["delivery_status"] == "inbox_only"
    assert state["attempts"] == 1 and "43101" in state["last_error"]
    assert left == 0
    assert (await wechat_fake.stats())["subscribe_send"] == 1
    assert await wechat_fake.sent() == []


async def test_token_expiry_mid_run_refreshes_and_delivers_all(
    pool, world: World, channels, wechat_fake
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, 2)
        [first] = await approve_note(conn, [world.farmer.id], ref="R1")
        await delivery.deliver_batch(conn, channels)
        await wechat_fake.expire_tokens()  # WeChat now answers 42001 to the cached token
        [second] = await approve_note(conn, [world.farmer.id], ref="R2")
        await delivery.deliver_batch(conn, channels)
        states = [await row(conn, first), await row(conn, second)]
    assert [s["delivery_status"] for s in states] == ["sent", "sent"]
    assert [s["attempts"] for s in states] == [1, 1]
    assert [m["data"]["character_string5"] for m in await wechat_fake.sent()] == ["R1", "R2"]
    stats = await wechat_fake.stats()
    assert stats["stable_token"] == 2  # the first token, then one refresh
    assert stats["subscribe_send"] == 3  # R1, R2 refused with 42001, R2 again


async def test_network_failure_retries_with_backoff_and_keeps_the_grant(
    pool, world: World, channels, wechat_fake
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, 1)
        await wechat_fake.fail("subscribe_send", http_status=503)  # WeChat down
        [nid] = await approve_note(conn, [world.farmer.id])
        await delivery.deliver_batch(conn, channels)
        waiting = await row(conn, nid)
        kept = await remaining_grants(conn, world.farmer.id)
        assert await delivery.deliver_batch(conn, channels) == []  # not due yet
        await conn.execute("UPDATE notifications SET next_attempt_at = now() WHERE id = $1", nid)
        await delivery.deliver_batch(conn, channels)
        done = await row(conn, nid)
    assert waiting["delivery_status"] == "pending" and waiting["attempts"] == 1
    assert (
        dt.timedelta(seconds=rules.RETRY_DELAYS_S[0] - 2)
        < waiting["wait"]
        <= dt.timedelta(seconds=rules.RETRY_DELAYS_S[0])
    )
    assert "503" in waiting["last_error"]
    assert kept == 1  # the message did not go, so the grant was given back
    assert (done["delivery_status"], done["attempts"]) == ("sent", 2)
    assert len(await wechat_fake.sent()) == 1


async def test_message_that_keeps_failing_ends_failed_and_an_admin_can_retry_it(
    pool, client, world: World, channels, wechat_fake
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, 1)
        await wechat_fake.fail("subscribe_send", -1, times=rules.MAX_ATTEMPTS)
        [nid] = await approve_note(conn, [world.farmer.id])
        for _ in range(rules.MAX_ATTEMPTS):
            await delivery.deliver_batch(conn, channels)
            await conn.execute("UPDATE notifications SET next_attempt_at = now() WHERE id = $1", nid)
        failed = await row(conn, nid)
    assert failed["delivery_status"] == "failed"
    assert failed["attempts"] == rules.MAX_ATTEMPTS
    assert failed["last_error"].startswith("wechat -1")

    admin = world.user(Role.admin)
    listed = await client.get("/api/notifications/deliveries?status=failed", headers=admin.headers)
    assert listed.status_code == 200
    assert [(d["id"], d["last_error"]) for d in listed.json()["items"]] == [(nid, failed["last_error"])]
    retried = await client.post(
        "/api/notifications/deliveries/retry", json={"ids": [nid]}, headers=admin.headers
    )
    assert retried.status_code == 200 and retried.json() == {"requeued": 1}
    async with pool.acquire() as conn:
        assert (await row(conn, nid))["delivery_status"] == "pending"
        await delivery.deliver_batch(conn, channels)
        assert (await row(conn, nid))["delivery_status"] == "sent"
    assert len(await wechat_fake.sent()) == 1


async def test_refused_template_fails_at_once_for_the_admin_to_fix(
    pool, world: World, channels, wechat_fake
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, 1)
        await wechat_fake.fail("subscribe_send", 40037)
        [nid] = await approve_note(conn, [world.farmer.id])
        await delivery.deliver_batch(conn, channels)
        state = await row(conn, nid)
        assert await remaining_grants(conn, world.farmer.id) == 1
    assert (state["delivery_status"], state["attempts"]) == ("failed", 1)
    assert "40037" in state["last_error"]


async def test_two_workers_draining_one_outbox_send_each_row_once(
    pool, settings, world: World, channels, wechat_fake
) -> None:
    rows_total = 600
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, rows_total)
        await conn.execute(
            "INSERT INTO notifications (user_id, event, title, body, data) "
            "SELECT $1, 'application_approved', '审定通过', '已纳入监测', "
            "jsonb_build_object('ref', 'N' || g) "
            "FROM generate_series(1, $2) AS g",
            world.farmer.id,
            rows_total,
        )
    second_pool = await create_pool(settings.database_url or "", min_size=1, max_size=2)
    try:
        async with pool.acquire() as a, second_pool.acquire() as b:
            handled = await asyncio.gather(
                delivery.deliver_due(a, channels), delivery.deliver_due(b, channels)
            )
    finally:
        await second_pool.close()
    assert sum(handled) == rows_total and all(handled)  # both workers took part
    refs = [m["data"]["character_string5"] for m in await wechat_fake.sent()]
    assert len(refs) == rows_total and len(set(refs)) == rows_total
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM notifications WHERE delivery_status = 'sent'")
            == rows_total
        )
        assert await remaining_grants(conn, world.farmer.id) == 0


async def test_claim_of_a_dead_worker_is_taken_back_only_after_its_lease(
    pool, world: World, channels, wechat_fake
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, 2)
        [stale, live] = [
            *await approve_note(conn, [world.farmer.id], ref="S"),
            *await approve_note(conn, [world.farmer.id], ref="L"),
        ]
        await conn.execute(
            "UPDATE notifications SET delivery_status = 'sending', attempts = 1, "
            "claimed_until = CASE id WHEN $1 THEN now() - interval '1 second' "
            "ELSE now() + interval '1 minute' END "
            "WHERE id = ANY ($2::bigint[])",
            stale,
            [stale, live],
        )
        await delivery.deliver_due(conn, channels)
        states = {nid: await row(conn, nid) for nid in (stale, live)}
    assert (states[stale]["delivery_status"], states[stale]["attempts"]) == ("sent", 2)
    assert states[live]["delivery_status"] == "sending"  # still another worker's
    assert [m["data"]["character_string5"] for m in await wechat_fake.sent()] == ["S"]


async def test_user_without_openid_gets_inbox_only_and_keeps_grants(
    pool, world: World, channels, wechat_fake
) -> None:
    helper = world.user(Role.helper)
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, helper.id, 1)
        [nid] = await approve_note(conn, [helper.id])
        await delivery.deliver_batch(conn, channels)
        assert (await row(conn, nid))["delivery_status"] == "inbox_only"
        assert await remaining_grants(conn, helper.id) == 1
    assert await wechat_fake.sent() == []


class RecordingSms:
    """An SMS provider plugged in as docs/notifications.md describes; it records instead of calling a gateway."""

    def __init__(self, fail_with: SmsError | None = None) -> None:
        self.sent: list[SmsMessage] = []
        self.fail_with = fail_with

    async def send(self, message: SmsMessage) -> None:
        if self.fail_with:
            raise self.fail_with
        self.sent.append(message)


@pytest.mark.parametrize("wechat_errcode", [None, 43101])
async def test_sms_is_the_fallback_when_wechat_cannot_go(
    pool, pii, world: World, channels, wechat_fake, wechat_errcode
) -> None:
    sms = RecordingSms()
    with_sms = delivery.Channels(wechat=channels.wechat, sms=sms, pii=pii)
    async with pool.acquire() as conn:
        await set_template(conn, sms_fallback=True)
        await conn.execute(
            "UPDATE users SET phone_enc = $1 WHERE id = $2", pii.encrypt("13800138000"), world.farmer.id
        )
        if wechat_errcode:
            await grant(conn, world.farmer.id, 1)
            await wechat_fake.fail("subscribe_send", wechat_errcode)
        [nid] = await approve_note(conn, [world.farmer.id])
        await delivery.deliver_batch(conn, with_sms)
        state = await row(conn, nid)
    assert (state["delivery_status"], state["channel"]) == ("sent", "sms")
    assert [(m.phone, m.event, m.title) for m in sms.sent] == [
        ("13800138000", "application_approved", "您的申请已审定通过")
    ]
    assert await wechat_fake.sent() == []


async def test_sms_failure_is_retried_like_any_other(pool, pii, world: World, channels, wechat_fake) -> None:
    sms = RecordingSms(SmsError("gateway timeout", retryable=True))
    async with pool.acquire() as conn:
        await set_template(conn, sms_fallback=True)
        await conn.execute(
            "UPDATE users SET phone_enc = $1 WHERE id = $2", pii.encrypt("13800138000"), world.farmer.id
        )
        [nid] = await approve_note(conn, [world.farmer.id])
        await delivery.deliver_batch(conn, delivery.Channels(wechat=channels.wechat, sms=sms, pii=pii))
        state = await row(conn, nid)
    assert (state["delivery_status"], state["last_error"]) == ("pending", "sms: gateway timeout")


async def test_concurrent_claims_never_overspend_a_grant(
    pool, settings, world: World, channels, wechat_fake
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, 3)
        ids = [i for n in range(10) for i in await approve_note(conn, [world.farmer.id], ref=f"G{n}")]
    second_pool = await create_pool(settings.database_url or "", min_size=1, max_size=2)
    try:
        async with pool.acquire() as a, second_pool.acquire() as b:
            await asyncio.gather(
                delivery.deliver_batch(a, channels, ids[:6], 6),
                delivery.deliver_batch(b, channels, ids[4:], 6),
            )
    finally:
        await second_pool.close()
    async with pool.acquire() as conn:
        statuses = [
            r["delivery_status"]
            for r in await conn.fetch("SELECT delivery_status FROM notifications ORDER BY id")
        ]
        assert await remaining_grants(conn, world.farmer.id) == 0
    assert statuses.count("sent") == 3 and statuses.count("inbox_only") == 7
    assert len(await wechat_fake.sent()) == 3


async def test_redis_lost_mid_delivery_puts_the_row_back_for_later(
    pool, pii, settings, world: World, wechat_fake, private_redis
) -> None:
    local = msgspec.structs.replace(settings, redis_url=private_redis.url)
    redis = create_redis(local)
    try:
        async with httpx.AsyncClient(timeout=10.0) as http:
            channels = delivery.Channels(wechat=WeChatClient(local, http, redis), sms=None, pii=pii)
            async with pool.acquire() as conn:
                await set_template(conn)
                await grant(conn, world.farmer.id, 1)
                [nid] = await approve_note(conn, [world.farmer.id])
                private_redis.stop()  # the access token lives in Redis
                await delivery.deliver_batch(conn, channels)
                waiting = await row(conn, nid)
                kept = await remaining_grants(conn, world.farmer.id)
                private_redis.start()
                await conn.execute("UPDATE notifications SET next_attempt_at = now() WHERE id = $1", nid)
                await delivery.deliver_batch(conn, channels)
                done = await row(conn, nid)
    finally:
        await redis.aclose()
    assert waiting["delivery_status"] == "pending" and "Error" in waiting["last_error"]
    assert kept == 1
    assert done["delivery_status"] == "sent"
    assert len(await wechat_fake.sent()) == 1
