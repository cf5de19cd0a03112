"""The demo (`./dev up`) is a market the order path can be tried on: the demo buyer finds a
certified supplier's products, orders, and sees the union's year against its reserved share."""

from __future__ import annotations

import secrets

from backend.auth import Principal
from backend.demo import data, seed_demo
from backend.pii import Pii
from schemas.base import Role
from tests.factories import token_for


async def test_the_demo_buyer_can_order_and_read_the_figures(client, pool, pii: Pii, settings) -> None:
    async with pool.acquire() as conn:
        await seed_demo(conn, pii)
    buyer = await pool.fetchrow("SELECT id, union_id FROM users WHERE username = 'demo_union_buyer'")
    token = token_for(settings, Principal(user_id=buyer["id"], role=Role.union_buyer, union_id=buyer["union_id"]))
    headers = {"Authorization": f"Bearer {token}"}

    catalog = (await client.get("/api/catalog?q=绿茶", headers=headers)).json()["items"]
    assert [item["supplier_name"] for item in catalog] == ["石门县龙潭茶业有限公司"]
    tea = catalog[0]
    order = await client.post(
        "/api/orders",
        json={"lines": [{"product_id": tea["id"], "quantity": tea["min_order"]}]},
        headers=headers | {"Idempotency-Key": secrets.token_hex(8)},
    )
    assert order.status_code == 201, order.text

    (figures,) = (await client.get("/api/orders/figures/unions", headers=headers)).json()
    assert figures["union_name"] == data.UNION_NAME
    assert figures["committed_fen"] == order.json()["total_fen"]
    assert figures["reserved_target_fen"] == data.UNION_FOOD_PROCUREMENT_FEN[-1] // 10
    assert figures["per_member_target_fen"] == data.UNION_PER_MEMBER_FEN * data.UNION_MEMBERS
