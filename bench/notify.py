"""How fast the outbox drains: N notification rows delivered as WeChat subscribe messages through
the shipped fake, against the same number of bare HTTP calls to the fake from this process.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/notify.py [--rows 10000]

Without the variables the embedded servers under .fangpin/bench are used. A scratch database and
Redis prefix are created and removed. The fake runs in its own process, as WeChat would.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.db import create_pool  # noqa: E402
from backend.embedded import servers  # noqa: E402
from backend.notifications import delivery  # noqa: E402
from backend.pii import Pii  # noqa: E402
from backend.queue import create_redis  # noqa: E402
from backend.settings import GENERATED_KEYS, Settings, load_settings  # noqa: E402
from backend.wechat.client import WeChatClient, access_token_key  # noqa: E402
from backend.wechat.fake import FakeControl  # noqa: E402
from migrations.runner import migrate  # noqa: E402

USERS = 100
TEMPLATE_ID = "bench-approved"
FIELDS = {
    "thing1": "title",
    "phrase2": "literal:已通过",
    "time3": "created_at",
    "character_string4": "data.ref",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    code = (
        "from backend.settings import Settings; from backend.wechat.fake import serve_fake; "
        f"serve_fake('127.0.0.1', {port}, Settings())"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the WeChat fake did not start")


async def seed(conn: asyncpg.Connection, rows: int) -> None:
    await conn.execute(
        "INSERT INTO users (role, openid, display_name) "
        "SELECT 'farmer', 'o-bench-' || g, '农户' FROM generate_series(1, $1) AS g",
        USERS,
    )
    await conn.execute(
        "INSERT INTO notification_templates (event, template_id, fields, page) "
        "VALUES ('application_approved', $1, $2, $3)",
        TEMPLATE_ID,
        FIELDS,
        "pages/case/detail?ref={ref}",
    )
    await conn.execute(
        "INSERT INTO subscribe_grants (user_id, template_id, remaining) SELECT id, $1, $2 FROM users",
        TEMPLATE_ID,
        rows,
    )
    await conn.execute(
        "INSERT INTO notifications (user_id, event, title, body, page, data) "
        "SELECT (g % $2) + 1, 'application_approved', '您的防止返贫监测申请已经县级审定通过', "
        "'已纳入监测帮扶', "
        "'pages/case/detail', jsonb_build_object('ref', 'SQ-' || g) FROM generate_series(1, $1) AS g",
        rows,
        USERS,
    )


async def drain(
    settings: Settings, pool: asyncpg.Pool, channels: delivery.Channels, workers: int
) -> tuple[float, float]:
    """(wall, this process's CPU) seconds for `workers` concurrent sweeps to deliver everything."""

    async def sweep() -> int:
        async with pool.acquire() as conn:
            return await delivery.deliver_due(conn, channels)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(sweep() for _ in range(workers)))
    return time.perf_counter() - started, time.process_time() - cpu


async def bare_calls(fake_url: str, token: str, count: int) -> tuple[float, float]:
    """(wall, CPU) seconds for `count` subscribe sends straight to the fake, as concurrent as delivery."""
    body = {
        "touser": "o-bench-1",
        "template_id": TEMPLATE_ID,
        "page": "pages/case/detail?ref=SQ-1",
        "data": {"thing1": {"value": "您的防止返贫监测申请已经县级审定"}, "phrase2": {"value": "已通过"}},
        "miniprogram_state": "formal",
        "lang": "zh_CN",
    }
    url = fake_url + "/cgi-bin/message/subscribe/send"
    lanes = delivery.SEND_CONCURRENCY
    async with httpx.AsyncClient(timeout=10.0) as http:

        async def lane(calls: int) -> None:
            for _ in range(calls):
                answer = (await http.post(url, params={"access_token": token}, json=body)).json()
                assert answer["errcode"] == 0, answer

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(lane(count // lanes + (i < count % lanes)) for i in range(lanes)))
        return time.perf_counter() - started, time.process_time() - cpu


async def run(rows: int, workers: int, admin_dsn: str, redis_url: str, fake_url: str) -> None:
    database = f"fangpin_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    dsn = urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{database}"))
    keys = {name: base64.b64encode(secrets.token_bytes(32)).decode() for name in GENERATED_KEYS}
    settings = load_settings(
        {},
        database_url=dsn,
        redis_url=redis_url,
        wechat_base_url=fake_url,
        redis_prefix=f"fangpin-bench-{database}:",
        queue_name=f"fangpin-bench-{database}:queue",
        **keys,
    )
    redis = create_redis(settings)
    pool = await create_pool(dsn, min_size=workers, max_size=workers + 1)
    try:
        await migrate(dsn)
        async with pool.acquire() as conn:
            await seed(conn, rows)
        fake = FakeControl(fake_url)
        async with httpx.AsyncClient(timeout=10.0) as http:
            wechat = WeChatClient(settings, http, redis)
            token = await wechat.access_token()  # both runs start with a cached token
            # Bare calls before and after, the faster counted, so a warm or busy fake favours neither.
            bare_before = await bare_calls(fake_url, token, rows)
            channels = delivery.Channels(
                wechat=wechat,
                sms=None,
                pii=Pii(settings.key_bytes("pii_key"), settings.key_bytes("pii_index_key")),
            )
            delivery_s, delivery_cpu_s = await drain(settings, pool, channels, workers)
        sent = await pool.fetchval("SELECT count(*) FROM notifications WHERE delivery_status = 'sent'")
        assert sent == rows, f"only {sent} of {rows} rows were sent"
        assert (await fake.stats())["subscribe_send"] == 2 * rows
        bare_s, bare_cpu_s = min(bare_before, await bare_calls(fake_url, token, rows))
        await redis.delete(access_token_key(settings))
    finally:
        await pool.close()
        await redis.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
    delivered_rate, bare_rate = rows / delivery_s, rows / bare_s
    print(
        f"outbox rows delivered:     {rows} via {workers} sweeper(s), "
        f"{delivery.SEND_CONCURRENCY} concurrent sends each"
    )
    print(
        f"delivery through outbox:   {delivery_s:7.2f} s  {delivered_rate:8.0f} messages/s"
        f"  {1000 * delivery_cpu_s / rows:5.2f} ms CPU/message in this process"
    )
    print(
        f"bare HTTP calls to fake:   {bare_s:7.2f} s  {bare_rate:8.0f} calls/s   "
        f"  {1000 * bare_cpu_s / rows:5.2f} ms CPU/call in this process"
    )
    print(f"ratio delivery / bare:     {delivered_rate / bare_rate:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="concurrent sweeps draining the outbox")
    args = parser.parse_args()
    import os

    fake, fake_url = start_fake()
    try:
        with servers(
            Path(".fangpin/bench").resolve(), os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
        ) as (dsn, redis_url):
            asyncio.run(run(args.rows, args.workers, dsn, redis_url, fake_url))
    finally:
        fake.terminate()
        fake.wait()


if __name__ == "__main__":
    main()
