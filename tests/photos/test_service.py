import msgspec
from arq.connections import ArqRedis
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.queue import create_redis
from schemas.base import Role
from tests.photos.conftest import Owners, earlier_case, encode, phone_photo, scene, upload_files
from workers.photos import photos_sweep
from workers.settings import create_worker


async def test_later_lookalike_is_flagged_when_the_earlier_photo_finishes_last(client, owners: Owners, pool, process) -> None:
    """Jobs finish in any order; the later upload is still the one pointed at the earlier one."""
    helper = owners.world.user(Role.helper)
    picture = scene(71, size=(1400, 1000))
    earlier = (
        await client.post(
            f"/api/applications/{owners.application_id}/photos", headers=helper.headers, **upload_files(encode(picture))
        )
    ).json()
    case = await earlier_case(pool, owners)
    later = (
        await client.post(
            f"/api/applications/{case}/photos",
            headers=helper.headers,
            **upload_files(encode(picture.resize((700, 500)), quality=60)),
        )
    ).json()
    assert await process(later["id"]) == "ready"
    assert await pool.fetchval("SELECT possible_reuse_of FROM photos WHERE id = $1", later["id"]) is None
    assert await process(earlier["id"]) == "ready"
    rows = await pool.fetch("SELECT id, possible_reuse_of FROM photos ORDER BY id")
    assert [(r["id"], r["possible_reuse_of"]) for r in rows] == [(earlier["id"], None), (later["id"], earlier["id"])]


async def test_same_household_photo_from_another_uploader_is_flagged(client, owners: Owners, pool, process) -> None:
    farmer, helper = owners.world.farmer, owners.world.user(Role.helper)
    data = phone_photo(seed=72)
    first = (await client.post(f"/api/applications/{owners.application_id}/photos", headers=farmer.headers, **upload_files(data))).json()
    await process(first["id"])
    case = await earlier_case(pool, owners)
    copy = await client.post(f"/api/applications/{case}/photos", headers=helper.headers, **upload_files(data))
    assert copy.json()["status"] == "ready"  # same bytes, already processed: flagged at once
    assert copy.json()["possible_reuse"] == {"photo_id": first["id"], "distance_bits": 0}


async def test_product_photos_are_not_checked_for_reuse(client, owners: Owners, pool, process) -> None:
    """A supplier showing the same picture on two products is normal, not abuse."""
    second_product = await pool.fetchval(
        "INSERT INTO products (supplier_id, name, category, unit, price_fen, stock, origin_county_code) "
        "SELECT supplier_id, '百香果礼盒', category, unit, 9800, 10, origin_county_code FROM products WHERE id = $1 "
        "RETURNING id",
        owners.product_id,
    )
    picture = scene(73, size=(800, 600))
    for product_id, data in ((owners.product_id, encode(picture)), (second_product, encode(picture, quality=60))):
        url = f"/api/products/{product_id}/photos"
        photo = (await client.post(url, headers=owners.supplier.headers, **upload_files(data))).json()
        assert await process(photo["id"]) == "ready"
    assert await pool.fetchval("SELECT count(*) FROM photos WHERE status = 'ready'") == 2
    assert await pool.fetchval("SELECT count(*) FROM photos WHERE possible_reuse_of IS NOT NULL") == 0


async def test_processing_twice_is_harmless(client, owners: Owners, process, storage, pool) -> None:
    farmer = owners.world.farmer
    photo_id = (
        await client.post(
            f"/api/applications/{owners.application_id}/photos", headers=farmer.headers, **upload_files(phone_photo(seed=74))
        )
    ).json()["id"]
    assert await process(photo_id) == "ready"
    ready_at = await pool.fetchval("SELECT ready_at FROM photos WHERE id = $1", photo_id)
    assert await process(photo_id) == "ready"
    assert await pool.fetchval("SELECT ready_at FROM photos WHERE id = $1", photo_id) == ready_at
    assert await process(999_999) == "not_found"


def broken_inside(data: bytes) -> bytes:
    """A complete JPEG whose scan names a Huffman table that does not exist."""
    damaged = bytearray(data)
    sos = damaged.find(b"\xff\xda")
    damaged[sos + 6] = 0x33
    return bytes(damaged)


async def test_picture_broken_inside_fails_and_is_refused_next_time(client, owners: Owners, process) -> None:
    farmer = owners.world.farmer
    url = f"/api/applications/{owners.application_id}/photos"
    data = broken_inside(encode(scene(75, size=(300, 200))))
    photo_id = (await client.post(url, headers=farmer.headers, **upload_files(data))).json()["id"]
    assert await process(photo_id) == "failed"
    shown = (await client.get(f"/api/photos/{photo_id}", headers=farmer.headers)).json()
    assert shown["status"] == "failed"
    assert "损坏" in shown["failure"]
    assert "links" not in shown
    again = await client.post(
        f"/api/products/{owners.product_id}/photos", headers=owners.supplier.headers, **upload_files(data)
    )
    assert again.status_code == 422
    assert again.json()["code"] == "photo_damaged"


async def clear_queue(redis: ArqRedis, settings) -> None:
    """Jobs left by earlier tests (photo ids repeat after each test's TRUNCATE)."""
    await redis.delete(settings.queue_name)
    async for key in redis.scan_iter(match=f"arq:job:{settings.redis_prefix}*"):
        await redis.delete(key)


async def test_redis_down_at_upload_then_the_sweep_and_a_real_worker_finish_it(settings, owners: Owners, pool, worker_ctx) -> None:
    down = create_app(msgspec.structs.replace(settings, redis_url="redis://127.0.0.1:1/0"), configure_logs=False)
    async with AsyncTestClient(app=down) as client:
        response = await client.post(
            f"/api/applications/{owners.application_id}/photos",
            headers=owners.world.farmer.headers,
            **upload_files(phone_photo(seed=76)),
        )
    assert response.status_code == 201
    photo_id = response.json()["id"]
    assert response.json()["status"] == "processing"

    redis = create_redis(settings)
    try:
        await clear_queue(redis, settings)
        assert await photos_sweep({**worker_ctx, "redis": redis}) == 0  # too fresh to count as stuck
        await pool.execute("UPDATE photos SET created_at = now() - interval '10 minutes' WHERE id = $1", photo_id)
        assert await photos_sweep({**worker_ctx, "redis": redis}) == 1
        assert await photos_sweep({**worker_ctx, "redis": redis}) == 1  # queued once, not twice
        assert len(await redis.queued_jobs()) == 1
        worker = create_worker(settings, burst=True, poll_delay=0.05)
        try:
            await worker.async_run()
        finally:
            await worker.close()
    finally:
        await redis.aclose()
    assert await pool.fetchval("SELECT status FROM photos WHERE id = $1", photo_id) == "ready"


async def test_upload_queues_the_job_a_real_worker_runs(client, settings, owners: Owners, pool) -> None:
    redis = create_redis(settings)
    try:
        await clear_queue(redis, settings)
        response = await client.post(
            f"/api/applications/{owners.application_id}/photos",
            headers=owners.world.farmer.headers,
            **upload_files(phone_photo(seed=77)),
        )
        worker = create_worker(settings, burst=True, poll_delay=0.05)
        try:
            await worker.async_run()
        finally:
            await worker.close()
    finally:
        await redis.aclose()
    shown = await client.get(f"/api/photos/{response.json()['id']}", headers=owners.world.farmer.headers)
    assert shown.json()["status"] == "ready"
    assert (await client.get(shown.json()["links"]["thumb_url"])).status_code == 200
