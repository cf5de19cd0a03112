"""The arq jobs with real workers: immediate delivery after commit, the sweep, Redis outages."""

import msgspec

from backend.notifications.service import enqueue_delivery
from backend.queue import create_redis
from tests.factories import World
from tests.notifications.conftest import approve_note, grant, row, run_workers, set_template


async def test_enqueued_after_commit_a_worker_delivers_it(
    pool, settings, redis, world: World, wechat_fake, empty_queue
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id)
        async with conn.transaction():
            ids = await approve_note(conn, [world.farmer.id], ref="Q1")
    await enqueue_delivery(redis, ids)
    await run_workers(settings)
    async with pool.acquire() as conn:
        assert (await row(conn, ids[0]))["delivery_status"] == "sent"
    assert [m["data"]["character_string5"] for m in await wechat_fake.sent()] == ["Q1"]


async def test_two_arq_workers_with_overlapping_jobs_send_each_row_once(
    pool, settings, redis, world: World, wechat_fake, empty_queue
) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await grant(conn, world.farmer.id, 100)
        ids = [i for n in range(100) for i in await approve_note(conn, [world.farmer.id], ref=f"W{n}")]
    # The same rows enqueued several times over (a retried enqueue, an admin retry, the sweep).
    for start in range(0, 100, 10):
        await enqueue_delivery(redis, ids[start : start + 20])
        await enqueue_delivery(redis, ids[start : start + 10])
    await run_workers(settings, count=2)
    refs = [m["data"]["character_string5"] for m in await wechat_fake.sent()]
    assert sorted(refs) == sorted(f"W{n}" for n in range(100))
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM notifications WHERE delivery_status = 'sent'") == 100


async def test_redis_down_at_commit_the_sweep_delivers_when_it_returns(
    pool, settings, world: World, wechat_fake, private_redis
) -> None:
    local = msgspec.structs.replace(settings, redis_url=private_redis.url)
    redis = create_redis(local)
    try:
        async with pool.acquire() as conn:
            await set_template(conn)
            await grant(conn, world.farmer.id)
        private_redis.stop()
        async with pool.acquire() as conn:
            async with conn.transaction():
                ids = await approve_note(conn, [world.farmer.id], ref="DOWN")
            await enqueue_delivery(redis, ids)  # logged, not raised: the row waits in PostgreSQL
            assert (await row(conn, ids[0]))["delivery_status"] == "pending"
        private_redis.start()
        await run_workers(local)  # nothing queued: the startup sweep finds the row
    finally:
        await redis.aclose()
    async with pool.acquire() as conn:
        assert (await row(conn, ids[0]))["delivery_status"] == "sent"
    assert [m["data"]["character_string5"] for m in await wechat_fake.sent()] == ["DOWN"]
