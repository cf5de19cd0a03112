"""The yearly figures against hand-built orders and benefit links: spent vs budget and the reserved
share, sales per supplier and origin county, benefit-linked households; each caller its own
scope; the XLSX exports open and hold the same numbers."""

from __future__ import annotations

import io
from decimal import Decimal

import asyncpg
import openpyxl
import pytest

from schemas.base import Role
from tests.factories import PROVINCE, User, make_staff_user
from tests.orders.conftest import BUDGET_FEN, THIS_YEAR, Market

FIGURES = "/api/orders/figures"


async def make_order(
    conn: asyncpg.Connection, m: Market, union_id: int, supplier_id: int, state: str, lines: dict[str, int],
    *, year: int = THIS_YEAR,
) -> int:
    """An order in `state` with these lines (product key → quantity) at the products' prices."""
    prices = {k: await conn.fetchval("SELECT price_fen FROM products WHERE id = $1", m.products[k]) for k in lines}
    order_id = await conn.fetchval(
        "INSERT INTO orders (union_id, supplier_id, state, budget_year, total_fen, needs_approval, ship_by, "
        "tracking_no, submitted_by, submitted_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, false, current_date, 'SF0001', $6, now(), now()) RETURNING id",
        union_id, supplier_id, state, year, sum(prices[k] * q for k, q in lines.items()), m.users["buyer_a"].id,
    )
    for key, quantity in lines.items():
        await conn.execute(
            "INSERT INTO order_lines (order_id, product_id, quantity, price_fen) VALUES ($1, $2, $3, $4)",
            order_id, m.products[key], quantity, prices[key],
        )
    return order_id


@pytest.fixture
async def year_of_orders(pool: asyncpg.Pool, market: Market) -> Market:
    m = market
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE union_budgets SET food_procurement_fen = 5000000, per_member_fen = 30000, member_count = 10 "
            "WHERE union_id = $1",
            m.union_a,
        )
        await make_order(conn, m, m.union_a, m.supplier_1, "settled", {"rice": 10})  # 60,000
        await make_order(conn, m, m.union_a, m.supplier_1, "received", {"tea": 5, "oil": 2})  # 78,000
        await make_order(conn, m, m.union_a, m.supplier_2, "shipped", {"honey": 3})  # 24,000 in progress
        await make_order(conn, m, m.union_a, m.supplier_1, "cancelled", {"rice": 1})  # not counted
        await make_order(conn, m, m.union_a, m.supplier_b, "submitted", {"nuts": 10})  # 40,000 in progress
        await make_order(conn, m, m.union_a, m.supplier_1, "settled", {"rice": 50}, year=THIS_YEAR - 1)
        await make_order(conn, m, m.union_b, m.supplier_b, "settled", {"nuts": 5})  # 20,000
    return m


