"""Assistance for staff in their region: the responsible helper and its history, the household's
plan (一户一策), and the outcome per measure. The helper's own plan screens are in
miniapp_api/helper_plans.py, the farmer's view in miniapp_api/farmer.py. Thin."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get, patch, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from backend.assistance import errors, outcomes, service
from backend.auth import utcnow
from backend.calendar.rules import local_date
from backend.deps import Caller, Conn, PageParam, PathId, RedisDep
from backend.errors import responses
from backend.http import LOCATION, created
from backend.notifications.service import enqueue_delivery
from backend.tabular.xlsx import XLSX_MEDIA_TYPE, xlsx_chunks, xlsx_stream_download
from schemas.assistance import (
    HelperAssign,
    HelperAssignment,
    HouseholdOutcomePage,
    Measure,
    MeasureCreate,
    MeasureType,
    MeasureUpdate,
    OutcomeReport,
    Plan,
)

_REGION = r"^[0-9]{12}$(?!\n)"
Region = Annotated[str | None, QueryParameter(pattern=_REGION)]

ADD_ERRORS = (errors.HouseholdNotFound, errors.NotHouseholdHelper, errors.HouseholdNotMonitored, errors.MeasureDatesInvalid)
UPDATE_ERRORS = (
    errors.MeasureNotFound, errors.NotHouseholdHelper, errors.MeasureStatusNotAllowed, errors.MeasureDatesInvalid,
)


def plan_location(household_id: int) -> str:
    return f"/api/households/{household_id}/plan"


@post(
    "/households/{household_id:int}/helper-assignments",
    operation_id="AssignHelper",
    response_headers=LOCATION,
    responses=responses(
        errors.HouseholdNotFound, errors.HouseholdNotMonitored, errors.HelperNotEligible, errors.SameHelper
    ),
)
async def assign_helper(
    household_id: PathId, data: JSONBody[HelperAssign], conn: Conn, redis: RedisDep, principal: Caller
) -> Response[HelperAssignment]:
    """帮扶责任人 of a monitored household (county or township staff). A current helper's assignment
    ends and stays in the history. `late` when made after the plan due date. The farmer is told."""
    done = await service.assign_helper(conn, principal, household_id, data, utcnow())
    await enqueue_delivery(redis, done.notification_ids)
    return created(done.assignment, f"/api/households/{household_id}/helper-assignments")


@get(
    "/households/{household_id:int}/helper-assignments",
    operation_id="ListHelperAssignments",
    responses=responses(errors.HouseholdNotFound),
)
async def list_assignments(household_id: PathId, conn: Conn, principal: Caller) -> list[HelperAssignment]:
    """Newest first; the current assignment has no `ended_at`."""
    return await service.list_assignments(conn, principal, household_id)


@get("/households/{household_id:int}/plan", operation_id="GetHouseholdPlan", responses=responses(errors.HouseholdNotFound))
async def get_plan(household_id: PathId, conn: Conn, principal: Caller) -> Plan:
    """一户一策: the current helper, the plan due date and every measure."""
    return await service.get_plan(conn, principal, household_id)


@post(
    "/households/{household_id:int}/plan/measures",
    operation_id="AddPlanMeasure",
    response_headers=LOCATION,
    responses=responses(*ADD_ERRORS),
)
async def add_measure(household_id: PathId, data: JSONBody[MeasureCreate], conn: Conn, principal: Caller) -> Response[Measure]:
    """A typed measure (DOMAIN §6); township or county staff here, the helper in the mini-program."""
    measure = await service.add_measure(conn, principal, household_id, data, utcnow())
    return created(measure, plan_location(household_id))


@patch("/plan-measures/{measure_id:int}", operation_id="UpdatePlanMeasure", responses=responses(*UPDATE_ERRORS))
async def update_measure(measure_id: PathId, data: JSONBody[MeasureUpdate], conn: Conn, principal: Caller) -> Measure:
    """Status (forward only), dates, amount, department, description."""
    return await service.update_measure(conn, principal, measure_id, data, utcnow())


@get("/assistance/outcomes", operation_id="GetOutcomeReport", responses=responses(errors.RegionNotFound))
async def get_outcomes(
    conn: Conn, principal: Caller, region: Region = None, measure_type: FromQuery[MeasureType | None] = None
) -> OutcomeReport:
    """Per measure type: average per-capita income and rigid expenses before and at the latest
    visit, over the region and per township; default region the caller's."""
    return await outcomes.get_report(conn, principal, region, measure_type, local_date(utcnow()))


@get(
    "/assistance/outcomes/households",
    operation_id="ListHouseholdOutcomes",
    responses=responses(errors.RegionNotFound),
)
async def list_household_outcomes(
    conn: Conn,
    principal: Caller,
    region: Region = None,
    measure_type: FromQuery[MeasureType | None] = None,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> HouseholdOutcomePage:
    """The figures behind the averages, one row per household and measure type."""
    today = local_date(utcnow())
    return await outcomes.list_households(conn, principal, region, measure_type, today, page, page_size)


@get(
    "/assistance/outcomes/households.xlsx",
    operation_id="ExportHouseholdOutcomes",
    media_type=XLSX_MEDIA_TYPE,
    responses=responses(errors.RegionNotFound),
)
async def export_household_outcomes(
    request: Request[Any, Any, Any],
    conn: Conn,
    principal: Caller,
    region: Region = None,
    measure_type: FromQuery[MeasureType | None] = None,
) -> Stream:
    """Every row of the household list, streamed as XLSX."""
    code = await outcomes.checked_region(conn, principal, region)
    pages = outcomes.household_pages(request.app.state.db, principal, code, measure_type, local_date(utcnow()))
    return xlsx_stream_download(
        xlsx_chunks("帮扶成效", outcomes.HOUSEHOLDS_HEADER, pages), f"帮扶成效-{code}.xlsx"
    )


router = Router(
    path="/api",
    route_handlers=[
        assign_helper, list_assignments, get_plan, add_measure, update_measure, get_outcomes,
        list_household_outcomes, export_household_outcomes,
    ],
    tags=["assistance"],
)
