"""Declaring a year under concurrency, and what the loader hands to the deadline rules."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg
import msgspec

from backend.applications import service as applications
from backend.auth import utcnow
from backend.calendar import service
from schemas.applications import Approval, RiskType
from schemas.base import Role
from schemas.calendar import CalendarYearUpdate
from schemas.registry import MonitoringType
from tests.applications.conftest import Flow
from tests.calendar.conftest import NOTICE_2027, SHANGHAI
from tests.factories import World

D = dt.date
APPROVAL = Approval(monitoring_type=MonitoringType.marginal, risk_types=[RiskType.illness])


async def test_two_admins_entering_one_year_at_once_leave_one_whole_notice(
    pool: asyncpg.Pool, world: World
) -> None:
    admin = world.user(Role.admin).principal
    first = msgspec.convert(NOTICE_2027, CalendarYearUpdate)
    second = msgspec.convert(
        {"source": "另一份", "holidays": [{"date": "2027-02-08", "name": "春节"}], "workdays": []},
        CalendarYearUpdate,
    )

    async def declare(data: CalendarYearUpdate) -> None:
        async with pool.acquire() as conn:
            await service.declare_calendar_year(conn, admin, 2027, data, utcnow())

    for _ in range(5):
        await asyncio.gather(declare(first), declare(second))
        async with pool.acquire() as conn:
            year = await service.get_calendar_year(conn, 2027)
        assert year.declaration is not None
        winner = first if year.declaration.source == first.source else second
        assert (year.holidays, year.workdays) == (winner.holidays, winner.workdays)


async def test_the_loader_returns_entered_days_and_declared_years(pool: asyncpg.Pool, world: World) -> None:
    admin = world.user(Role.admin).principal
    async with pool.acquire() as conn:
        assert (await service.load_official_calendar(conn)).declared_years == frozenset()
        await service.declare_calendar_year(
            conn, admin, 2027, msgspec.convert(NOTICE_2027, CalendarYearUpdate), utcnow()
        )
        calendar = await service.load_official_calendar(conn)
    assert calendar.declared_years == {2027}
    assert dict(calendar.overrides) == {D(2027, 1, 1): False, D(2027, 1, 4): False, D(2027, 1, 2): True}


async def test_an_approval_counted_while_the_year_is_being_entered_is_recounted_too(
    pool: asyncpg.Pool, flow: Flow
) -> None:
    case_id = await flow.to_state("county_approval")
    county, admin = flow.world.user(Role.county).principal, flow.world.user(Role.admin).principal
    notice = msgspec.convert(NOTICE_2027, CalendarYearUpdate)
    approved_at = dt.datetime(2026, 12, 18, 10, 0, tzinfo=SHANGHAI)
    async with pool.acquire() as approving, pool.acquire() as declaring:
        async with approving.transaction():  # the approval, counted without 2027, not yet committed
            await applications.approve(approving, county, case_id, APPROVAL, approved_at)
            entering = asyncio.create_task(
                service.declare_calendar_year(declaring, admin, 2027, notice, approved_at)
            )
            while not await pool.fetchval(  # the admin's entry waits for the approval's commit
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ):
                assert not entering.done(), entering
                await asyncio.sleep(0.01)
        await entering
    row = await pool.fetchrow(
        "SELECT plan_due_date, plan_due_provisional FROM applications WHERE id = $1", case_id
    )
    assert tuple(row) == (D(2027, 1, 2), False)
