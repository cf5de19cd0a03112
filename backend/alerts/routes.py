"""Alert reads for staff in their region, and the admin's rules and thresholds. Thin."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter

from backend.alerts import errors as alerts_errors
from backend.alerts import reads
from backend.auth import require_role
from backend.deps import Caller, Conn, PageParam, PathId
from backend.errors import responses
from backend.registry.routes import HOUSEHOLD_READERS
from schemas.alerts import (
    Alert,
    AlertLevel,
    AlertPage,
    AlertRule,
    AlertSearch,
    AlertStatus,
    LightSummary,
    ThresholdUpdate,
)
from schemas.base import Role

# Whoever reads households reads their alerts; line departments see neither (README "Roles").
ALERT_READERS = HOUSEHOLD_READERS
RULE_READERS = {Role.admin, Role.county}
RULE_EDITORS = {Role.admin}

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
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
) -> AlertPage:
    """`village` takes any region code: the alerts of households inside it."""
    require_role(principal, ALERT_READERS)
    search = AlertSearch(
        level=level, rule_code=rule, village_code=village, status=status, page=page, page_size=page_size
    )
    return await reads.list_alerts(conn, principal, search)


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
    require_role(principal, ALERT_READERS)
    return await reads.get_alert(conn, principal, alert_id)


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
    route_handlers=[list_alerts, summarise_lights, get_alert, list_rules, put_threshold],
    tags=["alerts"],
)
