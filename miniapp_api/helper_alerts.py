"""Mini-program routes for helpers and grid officers: the alerts assigned to them, with the
household, the explanation and the deadline, and their verdict after the visit (dismiss with a
reason, or confirm hardship into a case). Thin wrappers over backend.alerts."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from backend.alerts import errors as alerts_errors
from backend.alerts import reads, work
from backend.alerts.rules import VERIFIERS
from backend.applications import errors as applications_errors
from backend.auth import require_role, utcnow
from backend.deps import Caller, Conn, PageParam, PathId, RedisDep
from backend.errors import responses
from backend.notifications.service import enqueue_delivery
from schemas.alerts import Alert, AlertConfirm, AlertDismiss, AlertPage, AlertSearch

_STEP_ERRORS = (
    alerts_errors.AlertNotFound,
    alerts_errors.AlertRoleMayNotAct,
    alerts_errors.NotAlertAssignee,
    alerts_errors.AlertActionNotAllowed,
    alerts_errors.PhotoNotOnAlert,
)


@get("/alerts", operation_id="ListHelperAlerts")
async def list_my_alerts(
    conn: Conn,
    principal: Caller,
    overdue: FromQuery[bool | None] = None,
    all: FromQuery[bool] = False,  # noqa: A002  (the query parameter's name)
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
) -> AlertPage:
    """The alerts assigned to the caller still to do (or, with `all=true`, every one assigned to
    them), overdue ones flagged; attached-for-visit ones of monitored households included."""
    require_role(principal, VERIFIERS)
    search = AlertSearch(
        assignee_user_id=principal.user_id, overdue=overdue, active_only=not all, page=page, page_size=page_size
    )
    return await reads.list_alerts(conn, principal, search, utcnow())


@get("/alerts/{alert_id:int}", operation_id="GetHelperAlert", responses=responses(alerts_errors.AlertNotFound))
async def get_alert(alert_id: PathId, conn: Conn, principal: Caller) -> Alert:
    require_role(principal, VERIFIERS)
    return await reads.get_alert(conn, principal, alert_id, utcnow())


@post("/alerts/{alert_id:int}/dismiss", operation_id="DismissAlert", status_code=200, responses=responses(*_STEP_ERRORS))
async def dismiss(
    alert_id: PathId, data: JSONBody[AlertDismiss], conn: Conn, redis: RedisDep, principal: Caller
) -> Alert:
    """Not a hardship, with a reason: a yellow alert closes, a red one waits for the county."""
    require_role(principal, VERIFIERS)
    now = utcnow()
    done = await work.dismiss(conn, principal, alert_id, data, now)
    await enqueue_delivery(redis, done.notification_ids)
    return await reads.get_alert(conn, principal, alert_id, now)


@post(
    "/alerts/{alert_id:int}/confirm",
    operation_id="ConfirmAlertHardship",
    status_code=200,
    responses=responses(*_STEP_ERRORS, *applications_errors.OPEN_ERRORS),
)
async def confirm(
    alert_id: PathId, data: JSONBody[AlertConfirm], conn: Conn, redis: RedisDep, principal: Caller
) -> Alert:
    """Hardship confirmed: a case opened (source department_alert), or the case in progress
    joined, or (monitored household) attached for the next visit; `application_id` says which."""
    require_role(principal, VERIFIERS)
    now = utcnow()
    done = await work.confirm(conn, principal, alert_id, data, now)
    await enqueue_delivery(redis, done.notification_ids)
    return await reads.get_alert(conn, principal, alert_id, now)


router = Router(
    path="/api/miniapp/helper",
    route_handlers=[list_my_alerts, get_alert, dismiss, confirm],
    tags=["miniapp-helper"],
)
