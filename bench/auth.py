"""Log-in and token costs: staff password log-in (argon2 on purpose), refresh rotation, farmer
WeChat log-in against the shipped fake, and the shared WeChat access token (cache hit, cold start
with many callers at once).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/auth.py [--rounds 200]

Runs the service functions in this process on a scratch database (created, migrated, dropped) and
the WeChat fake in a thread; prints median and p95 per operation.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.accounts import service  # noqa: E402
from backend.db import create_pool  # noqa: E402
from backend.embedded import servers  # noqa: E402
from backend.passwords import hash_password  # noqa: E402
from backend.queue import create_redis  # noqa: E402
from backend.settings import GENERATED_KEYS, Settings, load_settings  # noqa: E402
from backend.wechat.client import WeChatClient, access_token_key  # noqa: E402
from backend.wechat.fake import FakeControl, fake_in_thread  # noqa: E402
from migrations.runner import migrate  # noqa: E402
from schemas.accounts import StaffLogin  # noqa: E402

PASSWORD = "bench-password-1"
COLD_TOKEN_CALLERS = 50


async def timed(label: str, rounds: int, operation: Callable[[int], Awaitable[object]]) -> None:
    samples_ms = []
    for i in range(rounds):
        started = time.perf_counter()
        await operation(i)
        samples_ms.append((time.perf_counter() - started) * 1000)
    samples_ms.sort()
    p95 = samples_ms[max(0, int(len(samples_ms) * 0.95) - 1)]
    print(f"{label:<34} n={rounds:<5} median {statistics.median(samples_ms):7.2f} ms   p95 {p95:7.2f} ms")


async def run(settings: Settings, rounds: int) -> None:
    pool = await create_pool(settings.database_url or "", min_size=1, max_size=4)
    redis = create_redis(settings)
    fake = FakeControl(settings.wechat_base_url)
    try:
        await pool.execute(
            "INSERT INTO regions (code, name, level, prefix) VALUES ('450000000000', '测试省', 'province', '45')"
        )
        await pool.execute(
            "INSERT INTO users (role, username, password_hash, region_code) VALUES ('admin', 'bench', $1, '450000000000')",
            hash_password(PASSWORD),
        )
        login = StaffLogin(username="bench", password=PASSWORD)
        async with pool.acquire() as conn, httpx.AsyncClient() as http:
            wechat = WeChatClient(settings, http, redis)
            await timed("staff login (argon2id)", max(rounds // 10, 10), lambda _: service.login_staff(conn, redis, settings, login))
            pair = await service.login_staff(conn, redis, settings, login)
            tokens = [pair.refresh_token]

            async def rotate(_: int) -> None:
                tokens.append((await service.refresh(conn, settings, tokens[-1])).refresh_token)

            await timed("refresh rotation", rounds, rotate)
            await timed("farmer WeChat login (fake)", rounds, lambda i: service.login_farmer(conn, settings, wechat, f"c{i}"))
            await wechat.access_token()
            await timed("access token, cached in Redis", rounds * 10, lambda _: wechat.access_token())

            await fake.reset()
            await redis.delete(access_token_key(settings))
            started = time.perf_counter()
            connections = [create_redis(settings) for _ in range(COLD_TOKEN_CALLERS)]
            callers = [WeChatClient(settings, http, connection) for connection in connections]
            await asyncio.gather(*(c.access_token() for c in callers))
            elapsed_ms = (time.perf_counter() - started) * 1000
            await asyncio.gather(*(connection.aclose() for connection in connections))
            calls = (await fake.stats())["stable_token"]
            print(f"cold token, {COLD_TOKEN_CALLERS} callers at once        {elapsed_ms:7.2f} ms   stable_token calls: {calls}")
    finally:
        await redis.aclose()
        await pool.close()


async def main(rounds: int) -> None:
    run_id = secrets.token_hex(4)
    with servers(ROOT / ".fangpin/bench", os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")) as (
        admin_dsn,
        redis_url,
    ):
        database = f"fangpin_bench_auth_{run_id}"
        admin = await asyncpg.connect(admin_dsn)
        await admin.execute(f'CREATE DATABASE "{database}"')
        dsn = urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{database}"))
        try:
            await migrate(dsn)
            defaults = Settings()
            with fake_in_thread(defaults.wechat_appid, defaults.wechat_secret) as fake_url:
                keys = {name: base64.b64encode(secrets.token_bytes(32)).decode() for name in GENERATED_KEYS}
                settings = load_settings(
                    {},
                    database_url=dsn,
                    redis_url=redis_url,
                    redis_prefix=f"fangpin-bench-{run_id}:",
                    wechat_base_url=fake_url,
                    **keys,
                )
                await run(settings, rounds)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    asyncio.run(main(parser.parse_args().rounds))