async def get(client, user: User, what: str, **params: object):
    response = await client.get(f"{FIGURES}/{what}", params={"year": THIS_YEAR, **params}, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_union_spent_against_budget_and_reserved_share(client, year_of_orders: Market) -> None:
    m = year_of_orders
    (a,) = await get(client, m.users["buyer_a"], "unions")  # a buyer sees its own union only
    assert a == {
        "union_id": m.union_a, "union_name": "甲市总工会", "year": THIS_YEAR, "budget_fen": BUDGET_FEN,
        "committed_fen": 202_000, "remaining_fen": BUDGET_FEN - 202_000, "spent_fen": 138_000, "settled_fen": 60_000,
        "orders": 4, "food_procurement_fen": 5_000_000, "reserved_share_pct": 10, "reserved_target_fen": 500_000,
        "reserved_progress_pct": 27.6, "per_member_fen": 30_000, "member_count": 10,
        "per_member_target_fen": 300_000, "spent_per_member_fen": 13_800, "per_member_progress_pct": 46.0,
    }
    everyone = await get(client, m.world.user(Role.admin), "unions")
    b = next(f for f in everyone if f["union_id"] == m.union_b)
    # No stated food procurement total and no per-member amount: no target, no progress.
    assert (b["spent_fen"], b["reserved_target_fen"]) == (20_000, 0)
    assert "reserved_progress_pct" not in b and "per_member_target_fen" not in b
    last_year = await get(client, m.world.user(Role.admin), "unions", year=THIS_YEAR - 1)
    assert last_year == []  # no budget row for last year


async def test_sales_per_supplier_and_origin_county(client, year_of_orders: Market) -> None:
    m = year_of_orders
    admin = await get(client, m.world.user(Role.admin), "suppliers")
    assert [(r["supplier_id"], r["orders"], r["amount_fen"], r["in_progress_fen"]) for r in admin["rows"]] == [
        (m.supplier_1, 2, 138_000, 0),
        (m.supplier_b, 1, 20_000, 40_000),
        (m.supplier_2, 0, 0, 24_000),
    ]
    counties = await get(client, m.world.user(Role.admin), "counties")
    assert [(r["county_name"], r["orders"], r["amount_fen"], r["in_progress_fen"]) for r in counties["rows"]] == [
        ("甲县", 2, 138_000, 24_000),
        ("乙县", 1, 20_000, 40_000),
    ]
    # A union's own purchases only.
    buyer_b = await get(client, m.users["buyer_b"], "suppliers")
    assert [(r["supplier_id"], r["amount_fen"]) for r in buyer_b["rows"]] == [(m.supplier_b, 20_000)]


async def test_each_caller_reads_its_own_scope(client, pool, year_of_orders: Market) -> None:
    m, world = year_of_orders, year_of_orders.world
    own = await get(client, m.users["supplier_1"], "suppliers")
    assert [r["supplier_id"] for r in own["rows"]] == [m.supplier_1]
    assert [r["amount_fen"] for r in (await get(client, m.users["supplier_b"], "counties"))["rows"]] == [20_000]
    county_a = await get(client, world.user(Role.county), "suppliers")
    assert {r["supplier_id"] for r in county_a["rows"]} == {m.supplier_1, m.supplier_2}
    county_b = await get(client, world.other_county[Role.county], "suppliers")
    assert [r["supplier_id"] for r in county_b["rows"]] == [m.supplier_b]
    assert await get(client, world.other_county[Role.county], "unions") == []  # the unions are in county A
    async with pool.acquire() as conn:
        province = await make_staff_user(conn, world.settings, Role.county, PROVINCE)
    assert len((await get(client, province, "suppliers"))["rows"]) == 3
    for user, what in (
        (m.users["supplier_1"], "unions"),
        (m.users["buyer_a"], "households"),
        (world.user(Role.helper), "suppliers"),
        (world.farmer, "unions"),
    ):
        refused = await client.get(f"{FIGURES}/{what}", headers=user.headers)
        assert refused.status_code == 403, (user.role, what)
        exported = await client.get(f"{FIGURES}/{what}.xlsx", headers=user.headers)
        assert exported.status_code == 403, (user.role, what)


async def put_link(client, user: User, household_no: str, kind: str, amount_fen: int, year: int = THIS_YEAR) -> None:
    body = {"household_no": household_no, "kind": kind, "year": year, "amount_fen": amount_fen}
    response = await client.put("/api/suppliers/me/benefit-links", json=body, headers=user.headers)
    assert response.status_code == 200, response.text


@pytest.fixture
async def linked(client, market: Market) -> Market:
    u, h = market.users, market.world.households
    await put_link(client, u["supplier_1"], h["a1a"].household_no, "employment", 1_500_000)
    await put_link(client, u["supplier_1"], h["a1a"].household_no, "purchase_contract", 300_000)
    await put_link(client, u["supplier_1"], h["a1b"].household_no, "dividend", 50_000)
    await put_link(client, u["supplier_1"], h["a1b"].household_no, "dividend", 99, year=THIS_YEAR - 1)
    await put_link(client, u["supplier_2"], h["a1a"].household_no, "purchase_contract", 200_000)
    await put_link(client, u["supplier_b"], h["b1a"].household_no, "employment", 800_000)
    return market


def benefits(page: dict) -> dict[str, tuple[int, int, int, int, int]]:
    return {
        r["household_no"]: (r["purchase_contract_fen"], r["employment_fen"], r["dividend_fen"], r["total_fen"],
                            r["income_record_fen"])
        for r in page["items"]
    }


async def test_benefit_linked_households_and_their_income_record(client, linked: Market) -> None:
    m, h = linked, linked.world.households
    a1a, a1b, b1a = (h[k].household_no for k in ("a1a", "a1b", "b1a"))
    everything = await get(client, m.world.user(Role.admin), "households")
    assert benefits(everything) == {
        a1a: (500_000, 1_500_000, 0, 2_000_000, 2_000_000),
        a1b: (0, 0, 50_000, 50_000, 50_000),
        b1a: (0, 800_000, 0, 800_000, 800_000),
    }
    assert everything["meta"]["total"] == 3
    first = next(r for r in everything["items"] if r["household_no"] == a1a)
    assert set(first["suppliers"].split("、")) == {"甲县山珍合作社", "甲县茶业公司"}
    # A supplier sees only what it paid; county staff their county's suppliers' links.
    assert benefits(await get(client, m.users["supplier_1"], "households")) == {
        a1a: (300_000, 1_500_000, 0, 1_800_000, 1_800_000),
        a1b: (0, 0, 50_000, 50_000, 50_000),
    }
    assert set(benefits(await get(client, m.world.user(Role.county), "households"))) == {a1a, a1b}
    paged = await get(client, m.world.user(Role.admin), "households", page=2, page_size=2)
    assert len(paged["items"]) == 1 and paged["meta"]["total"] == 3


def sheet(response) -> list[tuple]:
    assert response.status_code == 200, response.text
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(fen) / 100


async def test_xlsx_exports_hold_the_same_numbers(client, year_of_orders: Market, linked: Market) -> None:
    admin = year_of_orders.world.user(Role.admin)
    params = {"year": THIS_YEAR}

    unions = await get(client, admin, "unions")
    rows = sheet(await client.get(f"{FIGURES}/unions.xlsx", params=params, headers=admin.headers))
    assert rows[0][:4] == ("工会编号", "工会", "年度", "预算（元）")
    assert len(rows) == 1 + len(unions)
    for row, figures in zip(rows[1:], unions, strict=True):
        assert row[0] == figures["union_id"]
        assert [Decimal(str(x)) if x is not None else None for x in row[3:8]] == [
            yuan(figures[k]) for k in ("budget_fen", "committed_fen", "remaining_fen", "spent_fen", "settled_fen")
        ]
        assert row[12] == figures.get("reserved_progress_pct")

    suppliers = await get(client, admin, "suppliers")
    rows = sheet(await client.get(f"{FIGURES}/suppliers.xlsx", params=params, headers=admin.headers))
    assert [(r[0], r[4], Decimal(str(r[5])), Decimal(str(r[6]))) for r in rows[1:]] == [
        (s["supplier_id"], s["orders"], yuan(s["amount_fen"]), yuan(s["in_progress_fen"])) for s in suppliers["rows"]
    ]

    counties = await get(client, admin, "counties")
    rows = sheet(await client.get(f"{FIGURES}/counties.xlsx", params=params, headers=admin.headers))
    assert [(r[0], Decimal(str(r[3]))) for r in rows[1:]] == [(c["county_code"], yuan(c["amount_fen"])) for c in counties["rows"]]

    households = await get(client, admin, "households")
    rows = sheet(await client.get(f"{FIGURES}/households.xlsx", params=params, headers=admin.headers))
    assert [(r[0], Decimal(str(r[7])), Decimal(str(r[8]))) for r in rows[1:]] == [
        (x["household_no"], yuan(x["total_fen"]), yuan(x["income_record_fen"])) for x in households["items"]
    ]


async def test_an_admin_sets_the_budget_and_what_it_is_measured_against(client, pool, year_of_orders: Market) -> None:
    m, admin = year_of_orders, year_of_orders.world.user(Role.admin)
    path = f"/api/unions/{m.union_b}/budgets/{THIS_YEAR}"
    body = {"budget_fen": 3_000_000, "food_procurement_fen": 1_000_000, "reserved_share_pct": 15}
    put = await client.put(path, json=body, headers=admin.headers)
    assert put.status_code == 200, put.text
    figures = put.json()
    assert (figures["budget_fen"], figures["reserved_target_fen"], figures["reserved_progress_pct"]) == (
        3_000_000, 150_000, 13.3,  # 20,000 spent of 150,000
    )
    await pool.execute("UPDATE union_budgets SET committed_fen = 40000 WHERE union_id = $1", m.union_b)
    below = await client.put(path, json={"budget_fen": 30_000}, headers=admin.headers)
    assert (below.status_code, below.json()["code"]) == (409, "budget_below_committed")
    assert "400.00 元" in below.json()["message"]
    new_year = await client.put(f"/api/unions/{m.union_b}/budgets/{THIS_YEAR + 1}", json={"budget_fen": 1}, headers=admin.headers)
    assert new_year.status_code == 200 and new_year.json()["reserved_share_pct"] == 10
    for user in (m.users["approver_a"], m.world.user(Role.county)):
        refused = await client.put(path, json=body, headers=user.headers)
        assert refused.status_code == 403
    missing = await client.put(f"/api/unions/999999/budgets/{THIS_YEAR}", json=body, headers=admin.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "union_not_found")
    assert await pool.fetchval("SELECT budget_fen FROM union_budgets WHERE union_id = $1 AND year = $2", m.union_b, THIS_YEAR) == 3_000_000
