"""Audit trail wire types (DOMAIN §11)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from schemas.base import BaseStruct, PageMeta, Role


class AuditSearch(BaseStruct):
    actor_user_id: int | None = None
    action: str | None = None  # a dotted prefix: "person." matches person.id_number.read
    object_type: str | None = None
    object_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    page: int = 1
    page_size: int = 50


class AuditEntry(BaseStruct):
    id: int
    at: dt.datetime
    action: str
    object_type: str
    actor_user_id: int | None = None
    actor_username: str | None = None
    actor_role: Role | None = None
    object_id: str | None = None
    request_id: str | None = None  # the server's
    client_request_id: str | None = None  # what the client sent in X-Request-ID, if anything
    detail: dict[str, Any] = {}


class AuditPage(BaseStruct):
    items: list[AuditEntry]
    meta: PageMeta
