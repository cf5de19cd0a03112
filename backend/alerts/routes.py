"""Alert reads and the alert work for staff in their region (the helper's own steps are in
miniapp_api/helper_alerts.py), and the admin's rules and thresholds. Thin."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from arq.connections import ArqRedis
from litestar import Request, Response, Router, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from litestar.response import Stream

from backend.alerts import board, reads, work
from backend.alerts import errors as alerts_errors
from backend.alerts.rules import READERS
from backend.applications import errors as applications_errors
from backend.auth import Principal, require_role, utcnow
from backend.deps import Caller, Conn, PageParam, PathId, QueryId, RedisDep, SettingsDep
from backend.errors import responses
from backend.http import LOCATION, created
from backend.notifications.service import enqueue_delivery
from backend.settings import Settings
from backend.tabular.xlsx import XLSX_MEDIA_TYPE, xlsx_chunks, xlsx_stream_download
from schemas.alerts import (
    Alert,
    AlertAction,
    AlertAssign,
    AlertLevel,
    AlertPage,
    AlertReview,
    AlertRule,
    AlertSearch,
    AlertStatus,
    Assigned,
    Board,
    Exemption,
    ExemptionCreate,
    LightSummary,
    ThresholdUpdate,
    Workload,
)
from schemas.applications import RiskType
from schemas.base import Role

# Whoever reads households reads their alerts; line departments see neither (README "Roles").
ALERT_READERS = READERS
RULE_READERS = {Role.admin, Role.county}
RULE_EDITORS = {Role.admin}
BOARD_READERS = {Role.admin, Role.county, Role.township}
COUNTY = {Role.county}
EXEMPTION_READERS = {Role.admin, Role.county}

_REGION = r"^[0-9]{12}$(?!\n)"
_RULE = r"^[A-Z]{2}-[0-9]{2}$(?!\n)"


@get("/alerts", operation_id="ListAlerts")
async def list_alerts(
    conn: Conn,
    principal: Caller,
    level: FromQuery[AlertLevel | None] = None,
    rule: Annotated[str | None, QueryParameter(pattern=_RULE)] = None,
    village: Annotated[str | None, QueryParameter(pattern=_REGION)] = None,
    status: FromQuery[AlertStatus | None] = None,
    risk_type: FromQuery[RiskType | None] = None,
    overdue: FromQuery[bool | None] = None,
    min_age_days: Annotated[int | None, QueryParameter(ge=0, le=3650)] = None,
    assignee: QueryId = None,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
) -> AlertPage:
    """`village` takes any region code (a township: its villages); `overdue` past the verification
    deadline; `min_age_days` raised at least that long ago; `assignee` a user id."""
    require_role(principal, ALERT_READERS)
    search = AlertSearch(
        level=level, rule_code=rule, village_code=village, status=status, risk_type=risk_type, overdue=overdue,
        min_age_days=min_age_days, assignee_user_id=assignee, page=page, page_size=page_size,
    )
    return await reads.list_alerts(conn, principal, search, utcnow())


@get(
    "/alerts/export.xlsx",
    operation_id="ExportAlerts",
    media_type=XLSX_MEDIA_TYPE,
)
async def export_alerts(
    request: Request[Any, Any, Any],
    principal: Caller,
    level: FromQuery[AlertLevel | None] = None,
    rule: Annotated[str | None, QueryParameter(pattern=_RULE)] = None,
    village: Annotated[str | None, QueryParameter(pattern=_REGION)] = None,
    status: FromQuery[AlertStatus | None] = None,
    overdue: FromQuery[bool | None] = None,
) -> Stream:
    """The alerts the list shows with these filters, every one, streamed as XLSX."""
    require_role(principal, BOARD_READERS)
    search = AlertSearch(level=level, rule_code=rule, village_code=village, status=status, overdue=overdue)
    pages = board.alert_pages(request.app.state.db, principal, search, utcnow())
    return xlsx_stream_download(xlsx_chunks("预警清单", board.ALERTS_HEADER, pages), "预警清单.xlsx")


@get("/alerts/board", operation_id="GetAlertBoard", responses=responses(alerts_errors.RegionNotFound))
async def get_board(
    conn: Conn, principal: Caller, region: Annotated[str | None, QueryParameter(pattern=_REGION)] = None
) -> Board:
    """Per township: open, overdue, converted, dismissed per rule code (and in all), median days
    to verify, self-applications with a negative-list hit. Default region: the caller's."""
    require_role(principal, BOARD_READERS)
    return await board.get_board(conn, principal, region, utcnow())


