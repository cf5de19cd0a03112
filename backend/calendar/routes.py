"""Admin endpoints for the working-day calendar: enter a year's holiday notice, see what is entered."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, put
from litestar.params import JSONBody, Parameter

from backend.auth import require_role, utcnow
from backend.calendar import errors as calendar_errors
from backend.calendar import rules, service
from backend.deps import Caller, Conn, RedisDep
from backend.errors import responses
from backend.notifications.service import enqueue_delivery
from schemas.base import Role
from schemas.calendar import CalendarCoverage, CalendarYear, CalendarYearUpdate

ADMINS = {Role.admin}
Year = Annotated[int, Parameter(ge=rules.FIRST_ENTERABLE_YEAR, le=rules.LAST_ENTERABLE_YEAR)]


@get("/", operation_id="GetCalendarCoverage")
async def get_coverage(conn: Conn, principal: Caller) -> CalendarCoverage:
    require_role(principal, ADMINS)
    return await service.get_coverage(conn)


@get("/{year:int}", operation_id="GetCalendarYear")
async def get_calendar_year(year: Year, conn: Conn, principal: Caller) -> CalendarYear:
    require_role(principal, ADMINS)
    return await service.get_calendar_year(conn, year)


@put(
    "/{year:int}",
    operation_id="DeclareCalendarYear",
    responses=responses(calendar_errors.InvalidCalendarEntry),
)
async def declare_calendar_year(
    year: Year, data: JSONBody[CalendarYearUpdate], conn: Conn, redis: RedisDep, principal: Caller
) -> CalendarYear:
    """Provisional plan due dates not yet passed are counted again on the entered year; the people
    whose date moved are told (办理期限调整)."""
    require_role(principal, ADMINS)
    declared = await service.declare_calendar_year(conn, principal, year, data, utcnow())
    await enqueue_delivery(redis, declared.notification_ids)
    return declared.year


router = Router(
    path="/api/admin/calendar",
    route_handlers=[get_coverage, get_calendar_year, declare_calendar_year],
    tags=["calendar"],
)
