"""The overdue board for township and county: per township, identification cases past 15 days,
households without a helper within 10 working days of approval, monitored households without a
plan, visits overdue and open rectification items; and the list behind each count."""

from __future__ import annotations

import datetime as dt

import asyncpg

from backend.auth import Principal
from backend.calendar.rules import local_date
from backend.db import BULK_TRANSACTION, rows_to
from backend.regions.rules import region_prefix
from backend.visits import report_queries, rules
from backend.visits.reports import region_in_scope, without_total
from schemas.base import PageMeta
from schemas.visits import (
    BoardItem,
    BoardItemPage,
    BoardList,
    VisitBoard,
    VisitBoardRow,
)


async def _params(conn: asyncpg.Connection, principal: Principal, region_code: str | None, now: dt.datetime) -> tuple:
    region = await region_in_scope(conn, principal, region_code)
    today = local_date(now)
    return (
        region["code"],
        (*rules.periods_on(today).params(), region_prefix(region["code"]) + "%", principal.region_like, today, now),
    )


async def get_board(conn: asyncpg.Connection, principal: Principal, region_code: str | None, now: dt.datetime) -> VisitBoard:
    """Counts per township of the region (default the caller's), as of now."""
    code, params = await _params(conn, principal, region_code, now)
    async with conn.transaction(readonly=True):
        await conn.execute(BULK_TRANSACTION)  # a county's households at once: JIT costs more than it saves
        rows = rows_to(await conn.fetch(report_queries.BOARD, *params), VisitBoardRow)
    return VisitBoard(region_code=code, rows=rows)


async def list_board_items(
    conn: asyncpg.Connection,
    principal: Principal,
    which: BoardList,
    region_code: str | None,
    now: dt.datetime,
    *,
    page: int,
    page_size: int,
) -> BoardItemPage:
    """The households (cases, items) behind one count, oldest date first."""
    _, params = await _params(conn, principal, region_code, now)
    async with conn.transaction(readonly=True):
        await conn.execute(BULK_TRANSACTION)
        rows = await conn.fetch(report_queries.BOARD_ITEMS[which.value], *params, page_size, (page - 1) * page_size)
    items = rows_to([without_total(r) for r in rows], BoardItem)
    return BoardItemPage(items=items, meta=PageMeta(total=rows[0]["total"] if rows else 0, page=page, page_size=page_size))
