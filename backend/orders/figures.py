"""The yearly figures of consumption assistance (DOMAIN §8) and their XLSX pages: per union spent
against budget and toward its reserved share and per-member amount, sales per supplier and per
origin county, and what benefit-linked households were paid. Each caller reads only its scope
(rules.union_figure_scope, rules.order_scope, rules.benefit_scope)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import asyncpg

from backend.auth import Principal
from backend.db import rows_to
from backend.orders import queries, rules
from schemas.base import PageMeta
from schemas.orders import (
    CountySales,
    CountySalesFigures,
    HouseholdBenefit,
    HouseholdBenefitPage,
    SupplierSales,
    SupplierSalesFigures,
    UnionFigures,
)

EXPORT_PAGE_ROWS = 2000  # households per query and per piece of the workbook

_LIVE, _SPENT, _IN_PROGRESS = (rules.states(g) for g in (rules.LIVE_STATES, rules.SPENT_STATES, rules.IN_PROGRESS_STATES))


async def list_union_figures(
    conn: asyncpg.Connection, principal: Principal, year: int, *, union_id: int | None = None
) -> list[UnionFigures]:
    """Every union in the caller's scope with a budget for the year (a buyer or approver: its own),
    or only `union_id` of them."""
    scope = rules.union_figure_scope(principal)
    rows = await conn.fetch(queries.UNION_FIGURES, year, scope.union_id, scope.region_like, _LIVE, _SPENT, union_id)
    return [_union_figures(r) for r in rows]


def _union_figures(row: asyncpg.Record) -> UnionFigures:
    spent, members, per_member = row["spent_fen"], row["member_count"], row["per_member_fen"]
    reserved_target = rules.share_of(row["food_procurement_fen"], row["reserved_share_pct"])
    per_member_target = per_member * members if per_member is not None and members else None
    return UnionFigures(
        **{k: row[k] for k in ("union_id", "union_name", "year", "budget_fen", "committed_fen", "spent_fen",
                               "settled_fen", "orders", "food_procurement_fen", "reserved_share_pct",
                               "per_member_fen", "member_count")},
        remaining_fen=row["budget_fen"] - row["committed_fen"],
        reserved_target_fen=reserved_target,
        reserved_progress_pct=rules.progress_pct(spent, reserved_target),
        per_member_target_fen=per_member_target,
        spent_per_member_fen=spent // members if members else None,
        per_member_progress_pct=rules.progress_pct(spent, per_member_target),
    )


async def get_supplier_sales(conn: asyncpg.Connection, principal: Principal, year: int) -> SupplierSalesFigures:
    """Sales per supplier from the orders the caller may see (a union its own purchases)."""
    scope = rules.order_scope(principal)
    rows = await conn.fetch(
        queries.SUPPLIER_SALES, year, scope.union_id, scope.supplier_id, scope.region_like, _SPENT, _IN_PROGRESS
    )
    return SupplierSalesFigures(year=year, rows=rows_to(rows, SupplierSales))


async def get_county_sales(conn: asyncpg.Connection, principal: Principal, year: int) -> CountySalesFigures:
    """Sales per origin county of the products, from the order lines the caller may see."""
    scope = rules.order_scope(principal)
    rows = await conn.fetch(
        queries.COUNTY_SALES, year, scope.union_id, scope.supplier_id, scope.region_like, _SPENT, _IN_PROGRESS
    )
    return CountySalesFigures(year=year, rows=rows_to(rows, CountySales))


async def list_household_benefits(
    conn: asyncpg.Connection, principal: Principal, year: int, page: int, page_size: int
) -> HouseholdBenefitPage:
    """Benefit-linked households of the year with what their suppliers report paying them, and the
    marked lines their income record carries for it."""
    scope = rules.benefit_scope(principal)
    rows = await conn.fetch(
        queries.HOUSEHOLD_BENEFITS, year, scope.supplier_id, scope.region_like, 0, page_size, (page - 1) * page_size
    )
    return HouseholdBenefitPage(
        year=year,
        items=rows_to([{k: v for k, v in r.items() if k != "total"} for r in rows], HouseholdBenefit),
        meta=PageMeta(total=rows[0]["total"] if rows else 0, page=page, page_size=page_size),
    )


# ---- XLSX: the same numbers, amounts in yuan ----

UNIONS_HEADER = (
    "工会编号", "工会", "年度", "预算（元）", "已占用（元）", "预算余额（元）", "已支出（元）", "已结算（元）",
    "订单数", "食品采购总额（元）", "预留比例（%）", "预留份额（元）", "预留份额完成（%）", "人均标准（元）",
    "会员数", "人均目标（元）", "人均已支出（元）", "人均目标完成（%）",
)
SUPPLIERS_HEADER = ("供应商编号", "供应商", "所在县代码", "所在县", "已验收订单数", "销售额（元）", "在途金额（元）")
COUNTIES_HEADER = ("产地县代码", "产地县", "已验收订单数", "销售额（元）", "在途金额（元）")
HOUSEHOLDS_HEADER = (
    "户编号", "村代码", "村", "供应商", "购销合同（元）", "务工（元）", "分红（元）", "合计（元）", "收入记录（元）",
)


def _yuan(fen: int | None) -> object:
    return None if fen is None else rules.fen_to_yuan(fen)


async def union_pages(figures: list[UnionFigures]) -> AsyncIterator[Sequence[Sequence[object]]]:
    yield [
        (f.union_id, f.union_name, f.year, _yuan(f.budget_fen), _yuan(f.committed_fen), _yuan(f.remaining_fen),
         _yuan(f.spent_fen), _yuan(f.settled_fen), f.orders, _yuan(f.food_procurement_fen), f.reserved_share_pct,
         _yuan(f.reserved_target_fen), f.reserved_progress_pct, _yuan(f.per_member_fen), f.member_count,
         _yuan(f.per_member_target_fen), _yuan(f.spent_per_member_fen), f.per_member_progress_pct)
        for f in figures
    ]


async def supplier_pages(figures: SupplierSalesFigures) -> AsyncIterator[Sequence[Sequence[object]]]:
    yield [
        (r.supplier_id, r.supplier_name, r.county_code, r.county_name, r.orders, _yuan(r.amount_fen),
         _yuan(r.in_progress_fen))
        for r in figures.rows
    ]


async def county_pages(figures: CountySalesFigures) -> AsyncIterator[Sequence[Sequence[object]]]:
    yield [
        (r.county_code, r.county_name, r.orders, _yuan(r.amount_fen), _yuan(r.in_progress_fen)) for r in figures.rows
    ]


def household_pages(pool: asyncpg.Pool, principal: Principal, year: int) -> AsyncIterator[Sequence[Sequence[object]]]:
    """Every benefit-linked household the list would show, each page its own short query (keyset).
    The scope is checked here, before the first byte is sent."""
    scope = rules.benefit_scope(principal)

    async def pages() -> AsyncIterator[Sequence[Sequence[object]]]:
        after = 0
        while True:
            rows = await pool.fetch(
                queries.HOUSEHOLD_BENEFITS, year, scope.supplier_id, scope.region_like, after, EXPORT_PAGE_ROWS, 0
            )
            if not rows:
                return
            yield [
                (r["household_no"], r["village_code"], r["village_name"], r["suppliers"],
                 _yuan(r["purchase_contract_fen"]), _yuan(r["employment_fen"]), _yuan(r["dividend_fen"]),
                 _yuan(r["total_fen"]), _yuan(r["income_record_fen"]))
                for r in rows
            ]
            after = rows[-1]["household_id"]

    return pages()
