"""Rectification items (整改事项) and the township's monthly clearance report (月清零), and the
stationed cadres' work log (工作纪实) with its two-thirds report (三在村)."""

from __future__ import annotations

import datetime as dt

import asyncpg

from backend.auth import Principal
from backend.calendar.rules import local_date
from backend.db import custom_plans, row_to, rows_to
from backend.regions.rules import region_level, region_prefix
from backend.visits import errors, report_queries, rules
from schemas.base import PageMeta, Role
from schemas.regions import RegionLevel
from schemas.visits import (
    CadreMonth,
    CadreReport,
    ClearanceReport,
    ClearanceVillage,
    Rectification,
    RectificationPage,
    RectificationStatus,
    WorkLogDay,
    WorkLogEntry,
    WorkLogMonth,
)


def month_of(text: str | None, now: dt.datetime) -> dt.date:
    """The first day of the month asked for ('YYYY-MM'), else of the current local month."""
    if text is None:
        return rules.month_start(local_date(now))
    month = rules.parse_month(text)
    if month is None:
        raise errors.BadMonth()
    return month


async def region_in_scope(conn: asyncpg.Connection, principal: Principal, code: str | None) -> asyncpg.Record:
    """The region asked for (default the caller's), if the caller covers it; RegionNotFound else."""
    code = code or principal.region_code
    if code is None or not principal.covers_region(code):
        raise errors.RegionNotFound()
    region = await conn.fetchrow(report_queries.GET_REGION, code)
    if region is None:
        raise errors.RegionNotFound()
    return region


# ---- rectification items ----


async def list_rectifications(
    conn: asyncpg.Connection,
    principal: Principal,
    *,
    region_code: str | None,
    status: RectificationStatus | None,
    page: int,
    page_size: int,
) -> RectificationPage:
    """A helper's own (they own it or are the household's helper); staff the region's. Oldest first."""
    if principal.role is Role.helper:
        like, own = "%", principal.user_id
    else:
        like, own = region_prefix((await region_in_scope(conn, principal, region_code))["code"]) + "%", None
    async with custom_plans(conn):
        rows = await conn.fetch(
            report_queries.LIST_RECTIFICATIONS, like, own, status.value if status else None, page_size,
            (page - 1) * page_size,
        )
    return RectificationPage(
        items=rows_to([without_total(r) for r in rows], Rectification),
        meta=PageMeta(total=rows[0]["total"] if rows else 0, page=page, page_size=page_size),
    )


def without_total(row: asyncpg.Record) -> dict[str, object]:
    """A paged row without its window count, ready for a Struct."""
    return {k: v for k, v in dict(row).items() if k != "total"}


async def clear_rectification(
    conn: asyncpg.Connection, principal: Principal, item_id: int, note: str, now: dt.datetime
) -> Rectification:
    """Clears (销号) an open item with a note: its owner, the household's helper, or township staff
    over its village. Others who can see it get MayNotClearRectification, the rest not found."""
    async with conn.transaction():
        row = await conn.fetchrow(report_queries.LOCK_RECTIFICATION, item_id)
        if row is None:
            raise errors.RectificationNotFound()
        own = principal.role is Role.helper and principal.user_id in (row["owner_user_id"], row["helper_user_id"])
        in_region = principal.role is not Role.helper and principal.covers_region(row["village_code"])
        if not own and not in_region:
            raise errors.RectificationNotFound()
        if not own and principal.role not in rules.CLEARERS:
            raise errors.MayNotClearRectification()
        if row["status"] != RectificationStatus.open:
            raise errors.RectificationAlreadyCleared()
        cleared_on = max(local_date(now), row["found_on"])
        await conn.execute(report_queries.CLEAR_RECTIFICATION, item_id, cleared_on, principal.user_id, note)
        return row_to(await conn.fetchrow(report_queries.GET_RECTIFICATION, item_id), Rectification)


async def clearance_report(
    conn: asyncpg.Connection, principal: Principal, township_code: str | None, month: dt.date
) -> ClearanceReport:
    """月清零 for one township and month: per village, items found and cleared in the month and
    open at its end, and the list of those open at its end (for the current month: open now)."""
    town = await region_in_scope(conn, principal, township_code)
    if region_level(town["code"]) is not RegionLevel.township:
        raise errors.NotATownship()
    last = rules.month_end(month)
    villages = rows_to(await conn.fetch(report_queries.CLEARANCE_VILLAGES, town["code"], month, last), ClearanceVillage)
    still_open = rows_to(
        await conn.fetch(report_queries.LIST_OPEN_AT_MONTH_END, region_prefix(town["code"]) + "%", last), Rectification
    )
    return ClearanceReport(
        township_code=town["code"], township_name=town["name"], month=month, villages=villages, still_open=still_open
    )


# ---- the stationed cadres' work log ----


def _stationed_village(principal: Principal) -> str:
    code = principal.region_code
    if principal.role not in rules.CADRES or code is None or region_level(code) is not RegionLevel.village:
        raise errors.NotStationedInVillage()
    return code


async def put_work_log(conn: asyncpg.Connection, principal: Principal, entry: WorkLogEntry, now: dt.datetime) -> WorkLogDay:
    """The cadre's own day in their village (written again: replaced). Not a check-in: the cadre
    writes it, for today or a day of this or the previous month."""
    village = _stationed_village(principal)
    problem = rules.work_log_date_problem(entry.work_date, local_date(now))
    if problem == "future":
        raise errors.WorkLogDateInFuture()
    if problem == "closed":
        raise errors.WorkLogDateClosed()
    row = await conn.fetchrow(
        report_queries.PUT_WORK_LOG, principal.user_id, entry.work_date, village, entry.in_village, entry.note, now
    )
    return row_to(row, WorkLogDay)


async def get_work_log(conn: asyncpg.Connection, principal: Principal, month: dt.date) -> WorkLogMonth:
    village = _stationed_village(principal)
    days = rows_to(
        await conn.fetch(report_queries.LIST_WORK_LOG, principal.user_id, month, rules.month_end(month)), WorkLogDay
    )
    return WorkLogMonth(
        user_id=principal.user_id,
        village_code=village,
        month=month,
        days=days,
        in_village_days=sum(d.in_village for d in days),
        required_days=rules.required_village_days(rules.days_in_month(month)),
    )


async def cadre_report(
    conn: asyncpg.Connection, principal: Principal, region_code: str | None, month: dt.date, now: dt.datetime
) -> CadreReport:
    """Each cadre stationed in a village of the region: the month's days logged and in the
    village against two thirds of its days (三在村), from their own log."""
    region = await region_in_scope(conn, principal, region_code)
    last = rules.month_end(month)
    days = rules.days_in_month(month)
    required = rules.required_village_days(days)
    rows = await conn.fetch(
        report_queries.CADRE_MONTHS, region_prefix(region["code"]) + "%", principal.region_like, month, last
    )
    complete = local_date(now) > last
    return CadreReport(
        region_code=region["code"],
        month=month,
        cadres=[
            CadreMonth(
                user_id=r["user_id"], name=r["name"], village_code=r["village_code"], village_name=r["village_name"],
                days_in_month=days, logged_days=r["logged_days"], in_village_days=r["in_village_days"],
                required_days=required, meets_two_thirds=r["in_village_days"] >= required, month_complete=complete,
            )
            for r in rows
        ],
    )
