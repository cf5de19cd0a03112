"""No message twice: a worker killed while WeChat holds its answers, and an answer that never
comes. WeChat (the shipped fake) counts what it received."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from backend.notifications import delivery, rules
from backend.settings import Settings
from backend.wechat.client import WeChatClient
from backend.wechat.fake import FakeControl
from schemas.base import Role
from tests.factories import World
from tests.notifications.conftest import approve_note, grant, remaining_grants, run_workers, set_template
from tests.processes import WorkerProcess

ROWS = 40  # more than the worker sends at once (SEND_CONCURRENCY 32): some are never started


async def received_refs(wechat_fake: FakeControl) -> list[str]:
    return [m["data"]["character_string5"] for m in await wechat_fake.sent()]


async def statuses(pool) -> dict[str, int]:
    rows = await pool.fetch("SELECT delivery_status, count(*) FROM notifications GROUP BY 1")
    return {r["delivery_status"]: r["count"] for r in rows}


async def test_a_worker_killed_mid_send_sends_nothing_twice(
    settings: Settings, pool, world: World, wechat_fake: FakeControl, redis, empty_queue: None, tmp_path: Path
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, ROWS)
        for i in range(ROWS):
            await approve_note(conn, [world.farmer.id], ref=f"R{i}")
    await wechat_fake.answer_delay(30)  # WeChat takes each message and holds its answer
    worker = WorkerProcess(settings, tmp_path / "worker.log")  # its start-up sweep claims all 40
    try:
        for _ in range(1200):  # a loaded machine may take a while to start the worker
            if len(await received_refs(wechat_fake)) >= delivery.SEND_CONCURRENCY:
                break
            await asyncio.sleep(0.05)
    finally:
        worker.kill()
    in_flight = await received_refs(wechat_fake)
    assert len(in_flight) == delivery.SEND_CONCURRENCY

    await wechat_fake.answer_delay(0)
    await pool.execute("UPDATE notifications SET claimed_until = now() WHERE delivery_status = 'sending'")  # lease over
    await redis.delete(settings.queue_name)  # the dead worker's job, which arq retries only after its timeout
    await run_workers(settings)  # a new worker: its start-up sweep takes the dead one's claims back

    received = await received_refs(wechat_fake)
    assert sorted(received) == sorted(f"R{i}" for i in range(ROWS))  # every message, each once
    assert await statuses(pool) == {"unconfirmed": len(in_flight), "sent": ROWS - len(in_flight)}
    notes = await pool.fetch("SELECT DISTINCT last_error FROM notifications WHERE delivery_status = 'unconfirmed'")
    assert [n["last_error"] for n in notes] == [rules.STOPPED_WHILE_SENDING]
    async with pool.acquire() as conn:
        assert await remaining_grants(conn, world.farmer.id) == 0  # the never-started got theirs back, then used it


async def test_an_answer_that_never_comes_is_unconfirmed_and_resent_only_by_an_admin(
    settings: Settings, pool, client, world: World, wechat_fake: FakeControl, redis, pii
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, 2)
        [nid] = await approve_note(conn, [world.farmer.id], ref="LATE")
    await wechat_fake.answer_delay(2)
    async with httpx.AsyncClient(timeout=0.5) as http, pool.acquire() as conn:
        channels = delivery.Channels(wechat=WeChatClient(settings, http, redis), sms=None, pii=pii)
        [result] = await delivery.deliver_batch(conn, channels)
        assert result.status == "unconfirmed"
        await wechat_fake.answer_delay(0)
        assert await delivery.deliver_due(conn, channels) == 0  # the sweep leaves it alone
    assert await received_refs(wechat_fake) == ["LATE"]
    listed = await client.get(
        "/api/notifications/deliveries", params={"status": "unconfirmed"}, headers=world.user(Role.admin).headers
    )
    assert [d["id"] for d in listed.json()["items"]] == [nid]

    retried = await client.post(
        "/api/notifications/deliveries/retry", json={"ids": [nid]}, headers=world.user(Role.admin).headers
    )
    assert retried.status_code == 200, retried.text
    await run_workers(settings)
    assert await received_refs(wechat_fake) == ["LATE", "LATE"]  # sent again because a person chose to
    assert (await statuses(pool)) == {"sent": 1}
