"""Mini-program routes for the responsible helper: the plan (一户一策) of each household they are
assigned to, adding measures and moving them on. Thin wrappers over backend.assistance."""

from __future__ import annotations

from litestar import Response, Router, get, patch, post
from litestar.params import JSONBody

from backend.assistance import errors, service
from backend.assistance.routes import ADD_ERRORS, UPDATE_ERRORS
from backend.auth import require_role, utcnow
from backend.deps import Caller, Conn, PathId
from backend.errors import responses
from backend.http import LOCATION, created
from schemas.assistance import Measure, MeasureCreate, MeasureUpdate, Plan
from schemas.base import Role

HELPER = {Role.helper}


def plan_location(household_id: int) -> str:
    return f"/api/miniapp/helper/households/{household_id}/plan"


@get(
    "/households/{household_id:int}/plan",
    operation_id="GetHelperHouseholdPlan",
    responses=responses(errors.HouseholdNotFound),
)
async def get_plan(household_id: PathId, conn: Conn, principal: Caller) -> Plan:
    require_role(principal, HELPER)
    return await service.get_plan(conn, principal, household_id)


@post(
    "/households/{household_id:int}/plan/measures",
    operation_id="AddHelperPlanMeasure",
    response_headers=LOCATION,
    responses=responses(*ADD_ERRORS),
)
async def add_measure(household_id: PathId, data: JSONBody[MeasureCreate], conn: Conn, principal: Caller) -> Response[Measure]:
    """Only the household's current responsible helper."""
    require_role(principal, HELPER)
    measure = await service.add_measure(conn, principal, household_id, data, utcnow())
    return created(measure, plan_location(household_id))


@patch("/plan-measures/{measure_id:int}", operation_id="UpdateHelperPlanMeasure", responses=responses(*UPDATE_ERRORS))
async def update_measure(measure_id: PathId, data: JSONBody[MeasureUpdate], conn: Conn, principal: Caller) -> Measure:
    require_role(principal, HELPER)
    return await service.update_measure(conn, principal, measure_id, data, utcnow())


router = Router(
    path="/api/miniapp/helper",
    route_handlers=[get_plan, add_measure, update_measure],
    tags=["miniapp-helper"],
)