@get(
    "/alerts/board.xlsx",
    operation_id="ExportAlertBoard",
    media_type=XLSX_MEDIA_TYPE,
    responses=responses(alerts_errors.RegionNotFound),
)
async def export_board(
    conn: Conn, principal: Caller, region: Annotated[str | None, QueryParameter(pattern=_REGION)] = None
) -> Stream:
    """The board's figures as XLSX, the same numbers as GET /api/alerts/board."""
    require_role(principal, BOARD_READERS)
    figures = await board.get_board(conn, principal, region, utcnow())
    return xlsx_stream_download(
        xlsx_chunks("预警看板", board.BOARD_HEADER, board.board_pages(figures)), f"预警看板-{figures.region_code}.xlsx"
    )


@get("/alerts/workload", operation_id="ListAlertWorkload", responses=responses(alerts_errors.RegionNotFound))
async def list_workload(
    conn: Conn, principal: Caller, region: Annotated[str | None, QueryParameter(pattern=_REGION)] = None
) -> list[Workload]:
    """Who has how many alerts open and overdue."""
    require_role(principal, BOARD_READERS)
    return await board.list_workload(conn, principal, region, utcnow())


@post(
    "/alerts/assign",
    operation_id="AssignAlerts",
    status_code=200,
    responses=responses(
        alerts_errors.AlertNotFound, alerts_errors.AlertRoleMayNotAct, alerts_errors.AlertActionNotAllowed,
        alerts_errors.AssigneeNotEligible, alerts_errors.NoAssigneeAvailable,
    ),
)
async def assign_alerts(
    data: JSONBody[AlertAssign], conn: Conn, redis: RedisDep, settings: SettingsDep, principal: Caller
) -> Assigned:
    """All or none: to `assignee_user_id`, else each household's responsible helper, else a grid
    officer of its village; the verification is due N working days from today."""
    require_role(principal, COUNTY)
    done, assigned = await work.assign(conn, principal, data, utcnow(), settings)
    await enqueue_delivery(redis, done.notification_ids)
    return assigned


_REVIEW_ERRORS = (alerts_errors.AlertNotFound, alerts_errors.AlertRoleMayNotAct, alerts_errors.AlertActionNotAllowed)


async def _review(
    action: AlertAction,
    alert_id: int,
    data: AlertReview,
    conn: asyncpg.Connection,
    redis: ArqRedis,
    settings: Settings,
    principal: Principal,
) -> Alert:
    require_role(principal, COUNTY)
    now = utcnow()
    done = await work.review_dismissal(conn, principal, alert_id, action, data.note, now, settings)
    await enqueue_delivery(redis, done.notification_ids)
    return await reads.get_alert(conn, principal, alert_id, now)


@post(
    "/alerts/{alert_id:int}/confirm-dismissal",
    operation_id="ConfirmAlertDismissal",
    status_code=200,
    responses=responses(*_REVIEW_ERRORS),
)
async def confirm_dismissal(
    alert_id: PathId, data: JSONBody[AlertReview], conn: Conn, redis: RedisDep, settings: SettingsDep,
    principal: Caller,
) -> Alert:
    """The county confirms a red alert's dismissal: it closes."""
    return await _review(AlertAction.confirm_dismissal, alert_id, data, conn, redis, settings, principal)


@post(
    "/alerts/{alert_id:int}/reopen",
    operation_id="ReopenAlert",
    status_code=200,
    responses=responses(*_REVIEW_ERRORS),
)
async def reopen(
    alert_id: PathId, data: JSONBody[AlertReview], conn: Conn, redis: RedisDep, settings: SettingsDep,
    principal: Caller,
) -> Alert:
    """The county sends a proposed dismissal back to the helper, with a fresh deadline."""
    return await _review(AlertAction.reopen, alert_id, data, conn, redis, settings, principal)


