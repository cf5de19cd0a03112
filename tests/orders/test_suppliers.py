"""Suppliers: registration with a checked credit code, certification states (a suspended supplier's
products leave the catalogue), products management, benefit links and the household income line."""

from __future__ import annotations

import datetime as dt

from schemas.base import Role
from tests.factories import COUNTY_A, COUNTY_B
from tests.orders.conftest import THIS_YEAR, Market, credit_code, make_product
from tests.orders.test_api import submit

NEXT_YEAR = dt.date.today() + dt.timedelta(days=365)


async def catalog(client, user, query: str = "") -> list[str]:
    response = await client.get(f"/api/catalog?{query}", headers=user.headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_registration_checks_code_and_county(client, market: Market) -> None:
    county = market.world.user(Role.county)
    bad = await client.post(
        "/api/suppliers",
        json={"name": "甲县新合作社", "credit_code": "91450102MA00000000", "county_code": COUNTY_A},
        headers=county.headers,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_credit_code")
    code = credit_code()
    not_relieved = await client.post(
        "/api/suppliers",
        json={"name": "乙县合作社", "credit_code": code, "county_code": COUNTY_B},
        headers=market.world.user(Role.admin).headers,
    )
    assert not_relieved.json()["code"] == "county_not_poverty_relieved"
    other_county = await client.post(
        "/api/suppliers",
        json={"name": "甲县新合作社", "credit_code": code, "county_code": COUNTY_A},
        headers=market.world.other_county[Role.county].headers,
    )
    assert other_county.json()["code"] == "not_a_county"
    made = await client.post(
        "/api/suppliers", json={"name": "甲县新合作社", "credit_code": code, "county_code": COUNTY_A}, headers=county.headers
    )
    assert made.status_code == 201 and made.json()["certification_status"] == "pending"
    assert made.headers["location"] == f"/api/suppliers/{made.json()['id']}"
    again = await client.post(
        "/api/suppliers", json={"name": "重复", "credit_code": code, "county_code": COUNTY_A}, headers=county.headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "supplier_already_registered")


async def test_certification_states_and_the_catalogue(client, pool, market: Market) -> None:
    world, buyer = market.world, market.users["buyer_a"]
    county, admin = world.user(Role.county), world.user(Role.admin)
    made = await client.post(
        "/api/suppliers",
        json={"name": "甲县菌菇合作社", "credit_code": credit_code(), "county_code": COUNTY_A},
        headers=county.headers,
    )
    sid = made.json()["id"]
    await make_product(pool, sid, "香菇干", category="菌菇")

    async def act(user, action: str, body: dict | None = None):
        return await client.post(f"/api/suppliers/{sid}/certification/{action}", json=body or {}, headers=user.headers)

    assert "香菇干" not in await catalog(client, buyer)
    early = await act(admin, "certify", {"certified_until": NEXT_YEAR.isoformat()})
    assert (early.status_code, early.json()["code"]) == (409, "certification_action_not_allowed")
    assert (await act(county, "recommend")).json()["certification_status"] == "recommended"
    assert (await act(county, "certify", {"certified_until": NEXT_YEAR.isoformat()})).status_code == 403
    assert (await act(admin, "certify")).json()["code"] == "expiry_required"
    certified = await act(admin, "certify", {"certified_until": NEXT_YEAR.isoformat()})
    assert certified.json()["certification_status"] == "certified"
    assert "香菇干" in await catalog(client, buyer)
    assert (await act(admin, "suspend")).json()["code"] == "reason_required"
    suspended = await act(admin, "suspend", {"reason": "抽检不合格"})
    assert suspended.json()["decision_reason"] == "抽检不合格"
    assert "香菇干" not in await catalog(client, buyer)
    product_id = await pool.fetchval("SELECT id FROM products WHERE supplier_id = $1", sid)
    refused = await submit(client, buyer, {product_id: 1})
    assert (refused.status_code, refused.json()["code"]) == (409, "product_unavailable")
    assert (await act(admin, "reinstate")).json()["certification_status"] == "certified"
    assert "香菇干" in await catalog(client, buyer)
    await pool.execute("UPDATE suppliers SET certified_until = current_date - 1 WHERE id = $1", sid)
    assert "香菇干" not in await catalog(client, buyer)  # an expired certificate leaves too
    # Out of scope: county B staff cannot see or act on county A's supplier.
    other = world.other_county[Role.county]
    assert (await client.get(f"/api/suppliers/{sid}", headers=other.headers)).status_code == 404
    assert (await act(other, "suspend", {"reason": "x"})).status_code == 404
    listed = (await client.get("/api/suppliers", headers=other.headers)).json()
    assert [s["name"] for s in listed["items"]] == ["乙县果业公司"]


async def test_rejected_supplier_may_reapply(client, market: Market) -> None:
    county, supplier = market.world.user(Role.county), market.users["supplier_2"]
    await client.post(f"/api/suppliers/{market.supplier_2}/certification/suspend", json={"reason": "整改"},
                      headers=market.world.user(Role.admin).headers)
    assert (await client.post(f"/api/suppliers/{market.supplier_2}/certification/reapply", json={},
                              headers=supplier.headers)).status_code == 409
    made = await client.post(
        "/api/suppliers",
        json={"name": "甲县竹笋合作社", "credit_code": credit_code(), "county_code": COUNTY_A},
        headers=county.headers,
    )
    rejected = await client.post(
        f"/api/suppliers/{made.json()['id']}/certification/reject", json={"reason": "材料不全"}, headers=county.headers
    )
    assert rejected.json()["certification_status"] == "rejected"


async def test_catalogue_filters_search_sort_and_pages(client, market: Market) -> None:
    buyer = market.users["buyer_a"]
    assert await catalog(client, buyer, "sort=price_asc") == ["核桃", "高山大米", "土蜂蜜", "山茶油", "云雾绿茶"]
    assert await catalog(client, buyer, "sort=price_desc&page_size=2") == ["云雾绿茶", "山茶油"]
    assert await catalog(client, buyer, "sort=price_desc&page_size=2&page=3") == ["核桃"]
    assert await catalog(client, buyer, "category=茶叶") == ["云雾绿茶"]
    assert await catalog(client, buyer, f"origin_county={COUNTY_B}") == ["核桃"]
    assert await catalog(client, buyer, "price_min_fen=6000&price_max_fen=9000&sort=price_asc") == [
        "高山大米", "土蜂蜜", "山茶油"
    ]
    assert await catalog(client, buyer, "q=茶") == ["山茶油", "云雾绿茶"]
    page = (await client.get("/api/catalog?page_size=2", headers=buyer.headers)).json()
    assert page["meta"] == {"total": 5, "page": 1, "page_size": 2}
    assert (await client.get("/api/catalog", headers=market.world.user(Role.helper).headers)).status_code == 403


async def test_supplier_manages_only_its_own_products(client, pool, market: Market) -> None:
    s1, s2 = market.users["supplier_1"], market.users["supplier_2"]
    made = await client.post(
        "/api/products",
        json={"name": "红薯粉条", "category": "粮油", "unit": "袋", "price_fen": 2500, "stock": 10,
              "origin_county_code": COUNTY_A, "min_order": 5},
        headers=s1.headers,
    )
    assert made.status_code == 201 and made.json()["supplier_id"] == market.supplier_1
    pid = made.json()["id"]
    restocked = await client.patch(f"/api/products/{pid}", json={"stock_change": 15, "price_fen": 2800}, headers=s1.headers)
    assert (restocked.json()["stock"], restocked.json()["price_fen"], restocked.json()["name"]) == (25, 2800, "红薯粉条")
    too_much = await client.patch(f"/api/products/{pid}", json={"stock_change": -26}, headers=s1.headers)
    assert (too_much.status_code, too_much.json()["code"]) == (409, "stock_would_go_negative")
    assert (await client.patch(f"/api/products/{pid}", json={"active": False}, headers=s2.headers)).status_code == 404
    off = await client.patch(f"/api/products/{pid}", json={"active": False}, headers=s1.headers)
    assert off.json()["active"] is False and "红薯粉条" not in await catalog(client, market.users["buyer_a"])
    mine = (await client.get("/api/products", headers=s1.headers)).json()
    assert {p["name"] for p in mine["items"]} == {"高山大米", "云雾绿茶", "山茶油", "红薯粉条"}
    theirs = (await client.get("/api/products", headers=s2.headers)).json()
    assert [p["name"] for p in theirs["items"]] == ["土蜂蜜"]
    assert await pool.fetchval("SELECT stock FROM products WHERE id = $1", pid) == 25


async def test_benefit_link_flows_into_the_household_income_record(client, pool, market: Market) -> None:
    s1, households = market.users["supplier_1"], market.world.households
    body = {"household_no": households["a1a"].household_no, "kind": "employment", "year": THIS_YEAR, "amount_fen": 1_200_000}
    link = await client.put("/api/suppliers/me/benefit-links", json=body, headers=s1.headers)
    assert link.status_code == 200, link.text
    corrected = await client.put("/api/suppliers/me/benefit-links", json=body | {"amount_fen": 1_500_000}, headers=s1.headers)
    assert corrected.json()["id"] == link.json()["id"]
    lines = await pool.fetch(
        "SELECT source, income_kind, amount_fen FROM household_income_lines WHERE household_id = $1 AND year = $2",
        households["a1a"].id,
        THIS_YEAR,
    )
    assert [tuple(r) for r in lines] == [("consumption_assistance", "wage", 1_500_000)]
    elsewhere = await client.put(
        "/api/suppliers/me/benefit-links", json=body | {"household_no": households["b1a"].household_no}, headers=s1.headers
    )
    assert elsewhere.status_code == 404  # a household outside the supplier's county
    listed = await client.get(f"/api/suppliers/{market.supplier_1}/benefit-links", headers=s1.headers)
    assert [(x["household_no"], x["amount_fen"]) for x in listed.json()] == [(households["a1a"].household_no, 1_500_000)]
    other = await client.get(f"/api/suppliers/{market.supplier_1}/benefit-links", headers=market.users["supplier_2"].headers)
    assert other.status_code == 404
