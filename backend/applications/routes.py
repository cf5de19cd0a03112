"""Staff endpoints of the identification workflow. Thin: the engine checks role, scope and rules."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from backend.applications import errors as applications_errors
from backend.applications import reads, rules, service
from backend.auth import require_role, utcnow
from backend.deps import Caller, Conn, PageParam, PathId, RedisDep
from backend.errors import responses
from backend.http import LOCATION, created
from schemas.applications import (
    AnswerReturn,
    Application,
    ApplicationPage,
    Approval,
    CaseOpen,
    CaseState,
    NegativeListHit,
    NoticeStart,
    ObjectionRaise,
    ObjectionResolve,
    Rejection,
    ReturnForMaterial,
    StepComment,
    TaskList,
    Verification,
    VillageReview,
)

CaseId = PathId


@post(
    "/applications",
    operation_id="OpenApplication",
    responses=responses(*applications_errors.OPEN_ERRORS),
    response_headers=LOCATION,
)
async def open_application(
    data: JSONBody[CaseOpen], conn: Conn, redis: RedisDep, principal: Caller
) -> Response[Application]:
    """干部排查: a helper or grid officer opens a case for a household in their scope."""
    now = utcnow()
    done = await service.open_case(conn, principal, data, now)
    case = await service.finish(conn, redis, principal, done, now)
    return created(case, f"/api/applications/{case.id}")


@get("/applications", operation_id="ListApplications")
async def list_applications(
    conn: Conn,
    principal: Caller,
    case_state: Annotated[CaseState | None, QueryParameter(name="state")] = None,
    overdue: FromQuery[bool | None] = None,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
) -> ApplicationPage:
    require_role(principal, rules.STAFF_READERS)
    return await reads.list_applications(
        conn, principal, utcnow(), state=case_state, overdue=overdue, page=page, page_size=page_size
    )


@get("/applications/tasks", operation_id="ListMyTasks")
async def list_tasks(
    conn: Conn,
    principal: Caller,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> TaskList:
    require_role(principal, rules.REGION_STAFF)
    return await reads.list_tasks(conn, principal, utcnow(), page=page, page_size=page_size)


@get(
    "/applications/{case_id:int}",
    operation_id="GetApplication",
    responses=responses(applications_errors.ApplicationNotFound),
)
async def get_application(case_id: CaseId, conn: Conn, principal: Caller) -> Application:
    require_role(principal, rules.STAFF_READERS)
    return await reads.get_application(conn, principal, case_id, utcnow())


@get(
    "/applications/{case_id:int}/negative-list",
    operation_id="GetNegativeListHits",
    responses=responses(applications_errors.ApplicationNotFound),
)
async def get_negative_list_hits(case_id: CaseId, conn: Conn, principal: Caller) -> list[NegativeListHit]:
    require_role(principal, rules.STAFF_READERS)
    case = await reads.get_application(conn, principal, case_id, utcnow())
    return case.negative_list_hits or []


@post(
    "/applications/{case_id:int}/verify",
    operation_id="VerifyApplication",
    responses=responses(
        *applications_errors.STEP_ERRORS,
        applications_errors.NotAssignedVerifier,
        applications_errors.PhotoNotOnApplication,
    ),
    status_code=200,
)
async def verify(
    case_id: CaseId, data: JSONBody[Verification], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    now = utcnow()
    done = await service.verify(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/village-review",
    operation_id="VillageReview",
    responses=responses(*applications_errors.STEP_ERRORS, applications_errors.RejectionReasonRequired),
    status_code=200,
)
async def village_review(
    case_id: CaseId, data: JSONBody[VillageReview], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    now = utcnow()
    done = await service.village_review(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/notice",
    operation_id="StartNotice",
    responses=responses(
        *applications_errors.STEP_ERRORS,
        applications_errors.NoticeStartInPast,
        applications_errors.NoticeTooShort,
    ),
    status_code=200,
)
async def start_notice(
    case_id: CaseId, data: JSONBody[NoticeStart], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    now = utcnow()
    done = await service.start_notice(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/objections",
    operation_id="RaiseObjection",
    responses=responses(*applications_errors.STEP_ERRORS, applications_errors.FarmerNotBound),
    response_headers=LOCATION,
)
async def raise_objection(
    case_id: CaseId, data: JSONBody[ObjectionRaise], conn: Conn, redis: RedisDep, principal: Caller
) -> Response[Application]:
    """The objection is recorded on the case, which the Location points to (objections have no page of their own).
    Staff only: a farmer objects through /api/miniapp/farmer/notices/{id}/objections, whose answer
    is theirs to read (here the case's answer would refuse them after the objection was written)."""
    require_role(principal, rules.REGION_STAFF)
    now = utcnow()
    done, _ = await service.raise_objection(conn, principal, case_id, data, now)
    case = await service.finish(conn, redis, principal, done, now)
    return created(case, f"/api/applications/{case.id}")


@post(
    "/applications/{case_id:int}/objections/{objection_id:int}/resolve",
    operation_id="ResolveObjection",
    responses=responses(
        *applications_errors.STEP_ERRORS,
        applications_errors.ObjectionNotFound,
        applications_errors.ObjectionAlreadyResolved,
    ),
    status_code=200,
)
async def resolve_objection(
    case_id: CaseId,
    objection_id: PathId,
    data: JSONBody[ObjectionResolve],
    conn: Conn,
    redis: RedisDep,
    principal: Caller,
) -> Application:
    now = utcnow()
    done = await service.resolve_objection(conn, principal, case_id, objection_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/end-notice",
    operation_id="EndNotice",
    responses=responses(
        *applications_errors.STEP_ERRORS,
        applications_errors.NoticeNotOver,
        applications_errors.ObjectionUnresolved,
    ),
    status_code=200,
)
async def end_notice(
    case_id: CaseId, data: JSONBody[StepComment], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    now = utcnow()
    done = await service.end_notice(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/township-review",
    operation_id="TownshipReview",
    responses=responses(*applications_errors.STEP_ERRORS),
    status_code=200,
)
async def township_review(
    case_id: CaseId, data: JSONBody[StepComment], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    now = utcnow()
    done = await service.township_pass(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/approve",
    operation_id="ApproveApplication",
    responses=responses(*applications_errors.STEP_ERRORS, applications_errors.NegativeListNotConfirmed),
    status_code=200,
)
async def approve(
    case_id: CaseId, data: JSONBody[Approval], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    now = utcnow()
    done = await service.approve(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/reject",
    operation_id="RejectApplication",
    responses=responses(*applications_errors.STEP_ERRORS, applications_errors.RejectionReasonRequired),
    status_code=200,
)
async def reject(
    case_id: CaseId, data: JSONBody[Rejection], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    now = utcnow()
    done = await service.reject(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/return",
    operation_id="ReturnApplication",
    responses=responses(*applications_errors.STEP_ERRORS, applications_errors.NotAssignedVerifier),
    status_code=200,
)
async def return_for_material(
    case_id: CaseId, data: JSONBody[ReturnForMaterial], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    now = utcnow()
    done = await service.return_for_material(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/answer-return",
    operation_id="AnswerReturnAsStaff",
    responses=responses(
        *applications_errors.STEP_ERRORS,
        applications_errors.NotAssignedVerifier,
        applications_errors.PhotoNotOnApplication,
    ),
    status_code=200,
)
async def answer_return(
    case_id: CaseId, data: JSONBody[AnswerReturn], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    """A helper supplies the material on the household's behalf."""
    now = utcnow()
    done = await service.answer_return(conn, principal, case_id, data, now)
    return await service.finish(conn, redis, principal, done, now)


router = Router(
    path="/api",
    route_handlers=[
        open_application,
        list_applications,
        list_tasks,
        get_application,
        get_negative_list_hits,
        verify,
        village_review,
        start_notice,
        raise_objection,
        resolve_objection,
        end_notice,
        township_review,
        approve,
        reject,
        return_for_material,
        answer_return,
    ],
    tags=["applications"],
)
