"""Never oversold: many buyers ordering the last units at once get exactly the stock there is; carts
holding the same products in opposite orders never deadlock."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets

import asyncpg

from backend import errors as base_errors
from backend.db import create_pool
from backend.orders import service
from schemas.orders import CartLine, OrderSubmit
from tests.orders.conftest import Market
from tests.orders.test_api import step, stock, submit

CONCURRENT_ORDERS = 200
LAST_UNITS = 10


async def test_200_concurrent_orders_for_the_last_10_units(client, pool, market: Market) -> None:
    rice = market.products["rice"]
    await pool.execute("UPDATE products SET stock = $2 WHERE id = $1", rice, LAST_UNITS)
    buyers = [market.users["buyer_a"], market.users["buyer_b"]]
    responses = await asyncio.gather(
        *(submit(client, buyers[i % 2], {rice: 1}) for i in range(CONCURRENT_ORDERS))
    )
    codes = [r.status_code for r in responses]
    assert codes.count(201) == LAST_UNITS
    refused = [r for r in responses if r.status_code != 201]
    assert {(r.status_code, r.json()["code"]) for r in refused} == {(409, "out_of_stock")}
    assert "仅剩 0" in refused[0].json()["message"]
    assert await stock(pool, rice) == 0
    assert await pool.fetchval("SELECT sum(quantity) FROM order_lines WHERE product_id = $1", rice) == LAST_UNITS


async def test_separate_connections_never_oversell(pool, settings, market: Market) -> None:
    """The same race on 40 connections held at once (a pool of its own), 3 units each for 10 left."""
    tea = market.products["tea"]
    await pool.execute("UPDATE products SET stock = $2 WHERE id = $1", tea, LAST_UNITS)
    buyer = market.users["buyer_a"].principal
    cart = OrderSubmit(lines=[CartLine(product_id=tea, quantity=3)])
    now = dt.datetime.now(dt.UTC)

    async def one(racers: asyncpg.Pool) -> bool:
        async with racers.acquire() as conn:
            try:
                await service.submit(conn, buyer, secrets.token_hex(8), cart, now)
                return True
            except base_errors.Conflict:
                return False

    racers = await create_pool(settings.database_url, min_size=40, max_size=40)
    try:
        won = await asyncio.gather(*(one(racers) for _ in range(40)))
    finally:
        await racers.close()
    assert won.count(True) == 3  # 3 × 3 = 9 of 10; the tenth unit cannot make a third-sized order
    assert await stock(pool, tea) == 1


async def test_opposite_carts_do_not_deadlock(client, pool, market: Market) -> None:
    p, u = market.products, market.users
    forward = {p["rice"]: 1, p["tea"]: 1, p["oil"]: 2}
    backward = dict(reversed(list(forward.items())))
    responses = await asyncio.gather(
        *(submit(client, u["buyer_a" if i % 2 else "buyer_b"], forward if i % 2 else backward) for i in range(40))
    )
    assert [r.status_code for r in responses] == [201] * 40
    orders = [r.json()["id"] for r in responses]
    # Cancels (release in product order) racing new carts in both orders.
    racing = await asyncio.gather(
        *(step(client, u["buyer_a" if i % 2 else "buyer_b"], oid, "cancel", {"reason": "测试"}) for i, oid in enumerate(orders)),
        *(submit(client, u["buyer_b"], backward if i % 2 else forward) for i in range(20)),
    )
    assert {r.status_code for r in racing} == {200, 201}
    assert [await stock(pool, p[k]) for k in ("rice", "tea", "oil")] == [80, 80, 60]
