"""A small market on top of the test world: two unions (A with a budget for this year, B), two
certified suppliers in county A and one in county B, products, and a user per union/supplier role."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import asyncpg
import pytest
from stdnum.cn import uscc

from backend.auth import Principal
from backend.calendar.rules import local_date
from backend.settings import Settings
from schemas.base import Role
from tests.factories import COUNTY_A, COUNTY_B, User, World, token_for

_serial = itertools.count(1)
THIS_YEAR = local_date(dt.datetime.now(dt.UTC)).year
BUDGET_FEN = 1_000_000  # 10,000 yuan
THRESHOLD_FEN = 200_000  # 2,000 yuan: above it an approver approves


def credit_code() -> str:
    """A fresh unified social credit code with a valid GB 32100 check character."""
    body = f"93450102MA{next(_serial):07d}"
    return body + uscc.calc_check_digit(body)


@dataclass
class Market:
    world: World
    union_a: int
    union_b: int
    supplier_1: int  # county A
    supplier_2: int  # county A
    supplier_b: int  # county B
    products: dict[str, int] = field(default_factory=dict)  # rice, tea, oil (supplier 1), honey (2), nuts (b)
    users: dict[str, User] = field(default_factory=dict)  # buyer_a, approver_a, buyer_b, supplier_1, ...


async def make_org_user(conn: asyncpg.Connection, settings: Settings, role: Role, **org: int) -> User:
    user_id = await conn.fetchval(
        "INSERT INTO users (role, username, display_name, union_id, supplier_id) VALUES ($1, $2, $3, $4, $5) "
        "RETURNING id",
        role.value,
        f"{role.value}-{next(_serial)}",
        f"{role.value} 测试",
        org.get("union_id"),
        org.get("supplier_id"),
    )
    principal = Principal(user_id=user_id, role=role, **org)
    return User(user_id, role, principal, token_for(settings, principal))


async def make_supplier(conn: asyncpg.Connection, name: str, county: str, status: str = "certified") -> int:
    return await conn.fetchval(
        "INSERT INTO suppliers (name, credit_code, county_code, certification_status) VALUES ($1, $2, $3, $4) "
        "RETURNING id",
        name,
        credit_code(),
        county,
        status,
    )


async def make_product(
    conn: asyncpg.Connection,
    supplier_id: int,
    name: str,
    *,
    price_fen: int = 5_000,
    stock: int = 100,
    min_order: int = 1,
    category: str = "粮油",
    county: str = COUNTY_A,
) -> int:
    return await conn.fetchval(
        "INSERT INTO products (supplier_id, cert_no, name, category, unit, price_fen, stock, min_order, "
        "origin_county_code) VALUES ($1, $2, $3, $4, '件', $5, $6, $7, $8) RETURNING id",
        supplier_id,
        f"BF{next(_serial):06d}",
        name,
        category,
        price_fen,
        stock,
        min_order,
        county,
    )


@pytest.fixture
async def market(pool: asyncpg.Pool, world: World, settings: Settings) -> Market:
    async with pool.acquire() as conn, conn.transaction():
        union_ids = [
            await conn.fetchval(
                "INSERT INTO unions (name, region_code, approval_threshold_fen) VALUES ($1, $2, $3) RETURNING id",
                name,
                COUNTY_A,
                THRESHOLD_FEN,
            )
            for name in ("甲市总工会", "乙市总工会")
        ]
        for union_id in union_ids:
            await conn.execute(
                "INSERT INTO union_budgets (union_id, year, budget_fen) VALUES ($1, $2, $3)",
                union_id,
                THIS_YEAR,
                BUDGET_FEN,
            )
        m = Market(
            world,
            *union_ids,
            await make_supplier(conn, "甲县山珍合作社", COUNTY_A),
            await make_supplier(conn, "甲县茶业公司", COUNTY_A),
            await make_supplier(conn, "乙县果业公司", COUNTY_B),
        )
        m.products["rice"] = await make_product(conn, m.supplier_1, "高山大米", price_fen=6_000)
        m.products["tea"] = await make_product(conn, m.supplier_1, "云雾绿茶", price_fen=12_000, category="茶叶")
        m.products["oil"] = await make_product(conn, m.supplier_1, "山茶油", price_fen=9_000, min_order=2)
        m.products["honey"] = await make_product(conn, m.supplier_2, "土蜂蜜", price_fen=8_000, category="蜂产品")
        m.products["nuts"] = await make_product(conn, m.supplier_b, "核桃", price_fen=4_000, county=COUNTY_B)
        for key, role, org in (
            ("buyer_a", Role.union_buyer, {"union_id": m.union_a}),
            ("approver_a", Role.union_approver, {"union_id": m.union_a}),
            ("buyer_b", Role.union_buyer, {"union_id": m.union_b}),
            ("supplier_1", Role.supplier, {"supplier_id": m.supplier_1}),
            ("supplier_2", Role.supplier, {"supplier_id": m.supplier_2}),
            ("supplier_b", Role.supplier, {"supplier_id": m.supplier_b}),
        ):
            m.users[key] = await make_org_user(conn, settings, role, **org)
    return m
