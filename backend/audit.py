"""Append-only audit trail (DOMAIN §11). Call inside the transaction of the audited action."""

from __future__ import annotations

import asyncpg

from backend.observability import current_request_id

INSERT_AUDIT = """
INSERT INTO audit_log (actor_user_id, action, object_type, object_id, request_id, detail)
VALUES ($1, $2, $3, $4, $5, $6)
"""


async def record(
    conn: asyncpg.Connection,
    actor_user_id: int | None,
    action: str,
    object_type: str,
    object_id: object,
    detail: dict[str, object] | None = None,
) -> None:
    await conn.execute(
        INSERT_AUDIT, actor_user_id, action, object_type, str(object_id), current_request_id(), detail or {}
    )
