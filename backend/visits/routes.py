"""Visits for staff in their region: visits with the reviewer's flags, rectification items and
the 月清零 report, the stationed cadres' report and the overdue board. The helper's own screens
are in miniapp_api/helper_visits.py. Thin."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.auth import require_role, utcnow
from backend.deps import Caller, Conn, PageParam, PathId, QueryId, SettingsDep
from backend.errors import responses
from backend.regions.rules import region_prefix
from backend.visits import board, reports, rules, service
from backend.visits import errors as visits_errors
from schemas.base import Role
from schemas.visits import (
    BoardItemPage,
    BoardList,
    CadreReport,
    ClearanceReport,
    Rectification,
    RectificationClear,
    RectificationPage,
    RectificationStatus,
    Visit,
    VisitBoard,
    VisitPage,
)

STAFF_READERS = rules.REGION_READERS | {Role.admin}

REGION = r"^[0-9]{12}$(?!\n)"
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$(?!\n)"
RegionQuery = Annotated[str | None, QueryParameter(pattern=REGION)]
MonthQuery = Annotated[str | None, QueryParameter(pattern=MONTH, description="YYYY-MM，默认本月")]
PageSizeQuery = Annotated[int, QueryParameter(ge=1, le=200)]


@get("/visits", operation_id="ListVisits")
async def list_visits(
    conn: Conn,
    principal: Caller,
    settings: SettingsDep,
    household: QueryId = None,
    village: RegionQuery = None,
    page: PageParam = 1,
    page_size: PageSizeQuery = 20,
) -> VisitPage:
    """Newest first; `village` any region code (a township: its villages). Each visit carries its
    flags for the reviewer — never a score."""
    require_role(principal, STAFF_READERS)
    return await service.list_visits(
        conn, principal, settings, household_id=household,
        village_like=region_prefix(village) + "%" if village else None, page=page, page_size=page_size,
    )


@get("/visits/{visit_id:int}", operation_id="GetVisit", responses=responses(visits_errors.VisitNotFound))
async def get_visit(visit_id: PathId, conn: Conn, principal: Caller, settings: SettingsDep) -> Visit:
    require_role(principal, STAFF_READERS)
    return await service.get_visit(conn, principal, settings, visit_id)


@get("/rectifications", operation_id="ListRectifications", responses=responses(visits_errors.RegionNotFound))
async def list_rectifications(
    conn: Conn,
    principal: Caller,
    region: RegionQuery = None,
    status: FromQuery[RectificationStatus | None] = RectificationStatus.open,
    page: PageParam = 1,
    page_size: PageSizeQuery = 50,
) -> RectificationPage:
    """The region's items (default: open), oldest first."""
    require_role(principal, STAFF_READERS)
    return await reports.list_rectifications(
        conn, principal, region_code=region, status=status, page=page, page_size=page_size
    )


@post(
    "/rectifications/{item_id:int}/clear",
    operation_id="ClearRectification",
    status_code=200,
    responses=responses(
        visits_errors.RectificationNotFound, visits_errors.MayNotClearRectification,
        visits_errors.RectificationAlreadyCleared,
    ),
)
async def clear_rectification(
    item_id: PathId, data: JSONBody[RectificationClear], conn: Conn, principal: Caller
) -> Rectification:
    """销号 by the township (the helper clears theirs in the mini-program), with a note."""
    require_role(principal, rules.CLEARERS)
    return await reports.clear_rectification(conn, principal, item_id, data.note, utcnow())


@get(
    "/rectifications/report",
    operation_id="GetClearanceReport",
    responses=responses(visits_errors.RegionNotFound, visits_errors.NotATownship, visits_errors.BadMonth),
)
async def get_clearance_report(
    conn: Conn,
    principal: Caller,
    township: RegionQuery = None,
    month: MonthQuery = None,
) -> ClearanceReport:
    """月清零: per village, items found and cleared in the month and open at its end, with the list
    of those open. Default: the caller's township, this month."""
    require_role(principal, rules.REPORT_READERS)
    return await reports.clearance_report(conn, principal, township, reports.month_of(month, utcnow()))


@get(
    "/cadre-logs/report",
    operation_id="GetCadreLogReport",
    responses=responses(visits_errors.RegionNotFound, visits_errors.BadMonth),
)
async def get_cadre_report(
    conn: Conn, principal: Caller, region: RegionQuery = None, month: MonthQuery = None
) -> CadreReport:
    """三在村: each stationed cadre's days in the village against two thirds of the month's days,
    from their own work log. By village and name, never ranked."""
    require_role(principal, rules.REPORT_READERS)
    now = utcnow()
    return await reports.cadre_report(conn, principal, region, reports.month_of(month, now), now)


@get("/visits/board", operation_id="GetVisitBoard", responses=responses(visits_errors.RegionNotFound))
async def get_board(conn: Conn, principal: Caller, region: RegionQuery = None) -> VisitBoard:
    """Per township: cases past 15 days, helpers late, plans missing, visits overdue, open items."""
    require_role(principal, rules.REPORT_READERS)
    return await board.get_board(conn, principal, region, utcnow())


@get(
    "/visits/board/{which:str}",
    operation_id="ListVisitBoardItems",
    responses=responses(visits_errors.RegionNotFound),
)
async def list_board_items(
    which: FromPath[BoardList],
    conn: Conn,
    principal: Caller,
    region: RegionQuery = None,
    page: PageParam = 1,
    page_size: PageSizeQuery = 50,
) -> BoardItemPage:
    """The households, cases or items behind one of the board's counts."""
    require_role(principal, rules.REPORT_READERS)
    return await board.list_board_items(conn, principal, which, region, utcnow(), page=page, page_size=page_size)


router = Router(
    path="/api",
    route_handlers=[
        list_visits, get_visit, list_rectifications, clear_rectification, get_clearance_report, get_cadre_report,
        get_board, list_board_items,
    ],
    tags=["visits"],
)
