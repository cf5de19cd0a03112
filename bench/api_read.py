"""Read throughput of the API: the farmer's own household (`GET /api/miniapp/farmer/household`,
a real token, the real query on the demo data) against the bare `GET /ping` route as the ceiling.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/api_read.py [--duration 10] [--connections 16] [--rounds 2]

Without the variables the embedded servers under .fangpin/bench are used. A scratch database is
created, migrated and loaded with the demo data, and dropped at the end. The API runs as
`fangpin serve` in its own process; the load comes from `wrk` (apt-get install wrk) in another
process, or from an asyncio/httpx generator in a separate process when wrk is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend import db  # noqa: E402
from backend.auth import Principal, issue_access_token  # noqa: E402
from backend.demo import seed_demo  # noqa: E402
from backend.embedded import servers  # noqa: E402
from backend.pii import Pii  # noqa: E402
from backend.settings import GENERATED_KEYS, Settings, env_name, load_settings  # noqa: E402
from migrations.runner import migrate  # noqa: E402
from schemas.base import Role  # noqa: E402

FARMER_PATH = "/api/miniapp/farmer/household"
PING_PATH = "/ping"
WARM_UP_S = 2
TARGET_RPS = 2_000  # docs/performance.md: the figure the read path must reach on 2 cores
TARGET_P99_MS = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def prepare(admin_dsn: str, database: str, settings: Settings) -> Principal:
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    await migrate(settings.database_url or "")
    # The app's connection set-up (JSON codecs), as `fangpin seed-demo` uses.
    pool = await db.create_pool(settings.database_url or "", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            result = await seed_demo(
                conn, Pii(settings.key_bytes("pii_key"), settings.key_bytes("pii_index_key"))
            )
    finally:
        await pool.close()
    return Principal(user_id=result.farmer.user_id, role=Role.farmer, household_id=result.farmer.household_id)


async def drop(admin_dsn: str, database: str) -> None:
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    await admin.close()


def start_api(settings: Settings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **{
            env_name(f): str(getattr(settings, f))
            for f in ("database_url", "redis_url", "port", *GENERATED_KEYS)
        },
    }
    env[env_name("log_level")] = "WARNING"
    process = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{settings.port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the API did not start")


def run_wrk(
    url: str, headers: dict[str, str], duration_s: int, connections: int
) -> tuple[float, float, float]:
    """requests/s, p50 ms, p99 ms."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration_s}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx answers from {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return rps, _wrk_ms(out, "50%"), _wrk_ms(out, "99%")


def _wrk_ms(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _httpx_load(
    url: str, headers: dict[str, str], duration_s: int, connections: int, out: multiprocessing.Queue
) -> None:
    async def main() -> list[float]:
        latencies: list[float] = []
        deadline = time.monotonic() + duration_s
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(headers=headers, limits=limits) as client:

            async def worker() -> None:
                while time.monotonic() < deadline:
                    start = time.perf_counter()
                    response = await client.get(url)
                    latencies.append(time.perf_counter() - start)
                    response.raise_for_status()

            await asyncio.gather(*(worker() for _ in range(connections)))
        return latencies

    out.put(asyncio.run(main()))


def run_httpx(
    url: str, headers: dict[str, str], duration_s: int, connections: int
) -> tuple[float, float, float]:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_httpx_load, args=(url, headers, duration_s, connections, queue))
    process.start()
    latencies = sorted(queue.get())
    process.join()
    return (
        len(latencies) / duration_s,
        statistics.median(latencies) * 1000,
        latencies[int(len(latencies) * 0.99)] * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="measurements per route; the best is reported")
    args = parser.parse_args()
    load = run_wrk if shutil.which("wrk") else run_httpx

    with servers(ROOT / ".fangpin/bench", os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")) as (
        admin_dsn,
        redis_url,
    ):
        database = f"fangpin_bench_read_{secrets.token_hex(4)}"
        keys = {name: base64.b64encode(secrets.token_bytes(32)).decode() for name in GENERATED_KEYS}
        dsn = urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{database}"))
        settings = load_settings({}, database_url=dsn, redis_url=redis_url, port=free_port(), **keys)
        api = None
        try:
            farmer = asyncio.run(prepare(admin_dsn, database, settings))
            api = start_api(settings)
            base = f"http://127.0.0.1:{settings.port}"
            token = issue_access_token(settings, farmer)
            routes = {
                "GET /ping (ceiling)": (base + PING_PATH, {}),
                f"GET {FARMER_PATH}": (base + FARMER_PATH, {"Authorization": f"Bearer {token}"}),
            }
            print(
                f"load: {load.__name__.removeprefix('run_')}, {args.connections} connections, "
                f"{args.duration} s x {args.rounds} rounds per route, best round reported; "
                f"CPUs: {os.cpu_count()}"
            )
            results: dict[str, tuple[float, float, float]] = {}
            for name, (url, headers) in routes.items():
                load(url, headers, WARM_UP_S, args.connections)
                rounds = [load(url, headers, args.duration, args.connections) for _ in range(args.rounds)]
                for rps, p50, p99 in rounds:
                    print(f"  {name:<45} {rps:>9,.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
                results[name] = max(rounds)
        finally:
            if api is not None:
                api.send_signal(signal.SIGTERM)
                api.wait(timeout=15)
            asyncio.run(drop(admin_dsn, database))

    ceiling, farmer_result = results.values()
    print("\n| route | req/s | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for name, (rps, p50, p99) in results.items():
        print(f"| `{name}` | {rps:,.0f} | {p50:.1f} | {p99:.1f} |")
    ratio = ceiling[0] / farmer_result[0]
    print(
        f"\nceiling / household = {ratio:.2f}x (target ≤ 2x); household target ≥ {TARGET_RPS:,} req/s "
        f"with p99 < {TARGET_P99_MS:.0f} ms: "
        + (
            "met"
            if farmer_result[0] >= TARGET_RPS and farmer_result[2] < TARGET_P99_MS and ratio <= 2
            else "NOT met"
        )
    )


if __name__ == "__main__":
    main()
