"""Mini-program routes for a household's responsible helper: the households that may now leave
monitoring (the daily list) and the risk-elimination proposal. Thin wrappers over backend.elimination;
the case then moves through the workflow like any other (GET /applications/{id}, answer-return)."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, post
from litestar.params import JSONBody, QueryParameter

from backend.applications import errors as applications_errors
from backend.applications import service as applications_service
from backend.auth import require_role, utcnow
from backend.deps import Caller, Conn, PageParam, RedisDep, SettingsDep
from backend.elimination import service
from backend.errors import responses
from backend.http import LOCATION, created
from schemas.applications import Application
from schemas.base import Role
from schemas.elimination import EliminationCandidatePage, EliminationProposal

HELPER = frozenset({Role.helper})


@get("/elimination-candidates", operation_id="ListMyEliminationCandidates")
async def list_my_candidates(
    conn: Conn,
    principal: Caller,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> EliminationCandidatePage:
    """The caller's households that meet the elimination criteria, to consider proposing."""
    require_role(principal, HELPER)
    return await service.list_candidates(conn, principal, page=page, page_size=page_size)


@post(
    "/risk-eliminations",
    operation_id="ProposeRiskElimination",
    responses=responses(*applications_errors.PROPOSE_ERRORS),
    response_headers=LOCATION,
)
async def propose(
    data: JSONBody[EliminationProposal], conn: Conn, redis: RedisDep, settings: SettingsDep, principal: Caller
) -> Response[Application]:
    """风险消除: the household's helper proposes it with the income evidence; it goes to village review.
    Any other role is refused by the workflow table (role_may_not_act)."""
    now = utcnow()
    done = await service.propose(conn, principal, data, now, settings.elimination_min_monitored_months)
    case = await applications_service.finish(conn, redis, principal, done, now)
    return created(case, f"/api/miniapp/helper/applications/{case.id}")


router = Router(path="/api/miniapp/helper", route_handlers=[list_my_candidates, propose], tags=["miniapp-helper"])
