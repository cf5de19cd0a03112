"""The order path through HTTP: submit, approve, confirm, ship, receive, settle; cancel and reject
give stock and budget back; illegal steps are 409; each caller sees only its own orders."""

from __future__ import annotations

import secrets

import asyncpg

from schemas.base import Role
from tests.factories import User
from tests.orders.conftest import BUDGET_FEN, THIS_YEAR, Market, make_org_user


async def submit(client, user: User, lines: dict[int, int], *, key: str | None = None, ship_by_days: int = 7):
    body = {"lines": [{"product_id": p, "quantity": q} for p, q in lines.items()], "ship_by_days": ship_by_days}
    headers = user.headers | {"Idempotency-Key": key or secrets.token_hex(8)}
    return await client.post("/api/orders", json=body, headers=headers)


async def step(client, user: User, order_id: int, action: str, body: dict | None = None):
    return await client.post(f"/api/orders/{order_id}/{action}", json=body or {}, headers=user.headers)


async def stock(pool: asyncpg.Pool, product_id: int) -> int:
    return await pool.fetchval("SELECT stock FROM products WHERE id = $1", product_id)


async def committed(pool: asyncpg.Pool, union_id: int) -> int:
    return await pool.fetchval(
        "SELECT committed_fen FROM union_budgets WHERE union_id = $1 AND year = $2", union_id, THIS_YEAR
    )


async def test_whole_path_for_one_product(client, pool, market: Market) -> None:
    u = market.users
    rice = market.products["rice"]
    created = await submit(client, u["buyer_a"], {rice: 3})
    assert created.status_code == 201, created.text
    order = created.json()
    assert created.headers["location"] == f"/api/orders/{order['id']}"
    assert order["state"] == "submitted" and order["total_fen"] == 18_000 and not order["needs_approval"]
    assert await stock(pool, rice) == 97
    assert await committed(pool, market.union_a) == 18_000
    new = await pool.fetch("SELECT user_id, event FROM notifications ORDER BY id")
    assert [(r["user_id"], r["event"]) for r in new] == [(u["supplier_1"].id, "order_new")]

    oid = order["id"]
    assert (await step(client, u["supplier_1"], oid, "confirm")).json()["state"] == "confirmed"
    shipped = await step(client, u["supplier_1"], oid, "ship", {"carrier": "顺丰速运", "tracking_no": "SF1234567890"})
    assert shipped.status_code == 200 and shipped.json()["tracking_no"] == "SF1234567890"
    received = await step(client, u["buyer_a"], oid, "receive", {"note": "货物完好，数量无误"})
    assert received.json()["acceptance_note"] == "货物完好，数量无误"
    settled = await step(client, u["approver_a"], oid, "settle")
    assert settled.json()["state"] == "settled"
    assert [e["action"] for e in settled.json()["events"]] == ["submit", "confirm", "ship", "receive", "settle"]
    told = await pool.fetch("SELECT event FROM notifications WHERE user_id = $1 ORDER BY id", u["buyer_a"].id)
    assert [r["event"] for r in told] == ["order_confirmed", "order_shipped"]
    # The event log is append-only.
    await pool.execute("UPDATE order_events SET comment = 'x'")
    await pool.execute("DELETE FROM order_events")
    assert await pool.fetchval("SELECT count(*) FROM order_events WHERE comment <> 'x'") == 5


async def test_several_products_of_one_supplier(client, pool, market: Market) -> None:
    p = market.products
    response = await submit(client, market.users["buyer_a"], {p["tea"]: 1, p["rice"]: 2, p["oil"]: 2})
    assert response.status_code == 201, response.text
    order = response.json()
    assert [line["product_id"] for line in order["lines"]] == sorted([p["tea"], p["rice"], p["oil"]])
    assert order["total_fen"] == 12_000 + 2 * 6_000 + 2 * 9_000
    assert [await stock(pool, p[k]) for k in ("rice", "tea", "oil")] == [98, 99, 98]


async def test_cart_refusals(client, pool, market: Market) -> None:
    p, buyer = market.products, market.users["buyer_a"]
    mixed = await submit(client, buyer, {p["rice"]: 1, p["honey"]: 1})
    assert (mixed.status_code, mixed.json()["code"]) == (422, "mixed_suppliers")
    below = await submit(client, buyer, {p["oil"]: 1})
    assert below.json()["code"] == "below_minimum_order" and "起订量为 2" in below.json()["message"]
    short = await submit(client, buyer, {p["rice"]: 101})
    assert (short.status_code, short.json()["code"]) == (409, "out_of_stock")
    assert "仅剩 100" in short.json()["message"]
    no_key = await client.post("/api/orders", json={"lines": [{"product_id": p["rice"], "quantity": 1}]}, headers=buyer.headers)
    assert no_key.json()["code"] == "idempotency_key_required"
    supplier_may_not = await submit(client, market.users["supplier_1"], {p["rice"]: 1})
    assert supplier_may_not.status_code == 403
    assert await stock(pool, p["rice"]) == 100 and await committed(pool, market.union_a) == 0


