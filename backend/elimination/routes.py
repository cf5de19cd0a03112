"""Staff endpoints of risk elimination: the county's decision and the candidates list. The review
steps in between are the identification routes (/api/applications/{id}/village-review, notice,
objections, end-notice, township-review, reject, return), which act on either kind of case."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, post
from litestar.params import JSONBody, QueryParameter

from backend.applications import errors as applications_errors
from backend.applications import service as applications_service
from backend.auth import utcnow
from backend.deps import Caller, Conn, PageParam, PathId, RedisDep
from backend.elimination import service
from backend.errors import responses
from schemas.applications import Application, StepComment
from schemas.elimination import EliminationCandidatePage


@post(
    "/applications/{case_id:int}/approve-elimination",
    operation_id="ApproveRiskElimination",
    responses=responses(*applications_errors.STEP_ERRORS),
    status_code=200,
)
async def approve_elimination(
    case_id: PathId, data: JSONBody[StepComment], conn: Conn, redis: RedisDep, principal: Caller
) -> Application:
    """县级审定 of a risk elimination: the household leaves monitoring and the farmer is told."""
    now = utcnow()
    done = await service.approve(conn, principal, case_id, data, now)
    return await applications_service.finish(conn, redis, principal, done, now)


@get(
    "/elimination-candidates",
    operation_id="ListEliminationCandidates",
    responses=responses(applications_errors.RoleMayNotAct),
)
async def list_candidates(
    conn: Conn,
    principal: Caller,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> EliminationCandidatePage:
    """Households in scope whose latest visits meet the elimination criteria (the daily list)."""
    return await service.list_candidates(conn, principal, page=page, page_size=page_size)


router = Router(path="/api", route_handlers=[approve_elimination, list_candidates], tags=["risk-elimination"])