@get(
    "/applications/{application_id:int}/alerts",
    operation_id="ListCaseAlerts",
    responses=responses(applications_errors.ApplicationNotFound),
)
async def list_case_alerts(application_id: PathId, conn: Conn, principal: Caller) -> list[Alert]:
    """The alerts a case was opened from or that joined it; a case outside the caller's scope is not found."""
    require_role(principal, ALERT_READERS)
    return await board.list_case_alerts(conn, principal, application_id, utcnow())


@post(
    "/alert-exemptions",
    operation_id="CreateAlertExemption",
    response_headers=LOCATION,
    responses=responses(
        alerts_errors.PersonNotFound, alerts_errors.AlertRuleNotFound, alerts_errors.ExemptionExists,
        alerts_errors.ExemptionEndInPast,
    ),
)
async def create_exemption(data: JSONBody[ExemptionCreate], conn: Conn, principal: Caller) -> Response[Exemption]:
    """豁免清单: until `ends_on` the rule raises no alert for the person. Audited."""
    require_role(principal, COUNTY)
    exemption = await board.create_exemption(conn, principal, data, utcnow())
    return created(exemption, f"/api/alert-exemptions/{exemption.id}")


@get("/alert-exemptions", operation_id="ListAlertExemptions")
async def list_exemptions(conn: Conn, principal: Caller, current: FromQuery[bool] = True) -> list[Exemption]:
    """Newest first; `current=false` also lists ended and revoked ones."""
    require_role(principal, EXEMPTION_READERS)
    return await board.list_exemptions(conn, principal, current_only=current)


@delete(
    "/alert-exemptions/{exemption_id:int}",
    operation_id="RevokeAlertExemption",
    responses=responses(alerts_errors.ExemptionNotFound),
)
async def revoke_exemption(exemption_id: PathId, conn: Conn, principal: Caller) -> None:
    """Ends the exemption now (audited)."""
    require_role(principal, COUNTY)
    await board.revoke_exemption(conn, principal, exemption_id)


@get(
    "/alerts/summary",
    operation_id="SummariseTrafficLights",
    responses=responses(alerts_errors.RegionNotFound),
)
async def summarise_lights(
    conn: Conn,
    principal: Caller,
    region: Annotated[str | None, QueryParameter(pattern=_REGION)] = None,
) -> LightSummary:
    """Households per light (红黄绿) in each village of the region; default the caller's region."""
    require_role(principal, ALERT_READERS)
    return await reads.summarise_lights(conn, principal, region)


@get("/alerts/{alert_id:int}", operation_id="GetAlert", responses=responses(alerts_errors.AlertNotFound))
async def get_alert(alert_id: PathId, conn: Conn, principal: Caller) -> Alert:
    """With its work: assignee, deadline, outcome and every step (events)."""
    require_role(principal, ALERT_READERS)
    return await reads.get_alert(conn, principal, alert_id, utcnow())


@get("/alert-rules", operation_id="ListAlertRules")
async def list_rules(conn: Conn, principal: Caller) -> list[AlertRule]:
    require_role(principal, RULE_READERS)
    return await reads.list_rules(conn)


@put(
    "/alert-rules/{code:str}/thresholds/{province:str}/{year:int}",
    operation_id="PutAlertThreshold",
    responses=responses(
        alerts_errors.AlertRuleNotFound, alerts_errors.InvalidThreshold, alerts_errors.ProvinceNotFound
    ),
)
async def put_threshold(
    code: FromPath[Annotated[str, Parameter(pattern=_RULE)]],
    province: FromPath[Annotated[str, Parameter(pattern=_REGION)]],
    year: FromPath[Annotated[int, Parameter(ge=2014, le=2100)]],
    data: JSONBody[ThresholdUpdate],
    conn: Conn,
    principal: Caller,
) -> AlertRule:
    """Batches evaluated after the change use it; alerts already raised keep their threshold."""
    require_role(principal, RULE_EDITORS)
    return await reads.put_threshold(conn, principal, code, province, year, data)


router = Router(
    path="/api",
    route_handlers=[
        list_alerts, export_alerts, get_board, export_board, list_workload, summarise_lights, get_alert,
        assign_alerts, confirm_dismissal, reopen, list_case_alerts, create_exemption, list_exemptions,
        revoke_exemption, list_rules, put_threshold,
    ],
    tags=["alerts"],
)
