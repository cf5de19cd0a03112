"""Mini-program routes for helpers and grid officers in the field: their task list, cadre
screening (干部排查) and home verification (入户核实). Thin wrappers over the applications service."""

from __future__ import annotations

from litestar import Response, Router, get, post
from litestar.params import JSONBody

from backend.applications import errors as applications_errors
from backend.applications import reads, service
from backend.applications.rules import VERIFIERS
from backend.auth import require_role, utcnow
from backend.deps import Caller, Conn, PathId, RedisDep
from backend.errors import responses
from backend.http import LOCATION, created
from schemas.applications import (
    AnswerReturn,
    Application,
    CaseOpen,
    ReturnForMaterial,
    TaskList,
    Verification,
)


@get("/tasks", operation_id="ListHelperTasks")
async def list_tasks(conn: Conn, principal: Caller) -> TaskList:
    require_role(principal, VERIFIERS)
    return await reads.list_tasks(conn, principal, utcnow())


@post(
    "/applications",
    operation_id="ReportHousehold",
    responses=responses(*applications_errors.OPEN_ERRORS),
    response_headers=LOCATION,
)
async def report_household(
    data: JSONBody[CaseOpen], conn: Conn, redis: RedisDep, principal: Caller
) -> Response[Application]:
    require_role(principal, VERIFIERS)
    now = utcnow()
    done = await service.open_case(conn, principal, data, now)
    case = await service.finish(conn, redis, principal, done, now)
    return created(case, f"/api/miniapp/helper/applications/{case.id}")


@get(
    "/applications/{case_id:int}",
    operation_id="GetHelperApplication",
    responses=responses(applications_errors.ApplicationNotFound),
)
async def get_application(case_id: PathId, conn: Conn, principal: Caller) -> Application:
    require_role(principal, VERIFIERS)
    return await reads.get_application(conn, principal, case_id, utcnow())


@post(
    "/applications/{case_id:int}/verify",
    operation_id="VerifyAtHome",
    responses=responses(
        *applications_errors.STEP_ERRORS,
        applications_errors.NotAssignedVerifier,
        applications_errors.PhotoNotOnApplication,
    ),
    status_code=200,
)
async def verify(
    case_id: PathId, data: JSONBody[Verification], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    require_role(principal, VERIFIERS)
    now = utcnow()
    done = await service.verify(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/return",
    operation_id="AskForMaterial",
    responses=responses(*applications_errors.STEP_ERRORS, applications_errors.NotAssignedVerifier),
    status_code=200,
)
async def return_for_material(
    case_id: PathId, data: JSONBody[ReturnForMaterial], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    require_role(principal, VERIFIERS)
    now = utcnow()
    done = await service.return_for_material(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/answer-return",
    operation_id="SupplyMaterial",
    responses=responses(
        *applications_errors.STEP_ERRORS,
        applications_errors.NotAssignedVerifier,
        applications_errors.PhotoNotOnApplication,
    ),
    status_code=200,
)
async def answer_return(
    case_id: PathId, data: JSONBody[AnswerReturn], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    require_role(principal, VERIFIERS)
    now = utcnow()
    done = await service.answer_return(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


router = Router(
    path="/api/miniapp/helper",
    route_handlers=[
        list_tasks,
        report_household,
        get_application,
        verify,
        return_for_material,
        answer_return,
    ],
    tags=["miniapp-helper"],
)
