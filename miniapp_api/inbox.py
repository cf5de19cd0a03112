"""Every user's in-app inbox (`/api/inbox`, the mini-program and the staff web alike) and the
subscribe grants wx.requestSubscribeMessage reports (`/api/miniapp/subscriptions`).
Any signed-in role; a user only ever sees and marks their own notifications."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from backend.deps import Caller, Conn, PageParam, PathId
from backend.errors import responses
from backend.notifications import errors as notifications_errors
from backend.notifications import service
from schemas.notifications import (
    InboxPage,
    MarkedRead,
    Notification,
    SubscribeReport,
    SubscribeTemplates,
    UnreadCount,
)


@get("/inbox", operation_id="ListInbox")
async def list_inbox(
    conn: Conn,
    principal: Caller,
    unread_only: FromQuery[bool] = False,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> InboxPage:
    return await service.list_inbox(conn, principal, page, page_size, unread_only=unread_only)


@get("/inbox/unread-count", operation_id="CountUnread")
async def count_unread(conn: Conn, principal: Caller) -> UnreadCount:
    return await service.count_unread(conn, principal)


@post(
    "/inbox/{notification_id:int}/read",
    operation_id="MarkRead",
    responses=responses(notifications_errors.NotificationNotFound),
    status_code=200,
)
async def mark_read(notification_id: PathId, conn: Conn, principal: Caller) -> Notification:
    return await service.mark_read(conn, principal, notification_id)


@post("/inbox/read-all", operation_id="MarkAllRead", status_code=200)
async def mark_all_read(conn: Conn, principal: Caller) -> MarkedRead:
    return await service.mark_all_read(conn, principal)


@get("/miniapp/subscriptions", operation_id="ListSubscribeTemplates")
async def list_subscriptions(conn: Conn, principal: Caller) -> SubscribeTemplates:
    return await service.list_subscribe_templates(conn, principal)


@post("/miniapp/subscriptions", operation_id="RecordSubscriptions", status_code=200)
async def record_subscriptions(
    data: JSONBody[SubscribeReport], conn: Conn, principal: Caller
) -> SubscribeTemplates:
    return await service.record_subscriptions(conn, principal, data)


router = Router(
    path="/api",
    route_handlers=[
        list_inbox,
        count_unread,
        mark_read,
        mark_all_read,
        list_subscriptions,
        record_subscriptions,
    ],
    tags=["miniapp-inbox"],
)
