"""Admin endpoints for notifications: WeChat templates per event, the outbox and its retry.
Everyone's own inbox (/api/inbox) and subscribe grants are in miniapp_api/inbox.py."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.auth import require_role
from backend.deps import Caller, Conn, PageParam, QueryId, RedisDep
from backend.errors import responses
from backend.notifications import errors as notifications_errors
from backend.notifications import service
from schemas.base import Role
from schemas.notifications import (
    DeliveryPage,
    DeliveryStatus,
    NotificationEvent,
    Requeued,
    RetryFailed,
    Template,
    TemplateUpdate,
)

ADMINS = {Role.admin}


@get("/templates", operation_id="ListNotificationTemplates")
async def list_templates(conn: Conn, principal: Caller) -> list[Template]:
    require_role(principal, ADMINS)
    return await service.list_templates(conn)


@put(
    "/templates/{event:str}",
    operation_id="PutNotificationTemplate",
    responses=responses(notifications_errors.InvalidTemplateFields),
)
async def put_template(
    event: FromPath[NotificationEvent], data: JSONBody[TemplateUpdate], conn: Conn, principal: Caller
) -> Template:
    require_role(principal, ADMINS)
    return await service.put_template(conn, principal, event, data)


@delete(
    "/templates/{event:str}",
    operation_id="DeleteNotificationTemplate",
    responses=responses(notifications_errors.TemplateNotFound),
    status_code=204,
)
async def delete_template(event: FromPath[NotificationEvent], conn: Conn, principal: Caller) -> None:
    require_role(principal, ADMINS)
    await service.delete_template(conn, principal, event)


@get("/deliveries", operation_id="ListDeliveries")
async def list_deliveries(
    conn: Conn,
    principal: Caller,
    status: FromQuery[DeliveryStatus | None] = None,
    event: FromQuery[NotificationEvent | None] = None,
    user_id: QueryId = None,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> DeliveryPage:
    require_role(principal, ADMINS)
    return await service.list_deliveries(conn, page, page_size, status=status, event=event, user_id=user_id)


@post("/deliveries/retry", operation_id="RetryFailedDeliveries", status_code=200)
async def retry_failed(
    data: JSONBody[RetryFailed], conn: Conn, redis: RedisDep, principal: Caller
) -> Requeued:
    require_role(principal, ADMINS)
    return await service.retry_failed(conn, redis, principal, data)


router = Router(
    path="/api/notifications",
    route_handlers=[list_templates, put_template, delete_template, list_deliveries, retry_failed],
    tags=["notifications"],
)
