"""Reading the audit trail: the system operator's view of who did what, when, under which request."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Router, get
from litestar.params import FromQuery, QueryParameter

from backend.audit import service
from backend.auth import require_role
from backend.deps import Caller, Conn, PageParam, QueryId
from schemas.audit import AuditPage, AuditSearch
from schemas.base import Role

AUDIT_READERS = {Role.admin}


@get("/audit", operation_id="ListAuditEntries")
async def list_audit(
    conn: Conn,
    principal: Caller,
    actor_user_id: QueryId = None,
    action: FromQuery[str | None] = None,
    object_type: FromQuery[str | None] = None,
    object_id: FromQuery[str | None] = None,
    since: FromQuery[dt.datetime | None] = None,
    until: FromQuery[dt.datetime | None] = None,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> AuditPage:
    require_role(principal, AUDIT_READERS)
    search = AuditSearch(
        actor_user_id=actor_user_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
        page=page,
        page_size=page_size,
    )
    return await service.list_entries(conn, search)


router = Router(path="/api", route_handlers=[list_audit], tags=["audit"])
