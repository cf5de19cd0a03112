"""Mini-program routes for helpers and grid officers: the to-visit list, home visits (photos go
through the photo API with owner kind `visit`), their rectification items and, for stationed
cadres, the work log (工作纪实). Thin wrappers over backend.visits."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from backend.auth import require_role, utcnow
from backend.deps import Caller, Conn, PageParam, PathId, QueryId, SettingsDep
from backend.errors import responses
from backend.http import LOCATION, created
from backend.visits import errors as visits_errors
from backend.visits import reports, rules, service
from backend.visits.routes import MonthQuery
from schemas.base import Role
from schemas.visits import (
    Rectification,
    RectificationClear,
    RectificationPage,
    RectificationStatus,
    ToVisitList,
    Visit,
    VisitCreate,
    VisitPage,
    WorkLogDay,
    WorkLogEntry,
    WorkLogMonth,
)

HELPERS = frozenset({Role.helper})


@get("/to-visit", operation_id="ListHelperToVisit")
async def list_to_visit(
    conn: Conn,
    principal: Caller,
    all: FromQuery[bool] = False,  # noqa: A002  (the query parameter's name)
) -> ToVisitList:
    """The caller's households with a visit due or overdue, no plan, or an open rectification
    item, overdue first (`all=true`: every household they are responsible for)."""
    require_role(principal, HELPERS)
    return await service.list_to_visit(conn, principal, utcnow(), everything=all)


@post(
    "/visits",
    operation_id="RecordVisit",
    response_headers=LOCATION,
    responses=responses(
        visits_errors.HouseholdNotFound, visits_errors.NotResponsibleHelper, visits_errors.VisitTimeInFuture,
        visits_errors.VisitTimeTooOld, visits_errors.ProblemNeedsNote,
    ),
)
async def record_visit(
    data: JSONBody[VisitCreate], conn: Conn, principal: Caller, settings: SettingsDep
) -> Response[Visit]:
    """Location and photos are optional and never a condition; a problem in the checklist opens a
    rectification item. Attach photos afterwards: POST /api/visits/{id}/photos."""
    require_role(principal, rules.RECORDERS)
    recorded = await service.record_visit(conn, principal, data, utcnow())
    visit = await service.get_visit(conn, principal, settings, recorded.visit_id)
    return created(visit, f"/api/miniapp/helper/visits/{visit.id}")


@get("/visits", operation_id="ListHelperVisits")
async def list_my_visits(
    conn: Conn,
    principal: Caller,
    settings: SettingsDep,
    household: QueryId = None,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
) -> VisitPage:
    """The caller's visits and their households' (a grid officer: the village's), newest first."""
    require_role(principal, rules.RECORDERS)
    return await service.list_visits(
        conn, principal, settings, household_id=household, village_like=None, page=page, page_size=page_size
    )


@get("/visits/{visit_id:int}", operation_id="GetHelperVisit", responses=responses(visits_errors.VisitNotFound))
async def get_visit(visit_id: PathId, conn: Conn, principal: Caller, settings: SettingsDep) -> Visit:
    require_role(principal, rules.RECORDERS)
    return await service.get_visit(conn, principal, settings, visit_id)


@get("/rectifications", operation_id="ListHelperRectifications")
async def list_rectifications(
    conn: Conn,
    principal: Caller,
    status: FromQuery[RectificationStatus | None] = RectificationStatus.open,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> RectificationPage:
    """The items the caller owns or whose household they are responsible for, oldest first."""
    require_role(principal, HELPERS)
    return await reports.list_rectifications(
        conn, principal, region_code=None, status=status, page=page, page_size=page_size
    )


@post(
    "/rectifications/{item_id:int}/clear",
    operation_id="ClearHelperRectification",
    status_code=200,
    responses=responses(visits_errors.RectificationNotFound, visits_errors.RectificationAlreadyCleared),
)
async def clear_rectification(
    item_id: PathId, data: JSONBody[RectificationClear], conn: Conn, principal: Caller
) -> Rectification:
    """销号 with a note saying what was done."""
    require_role(principal, HELPERS)
    return await reports.clear_rectification(conn, principal, item_id, data.note, utcnow())


@post(
    "/work-log",
    operation_id="PutWorkLogDay",
    status_code=200,
    responses=responses(
        visits_errors.NotStationedInVillage, visits_errors.WorkLogDateInFuture, visits_errors.WorkLogDateClosed
    ),
)
async def put_work_log(data: JSONBody[WorkLogEntry], conn: Conn, principal: Caller) -> WorkLogDay:
    """The stationed cadre's day: in the village or not, with a note (written again: replaced)."""
    require_role(principal, rules.CADRES)
    return await reports.put_work_log(conn, principal, data, utcnow())


@get(
    "/work-log",
    operation_id="GetWorkLogMonth",
    responses=responses(visits_errors.NotStationedInVillage, visits_errors.BadMonth),
)
async def get_work_log(conn: Conn, principal: Caller, month: MonthQuery = None) -> WorkLogMonth:
    require_role(principal, rules.CADRES)
    return await reports.get_work_log(conn, principal, reports.month_of(month, utcnow()))


router = Router(
    path="/api/miniapp/helper",
    route_handlers=[
        list_to_visit, record_visit, list_my_visits, get_visit, list_rectifications, clear_rectification,
        put_work_log, get_work_log,
    ],
    tags=["miniapp-helper"],
)
