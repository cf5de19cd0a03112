"""Order submission under concurrency through the API, against its floor, and the catalogue page.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/orders.py [--duration 10] [--connections 32]

1. `POST /api/orders` (one line, quantity 1, a fresh Idempotency-Key each) from a load process
   against one hot product, then spread over 1,000 products: orders/s, p50, p99. Buyers belong to
   64 unions, so the budget row of one union is not what is measured.
2. In the same run, the floor: the bare conditional `UPDATE products SET stock = stock - 1 WHERE
   id = $1 AND stock >= 1` on the hot row from as many connections, each statement its own
   transaction; the ratio API / floor is printed.
3. `GET /api/catalog` (page 1, 20 a page, and a filtered name search) with 10,000 products.

Without the variables the embedded servers under .fangpin/bench are used. A scratch database is
created, migrated and loaded, and dropped at the end. The API runs as `fangpin serve` in its own
process (bench/api_server.py); the load comes from a separate process.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import sys
import time
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_county  # noqa: E402  (beside this file)
from api_read import run_httpx  # noqa: E402
from api_server import (  # noqa: E402
    api_process,
    bench_settings,
    figures,
    run_on_bench_servers,
)
from scratch_db import scratch_database  # noqa: E402

from backend.auth import Principal, issue_access_token  # noqa: E402
from migrations.runner import migrate  # noqa: E402
from schemas.base import Role  # noqa: E402

COUNTY = "450102000000"
UNIONS = 64
PRODUCTS = 10_000  # in the catalogue
SPREAD_PRODUCTS = 1_000  # the spread order load picks among the first 1,000
HOT_STOCK = 10_000_000  # the hot product never runs out during a run
WARM_UP_S = 2

SEED = f"""
INSERT INTO unions (name, region_code, approval_threshold_fen)
SELECT '工会' || g, '{COUNTY}', 10000000000 FROM generate_series(1, {UNIONS}) AS g;
INSERT INTO union_budgets (union_id, year, budget_fen)
SELECT u.id, y, 10000000000000 FROM unions u, generate_series(2020, 2100) AS y;
INSERT INTO users (role, username, display_name, union_id)
SELECT 'union_buyer', 'buyer' || u.id, '采购员', u.id FROM unions u;
INSERT INTO suppliers (name, credit_code, county_code, certification_status)
SELECT '供应商' || g, '9345010200000' || lpad(g::text, 5, '0'), '{COUNTY}', 'certified' FROM generate_series(1, 20) AS g;
INSERT INTO products (supplier_id, cert_no, name, category, unit, price_fen, stock, min_order, origin_county_code)
SELECT (SELECT min(id) FROM suppliers) + (g % 20), 'BF' || g, '商品' || g || (ARRAY['大米', '茶叶', '蜂蜜', '香菇'])[1 + g % 4],
       (ARRAY['粮油', '茶叶', '蜂产品', '干货'])[1 + g % 4], '件', 1000 + (g * 37) % 20000, {HOT_STOCK}, 1, '{COUNTY}'
