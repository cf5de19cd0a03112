"""A union's yearly budget and what its figures are measured against: the food procurement total
its budget units stated, the share reserved from it, and an optional per-member amount. Set by
an admin (DOMAIN §1: thresholds are the admin's), audited."""

from __future__ import annotations

import asyncpg
import msgspec

from backend import audit
from backend.auth import Principal, require_role
from backend.orders import errors, figures, queries, rules
from schemas.base import Role
from schemas.orders import BudgetUpdate, UnionFigures


async def put_budget(
    conn: asyncpg.Connection, principal: Principal, union_id: int, year: int, data: BudgetUpdate
) -> UnionFigures:
    """Creates or replaces the union's budget row for the year; a budget below what live orders
    already committed is refused with that amount. Returns the year's figures."""
    require_role(principal, {Role.admin})
    async with conn.transaction():
        if await conn.fetchval(queries.GET_UNION, union_id) is None:
            raise errors.UnionNotFound()
        current = await conn.fetchrow(queries.LOCK_BUDGET, union_id, year)
        if current is not None and data.budget_fen < current["committed_fen"]:
            raise errors.BudgetBelowCommitted.committed(rules.yuan(current["committed_fen"]))
        await conn.execute(
            queries.UPSERT_BUDGET,
            union_id,
            year,
            data.budget_fen,
            data.food_procurement_fen,
            data.reserved_share_pct,
            data.per_member_fen,
            data.member_count,
        )
        await audit.record(
            conn, principal.user_id, "union_budget.put", "union", union_id, {"year": year, **msgspec.to_builtins(data)}
        )
    (result,) = await figures.list_union_figures(conn, principal, year, union_id=union_id)
    return result
