"""Writing and reading the audit trail (DOMAIN §11: logins, full ID-number reads, imports, admin
changes). Writers call `record` inside the transaction of the audited action, so an action and its
audit row exist together or not at all."""

from __future__ import annotations

import asyncpg
import msgspec

from backend.audit import queries
from backend.observability import current_client_request_id, current_request_id
from schemas.audit import AuditEntry, AuditPage, AuditSearch
from schemas.base import PageMeta


async def record(
    conn: asyncpg.Connection,
    actor_user_id: int | None,
    action: str,
    object_type: str,
    object_id: object,
    detail: dict[str, object] | None = None,
) -> None:
    await conn.execute(
        queries.INSERT_AUDIT,
        actor_user_id,
        action,
        object_type,
        None if object_id is None else str(object_id),
        current_request_id(),
        current_client_request_id(),
        detail or {},
    )


async def list_entries(conn: asyncpg.Connection, search: AuditSearch) -> AuditPage:
    """Newest first, every filter optional; `total` counts all matches, not just this page."""
    rows = await conn.fetch(
        queries.LIST_AUDIT,
        search.actor_user_id,
        search.action,
        search.object_type,
        search.object_id,
        search.since,
        search.until,
        search.page_size,
        (search.page - 1) * search.page_size,
    )
    total = rows[0]["total"] if rows else 0
    items = [msgspec.convert({k: v for k, v in r.items() if k != "total"}, AuditEntry) for r in rows]
    return AuditPage(items=items, meta=PageMeta(total=total, page=search.page, page_size=search.page_size))