FROM generate_series(1, {PRODUCTS}) AS g;
"""


async def seed(conn: asyncpg.Connection) -> tuple[list[Principal], list[int]]:
    """The unions with their buyers, the suppliers and the products (bench_county's regions first)."""
    await conn.execute(SEED)
    buyers = [
        Principal(user_id=r["id"], role=Role.union_buyer, union_id=r["union_id"])
        for r in await conn.fetch("SELECT id, union_id FROM users WHERE role = 'union_buyer' ORDER BY id")
    ]
    return buyers, [r["id"] for r in await conn.fetch("SELECT id FROM products ORDER BY id")]


async def prepare(dsn: str) -> tuple[list[Principal], list[int]]:
    await migrate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(bench_county.REGIONS_SQL)
        chosen = await seed(conn)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return chosen


def _order_load(
    url: str, tokens: list[str], products: list[int], duration_s: int, connections: int, out: multiprocessing.Queue
) -> None:
    """In its own process: `connections` clients submitting one-line orders until the deadline."""

    async def main() -> tuple[list[float], dict[int, int]]:
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        deadline = time.monotonic() + duration_s
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def worker(index: int) -> None:
                headers = {"Authorization": f"Bearer {tokens[index % len(tokens)]}"}
                n = index
                while time.monotonic() < deadline:
                    n += connections
                    body = {"lines": [{"product_id": products[n % len(products)], "quantity": 1}]}
                    start = time.perf_counter()
                    response = await client.post(
                        url, json=body, headers=headers | {"Idempotency-Key": secrets.token_hex(12)}
                    )
                    latencies.append(time.perf_counter() - start)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            await asyncio.gather(*(worker(i) for i in range(connections)))
        return latencies, statuses

    out.put(asyncio.run(main()))


def run_orders(
    url: str, tokens: list[str], products: list[int], duration_s: int, connections: int
) -> tuple[float, float, float]:
    """Orders created per second, p50 ms, p99 ms; anything but 201 stops the bench."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(
        target=_order_load, args=(url, tokens, products, duration_s, connections, queue)
    )
    process.start()
    latencies, statuses = queue.get()
    process.join()
    if set(statuses) != {201}:
        raise SystemExit(f"unexpected answers: {statuses}")
    return figures(latencies, duration_s)


async def run_floor(dsn: str, product_id: int, duration_s: int, connections: int) -> tuple[float, float, float]:
    """The bare conditional update on the hot row: updates/s, p50 ms, p99 ms."""
    latencies: list[float] = []
    deadline = time.monotonic() + duration_s
    pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)

    async def worker() -> None:
        async with pool.acquire() as conn:
            statement = await conn.prepare("UPDATE products SET stock = stock - 1 WHERE id = $1 AND stock >= 1")
            while time.monotonic() < deadline:
                start = time.perf_counter()
                await statement.fetch(product_id)
                latencies.append(time.perf_counter() - start)

    try:
        await asyncio.gather(*(worker() for _ in range(connections)))
    finally:
        await pool.close()
    return figures(latencies, duration_s)


async def measure(args: argparse.Namespace, admin_dsn: str, redis_url: str) -> dict[str, tuple[float, float, float]]:
    results: dict[str, tuple[float, float, float]] = {}
    async with scratch_database(admin_dsn, "orders") as dsn:
        settings = bench_settings(dsn, redis_url)
        buyers, products = await prepare(dsn)
        with api_process(settings) as (base, _):
            tokens = [issue_access_token(settings, b) for b in buyers]
            print(
                f"{args.connections} connections, {args.duration} s per measurement, {UNIONS} unions' buyers, "
                f"{PRODUCTS:,} products; CPUs: {os.cpu_count()}"
            )
            hot, spread = products[:1], products[:SPREAD_PRODUCTS]
            run_orders(base + "/api/orders", tokens, spread, WARM_UP_S, args.connections)
            for name, chosen in (
                ("POST /api/orders, one hot product", hot),
                (f"POST /api/orders, {SPREAD_PRODUCTS:,} products", spread),
            ):
                results[name] = run_orders(base + "/api/orders", tokens, chosen, args.duration, args.connections)
            results["floor: bare UPDATE … stock >= 1 on the hot row"] = await run_floor(
                dsn, hot[0], args.duration, args.connections
            )
            catalog = {
                "GET /api/catalog page 1 (20 of 10,000)": "/api/catalog?page=1&page_size=20",
                "GET /api/catalog category + price + name, page 3": (
                    "/api/catalog?category=茶叶&price_min_fen=2000&price_max_fen=15000&q=茶叶&sort=price_asc&page=3"
                ),
            }
            headers = {"Authorization": f"Bearer {tokens[0]}"}
            for name, path in catalog.items():
                run_httpx(base + path, headers, WARM_UP_S, args.connections)
                results[name] = run_httpx(base + path, headers, args.duration, args.connections)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    results = run_on_bench_servers(lambda admin_dsn, redis_url: measure(args, admin_dsn, redis_url))

    print("\n| measurement | per s | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for name, (rate, p50, p99) in results.items():
        print(f"| {name} | {rate:,.0f} | {p50:.1f} | {p99:.1f} |")
    hot_rate = results["POST /api/orders, one hot product"][0]
    floor_rate = results["floor: bare UPDATE … stock >= 1 on the hot row"][0]
    print(f"\nhot-product orders / bare update floor = {hot_rate / floor_rate:.2f} ({hot_rate:,.0f} / {floor_rate:,.0f} per s)")


if __name__ == "__main__":
    main()
