"""The working-day calendar: admins enter each year's State Council holiday notice; legal deadlines
load what is entered and count working days over it (`rules.add_workdays`), on the provisional
calendar for a year nobody entered yet; entering the year recounts those dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from backend import audit
from backend.applications import plan_dues
from backend.auth import Principal
from backend.calendar import errors, queries, rules
from backend.db import row_to
from schemas.calendar import (
    CalendarCoverage,
    CalendarDay,
    CalendarDeclaration,
    CalendarYear,
    CalendarYearUpdate,
)


@dataclass(frozen=True)
class Declared:
    year: CalendarYear
    notification_ids: list[int]  # enqueue_delivery after commit


async def load_official_calendar(conn: asyncpg.Connection) -> rules.OfficialCalendar:
    """Every entered day and declared year, for `rules.add_workdays`. Call it inside the
    transaction that stores what it counts: a year entered meanwhile waits for that commit (and
    then recounts what it stored)."""
    await conn.execute(queries.HOLD_CALENDAR_SHARED)
    row = await conn.fetchrow(queries.LOAD_CALENDAR)
    overrides = dict.fromkeys(row["holidays"], False) | dict.fromkeys(row["workdays"], True)
    return rules.OfficialCalendar(declared_years=frozenset(row["declared_years"]), overrides=overrides)


async def get_coverage(conn: asyncpg.Connection) -> CalendarCoverage:
    return CalendarCoverage(
        library_first_year=rules.LIBRARY_FIRST_YEAR,
        library_last_year=rules.LIBRARY_LAST_YEAR,
        declared_years=[r["year"] for r in await conn.fetch(queries.LIST_DECLARED_YEARS)],
    )


async def get_calendar_year(conn: asyncpg.Connection, year: int) -> CalendarYear:
    """What is entered for `year` (empty lists and no declaration when nothing is)."""
    declaration = row_to(await conn.fetchrow(queries.GET_DECLARATION, year), CalendarDeclaration)
    days = await conn.fetch(queries.LIST_DAYS_OF_YEAR, year)
    return CalendarYear(
        year=year,
        library_covers=rules.library_covers(year),
        declaration=declaration,
        holidays=[CalendarDay(date=d["date"], name=d["name"]) for d in days if not d["is_workday"]],
        workdays=[CalendarDay(date=d["date"], name=d["name"]) for d in days if d["is_workday"]],
    )


async def declare_calendar_year(
    conn: asyncpg.Connection, principal: Principal, year: int, data: CalendarYearUpdate, now: dt.datetime
) -> Declared:
    """Replaces the year's entered days with `data` and declares the year complete, in one
    transaction; deadlines computed from then on use it. In the same transaction every
    provisional plan due date not yet passed is counted again (audited, and the people whose
    date moved are told); other recorded dates do not move."""
    problems = rules.entry_problems(year, data.holidays, data.workdays)
    if problems:
        raise errors.InvalidCalendarEntry(detail=problems)
    entries = [(d, False) for d in data.holidays] + [(d, True) for d in data.workdays]
    async with conn.transaction():
        await conn.execute(queries.HOLD_CALENDAR_ALONE)
        await conn.execute(queries.DECLARE_YEAR, year, data.source, principal.user_id, now)
        await conn.execute(queries.DELETE_DAYS_OF_YEAR, year)
        await conn.execute(
            queries.INSERT_DAYS,
            [d.date for d, _ in entries],
            [is_workday for _, is_workday in entries],
            [d.name for d, _ in entries],
        )
        await audit.record(
            conn,
            principal.user_id,
            "calendar.declare_year",
            "calendar_year",
            year,
            {
                "source": data.source,
                "holidays": [d.date.isoformat() for d in data.holidays],
                "workdays": [d.date.isoformat() for d in data.workdays],
            },
        )
        calendar = await load_official_calendar(conn)
        notification_ids = await plan_dues.recount_provisional(conn, principal, calendar, now)
        return Declared(await get_calendar_year(conn, year), notification_ids)
