"""Two API processes on one database: orders for the last units sent to both at once are never
oversold, and an order retried against the other process (the same Idempotency-Key) is one order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from backend.settings import Settings
from tests.orders.conftest import Market
from tests.orders.test_api import committed, stock, submit
from tests.processes import ApiProcess, stop_all


@pytest.fixture(scope="module")
async def two_apis(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[list[httpx.AsyncClient]]:
    logs = tmp_path_factory.mktemp("two-apis")
    apis = [ApiProcess(settings, logs / f"api-{n}.log") for n in (1, 2)]
    try:
        async with httpx.AsyncClient(base_url=apis[0].url) as one, httpx.AsyncClient(base_url=apis[1].url) as two:
            yield [one, two]
    finally:
        stop_all(apis)


async def test_the_last_units_ordered_through_two_processes_are_sold_once(
    two_apis: list[httpx.AsyncClient], pool, market: Market
) -> None:
    rice = market.products["rice"]
    await pool.execute("UPDATE products SET stock = 10 WHERE id = $1", rice)
    buyers = [market.users["buyer_a"], market.users["buyer_b"]]
    answers = await asyncio.gather(*(submit(two_apis[i % 2], buyers[i // 2 % 2], {rice: 1}) for i in range(60)))
    assert sorted(a.status_code for a in answers) == [201] * 10 + [409] * 50
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"out_of_stock"}
    assert await stock(pool, rice) == 0
    assert await pool.fetchval("SELECT sum(quantity) FROM order_lines WHERE product_id = $1", rice) == 10


async def test_a_retry_through_the_other_process_is_the_same_order(
    two_apis: list[httpx.AsyncClient], pool, market: Market
) -> None:
    rice, buyer = market.products["rice"], market.users["buyer_a"]
    keys = [f"two-process-key-{n:04d}" for n in range(10)]
    answers = await asyncio.gather(*(submit(api, buyer, {rice: 2}, key=key) for key in keys for api in two_apis))
    for key, (one, two) in zip(keys, zip(answers[0::2], answers[1::2])):
        assert sorted((one.status_code, two.status_code)) == [200, 201], key
        assert one.json()["id"] == two.json()["id"]
    assert await pool.fetchval("SELECT count(*) FROM orders") == 10
    assert await stock(pool, rice) == 100 - 20
    price = await pool.fetchval("SELECT price_fen FROM products WHERE id = $1", rice)
    assert await committed(pool, market.union_a) == 10 * 2 * price
