"""Reading orders: each caller only its own (a union's, a supplier's, a county's suppliers')."""

from __future__ import annotations

import datetime as dt

import asyncpg

from backend.auth import Principal
from backend.calendar.rules import local_date
from backend.db import custom_plans, rows_to
from backend.orders import errors, queries, rules
from schemas.base import PageMeta
from schemas.orders import (
    Order,
    OrderEvent,
    OrderLine,
    OrderPage,
    OrderState,
    OrderSummary,
)


async def get_order(conn: asyncpg.Connection, principal: Principal, order_id: int, now: dt.datetime) -> Order:
    scope = rules.order_scope(principal)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        row = await conn.fetchrow(queries.GET_ORDER, order_id, scope.union_id, scope.supplier_id, scope.region_like)
        if row is None:
            raise errors.OrderNotFound()
        lines = await conn.fetch(queries.LIST_LINES, order_id)
        events = await conn.fetch(queries.LIST_EVENTS, order_id)
    state = OrderState(row["state"])
    return Order(
        **dict(row),
        overdue=rules.is_overdue(state, row["ship_by"], local_date(now)),
        lines=rows_to(lines, OrderLine),
        events=rows_to(events, OrderEvent),
    )


async def list_orders(
    conn: asyncpg.Connection,
    principal: Principal,
    now: dt.datetime,
    *,
    state: OrderState | None,
    overdue_only: bool,
    page: int,
    page_size: int,
) -> OrderPage:
    scope = rules.order_scope(principal)
    today = local_date(now)
    async with custom_plans(conn):
        rows = await conn.fetch(
            queries.LIST_ORDERS,
            state.value if state else None,
            scope.union_id,
            scope.supplier_id,
            scope.region_like,
            overdue_only,
            today,
            page_size,
            (page - 1) * page_size,
        )
    items = [
        OrderSummary(
            **{k: v for k, v in r.items() if k != "total"},
            overdue=rules.is_overdue(OrderState(r["state"]), r["ship_by"], today),
        )
        for r in rows
    ]
    return OrderPage(items=items, meta=PageMeta(total=rows[0]["total"] if rows else 0, page=page, page_size=page_size))