async def test_submit_is_idempotent(client, pool, market: Market) -> None:
    rice, buyer = market.products["rice"], market.users["buyer_a"]
    first = await submit(client, buyer, {rice: 2}, key="retry-key-0001")
    again = await submit(client, buyer, {rice: 2}, key="retry-key-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other = await submit(client, buyer, {rice: 3}, key="retry-key-0001")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert await stock(pool, rice) == 98
    assert await pool.fetchval("SELECT count(*) FROM orders") == 1


async def test_budget_refusal_says_what_is_left(client, pool, market: Market) -> None:
    tea, buyer = market.products["tea"], market.users["buyer_a"]
    await pool.execute("UPDATE products SET stock = 1000 WHERE id = $1", tea)
    await pool.execute("UPDATE unions SET approval_threshold_fen = $1", BUDGET_FEN)
    assert (await submit(client, buyer, {tea: 80})).status_code == 201  # 9,600 yuan of 10,000
    refused = await submit(client, buyer, {tea: 4})  # 480 yuan, 400 left
    assert (refused.status_code, refused.json()["code"]) == (409, "budget_exceeded")
    assert "预算仅剩 400.00 元" in refused.json()["message"]
    assert await stock(pool, tea) == 920  # the refused order took nothing
    other_union = await submit(client, market.users["buyer_b"], {tea: 4})
    assert other_union.status_code == 201


async def test_approval_only_above_threshold(client, pool, market: Market) -> None:
    u, tea, rice = market.users, market.products["tea"], market.products["rice"]
    small = (await submit(client, u["buyer_a"], {rice: 1})).json()
    assert not small["needs_approval"]
    not_needed = await step(client, u["approver_a"], small["id"], "approve")
    assert (not_needed.status_code, not_needed.json()["code"]) == (409, "approval_not_needed")
    async with pool.acquire() as conn:  # another union's approver hears nothing of union A's orders
        await make_org_user(conn, market.world.settings, Role.union_approver, union_id=market.union_b)
    big = (await submit(client, u["buyer_a"], {tea: 20})).json()  # 2,400 yuan > 2,000
    assert big["needs_approval"]
    # The union's approvers are told it waits for them; the supplier hears of it once approved.
    waiting = await pool.fetch(
        "SELECT user_id, event, body FROM notifications WHERE (data->>'order_id')::bigint = $1", big["id"]
    )
    assert [(r["user_id"], r["event"]) for r in waiting] == [(u["approver_a"].id, "order_awaiting_approval")]
    assert "2,400.00 元" in waiting[0]["body"] and "审批" in waiting[0]["body"]
    early = await step(client, u["supplier_1"], big["id"], "confirm")
    assert (early.status_code, early.json()["code"]) == (409, "awaiting_approval")
    buyer_may_not = await step(client, u["buyer_a"], big["id"], "approve")
    assert buyer_may_not.status_code == 403
    approved = await step(client, u["approver_a"], big["id"], "approve")
    assert approved.json()["state"] == "approved"
    told = await pool.fetchval("SELECT event FROM notifications WHERE user_id = $1 ORDER BY id DESC", u["supplier_1"].id)
    assert told == "order_new"
    assert (await step(client, u["supplier_1"], big["id"], "confirm")).json()["state"] == "confirmed"


async def test_cancel_and_reject_give_back_stock_and_budget(client, pool, market: Market) -> None:
    u, tea = market.users, market.products["tea"]
    big = (await submit(client, u["buyer_a"], {tea: 20})).json()
    rejected = await step(client, u["approver_a"], big["id"], "reject", {"reason": "超出本季度采购计划"})
    assert rejected.json()["state"] == "rejected" and rejected.json()["reason"] == "超出本季度采购计划"
    assert await stock(pool, tea) == 100 and await committed(pool, market.union_a) == 0
    small = (await submit(client, u["buyer_a"], {tea: 2})).json()
    await step(client, u["supplier_1"], small["id"], "confirm")
    cancelled = await step(client, u["buyer_a"], small["id"], "cancel", {"reason": "活动取消"})
    assert cancelled.json()["state"] == "cancelled"
    assert await stock(pool, tea) == 100 and await committed(pool, market.union_a) == 0
    again = await step(client, u["buyer_a"], small["id"], "cancel", {"reason": "再取消一次"})
    assert again.status_code == 409
    assert await stock(pool, tea) == 100


async def test_every_illegal_transition_is_a_409(client, pool, market: Market) -> None:
    u, rice = market.users, market.products["rice"]
    bodies = {
        "approve": {},
        "reject": {"reason": "原因"},
        "confirm": {},
        "ship": {"carrier": "邮政", "tracking_no": "EMS0001"},
        "receive": {"note": "验收"},
        "settle": {},
        "cancel": {"reason": "原因"},
    }
    actor = {"approve": "approver_a", "reject": "approver_a", "confirm": "supplier_1", "ship": "supplier_1",
             "receive": "buyer_a", "settle": "buyer_a", "cancel": "buyer_a"}
    legal = {
        "submitted": {"confirm", "cancel"},
        "confirmed": {"ship", "cancel"},
        "shipped": {"receive"},
        "received": {"settle"},
        "settled": set(),
    }
    order_id = (await submit(client, u["buyer_a"], {rice: 1})).json()["id"]
    path = ["confirm", "ship", "receive", "settle", None]
    for state, next_action in zip(legal, path, strict=True):
        for action in set(bodies) - legal[state]:
            response = await step(client, u[actor[action]], order_id, action, bodies[action])
            assert response.status_code == 409, (state, action, response.text)
            assert response.json()["code"] in {"order_action_not_allowed", "approval_not_needed"}
        if next_action:
            assert (await step(client, u[actor[next_action]], order_id, next_action, bodies[next_action])).status_code == 200
    assert await pool.fetchval("SELECT count(*) FROM order_events") == 5


async def test_stale_version_is_refused(client, market: Market) -> None:
    u = market.users
    order = (await submit(client, u["buyer_a"], {market.products["rice"]: 1})).json()
    stale = await step(client, u["supplier_1"], order["id"], "confirm", {"version": order["version"] + 1})
    assert stale.json()["code"] == "stale_version"


async def test_ship_by_and_overdue(client, pool, market: Market) -> None:
    u, rice = market.users, market.products["rice"]
    order = (await submit(client, u["buyer_a"], {rice: 1}, ship_by_days=15)).json()
    assert order["ship_by_days"] == 15 and not order["overdue"]
    assert (await submit(client, u["buyer_a"], {rice: 1}, ship_by_days=10)).status_code == 400
    await pool.execute("UPDATE orders SET ship_by = ship_by - 30 WHERE id = $1", order["id"])
    late = (await client.get(f"/api/orders/{order['id']}", headers=u["supplier_1"].headers)).json()
    assert late["overdue"]
    listed = (await client.get("/api/orders?overdue=true", headers=u["supplier_1"].headers)).json()
    assert [o["id"] for o in listed["items"]] == [order["id"]] and listed["items"][0]["overdue"]
    await step(client, u["supplier_1"], order["id"], "confirm")
    await step(client, u["supplier_1"], order["id"], "ship", {"carrier": "邮政", "tracking_no": "EMS0002"})
    shipped = (await client.get(f"/api/orders/{order['id']}", headers=u["buyer_a"].headers)).json()
    assert not shipped["overdue"]


async def test_each_caller_sees_only_its_own_orders(client, pool, market: Market) -> None:
    u, p = market.users, market.products
    mine = (await submit(client, u["buyer_a"], {p["rice"]: 1})).json()
    theirs = (await submit(client, u["buyer_b"], {p["honey"]: 1})).json()
    for user, visible in (
        (u["buyer_a"], [mine["id"]]),
        (u["approver_a"], [mine["id"]]),
        (u["buyer_b"], [theirs["id"]]),
        (u["supplier_1"], [mine["id"]]),
        (u["supplier_2"], [theirs["id"]]),
        (u["supplier_b"], []),
        (market.world.user(Role.county), [theirs["id"], mine["id"]]),
        (market.world.other_county[Role.county], []),
    ):
        listed = (await client.get("/api/orders", headers=user.headers)).json()
        assert [o["id"] for o in listed["items"]] == visible, user.role
    assert (await client.get(f"/api/orders/{mine['id']}", headers=u["buyer_b"].headers)).status_code == 404
    assert (await client.get(f"/api/orders/{mine['id']}", headers=u["supplier_2"].headers)).status_code == 404
    other_supplier = await step(client, u["supplier_2"], mine["id"], "confirm")
    other_union = await step(client, u["buyer_b"], mine["id"], "cancel", {"reason": "不是我的"})
    assert (other_supplier.status_code, other_union.status_code) == (404, 404)
    assert await pool.fetchval("SELECT state FROM orders WHERE id = $1", mine["id"]) == "submitted"
    helper = await client.get("/api/orders", headers=market.world.user(Role.helper).headers)
    assert helper.status_code == 403
