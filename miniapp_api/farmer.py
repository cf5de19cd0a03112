"""Mini-program routes for farmers. A farmer only ever sees their own household."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, JSONBody

from backend.applications import errors as application_errors
from backend.applications import reads as applications_reads
from backend.applications import service as applications
from backend.auth import require_role, utcnow
from backend.deps import Caller, Conn, LimiterDep, PathId, RedisDep
from backend.errors import responses
from backend.http import LOCATION, created
from backend.notifications.service import enqueue_delivery
from backend.ratelimit import errors as ratelimit_errors
from backend.ratelimit.rules import Action as Limited
from backend.registry import errors as registry_errors
from backend.registry import service as registry
from schemas.applications import (
    AnswerReturn,
    Application,
    ApplicationDraft,
    ApplicationSubmit,
    ApplicationSummary,
    NoticeItem,
    Objection,
    ObjectionRaise,
    Withdraw,
)
from schemas.base import Role
from schemas.registry import Household

FARMER = {Role.farmer}


@get("/household", operation_id="GetMyHousehold", responses=responses(registry_errors.HouseholdNotFound))
async def my_household(conn: Conn, principal: Caller) -> Household:
    require_role(principal, FARMER)
    return await registry.get_household(conn, principal, principal.household_only or -1)


@put(
    "/applications/draft",
    operation_id="SaveApplicationDraft",
    responses=responses(
        application_errors.FarmerNotBound,
        application_errors.RoleMayNotAct,
        application_errors.ApplicationNotFound,
        application_errors.HouseholdNotFound,
        application_errors.HouseholdAlreadyMonitored,
        application_errors.OpenApplicationExists,
    ),
)
async def save_application_draft(
    data: JSONBody[ApplicationDraft], conn: Conn, principal: Caller
) -> Application:
    """Save what is filled in so far; photos are then uploaded with owner kind `application`."""
    require_role(principal, FARMER)
    draft_id = await applications.save_draft(conn, principal, data)
    return await applications_reads.get_application(conn, principal, draft_id, utcnow())


SAME_SUBMISSION_AGAIN = ResponseSpec(
    Application, description="同一 Idempotency-Key 的重试：返回已提交的那一件，不建第二件"
)


@post(
    "/applications",
    operation_id="SubmitApplication",
    responses={200: SAME_SUBMISSION_AGAIN}
    | responses(
        application_errors.IdempotencyKeyRequired,
        application_errors.FarmerNotBound,
        application_errors.RoleMayNotAct,
        application_errors.ApplicationNotFound,
        application_errors.HouseholdNotFound,
        application_errors.ActionNotAllowedInState,
        application_errors.HouseholdAlreadyMonitored,
        application_errors.OpenApplicationExists,
        application_errors.StaleVersion,
        application_errors.IdempotencyKeyReused,
        application_errors.PhotoNotOnApplication,
        ratelimit_errors.RateLimited,
    ),
    response_headers=LOCATION,
)
async def submit_application(
    data: JSONBody[ApplicationSubmit],
    conn: Conn,
    redis: RedisDep,
    principal: Caller,
    limiter: LimiterDep,
    idempotency_key: Annotated[
        str | None, HeaderParameter(name="Idempotency-Key", min_length=8, max_length=100)
    ] = None,
) -> Response[Application]:
    """自主申报. Retrying with the same Idempotency-Key returns the same case (200), never a second."""
    require_role(principal, FARMER)
    await limiter.check(Limited.application_submit, principal.user_id)
    if not idempotency_key:
        raise application_errors.IdempotencyKeyRequired()
    result = await applications.submit(conn, principal, idempotency_key, data, utcnow())
    await enqueue_delivery(redis, result.notification_ids)
    if result.created:
        return created(result.application, f"/api/miniapp/farmer/applications/{result.application.id}")
    return Response(result.application, status_code=200)


@get("/applications", operation_id="ListMyApplications")
async def list_my_applications(conn: Conn, principal: Caller) -> list[ApplicationSummary]:
    require_role(principal, FARMER)
    return await applications_reads.list_household_applications(conn, principal, utcnow())


@get(
    "/applications/{case_id:int}",
    operation_id="GetMyApplication",
    responses=responses(application_errors.ApplicationNotFound),
)
async def get_my_application(case_id: PathId, conn: Conn, principal: Caller) -> Application:
    """The case with its timeline in plain Chinese and 下一步 (who acts next, by when)."""
    require_role(principal, FARMER)
    return await applications_reads.get_application(conn, principal, case_id, utcnow())


@post(
    "/applications/{case_id:int}/answer",
    operation_id="AnswerReturn",
    responses=responses(*application_errors.STEP_ERRORS, application_errors.PhotoNotOnApplication),
    status_code=200,
)
async def answer_return(
    case_id: PathId, data: JSONBody[AnswerReturn], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    require_role(principal, FARMER)
    now = utcnow()
    done = await applications.answer_return(conn, principal, case_id, data, now)
    return await applications.finish(conn, redis, principal, done, now)


@post(
    "/applications/{case_id:int}/withdraw",
    operation_id="WithdrawApplication",
    responses=responses(*application_errors.STEP_ERRORS),
    status_code=200,
)
async def withdraw_application(
    case_id: PathId, data: JSONBody[Withdraw], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    require_role(principal, FARMER)
    now = utcnow()
    done = await applications.withdraw(conn, principal, case_id, data, now)
    return await applications.finish(conn, redis, principal, done, now)


@get("/notices", operation_id="ListVillageNotices")
async def list_village_notices(conn: Conn, principal: Caller) -> list[NoticeItem]:
    """公示 in the farmer's own village."""
    require_role(principal, FARMER)
    return await applications_reads.list_village_notices(conn, principal)


@post(
    "/notices/{case_id:int}/objections",
    operation_id="ObjectToNotice",
    responses=responses(*application_errors.STEP_ERRORS, application_errors.FarmerNotBound),
    response_headers=LOCATION,
)
async def object_to_notice(
    case_id: PathId, data: JSONBody[ObjectionRaise], conn: Conn, redis: RedisDep, principal: Caller
) -> Response[Objection]:
    """异议 about a case on notice in the farmer's village; the Location is that notice's list entry."""
    require_role(principal, FARMER)
    now = utcnow()
    done, objection_id = await applications.raise_objection(conn, principal, case_id, data, now)
    await enqueue_delivery(redis, done.notification_ids)
    return created(
        Objection(id=objection_id, content=data.content, raised_at=now), "/api/miniapp/farmer/notices"
    )


router = Router(
    path="/api/miniapp/farmer",
    route_handlers=[
        my_household,
        save_application_draft,
        submit_application,
        list_my_applications,
        get_my_application,
        answer_return,
        withdraw_application,
        list_village_notices,
        object_to_notice,
    ],
    tags=["miniapp-farmer"],
)
