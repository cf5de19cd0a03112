"""Dependencies every route may ask for by name: `conn`, `principal`, `settings`, `pii`, `redis`,
`revocations`, `storage`, `limiter`.

Providers reach the app state through `request`: a `state` parameter makes litestar build and
validate a State copy for every provider on every request (6 µs of a household read's CPU).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from arq.connections import ArqRedis
from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter

from backend.accounts.revocations import Revocations
from backend.auth import Principal, provide_principal
from backend.photos.storage import PhotoStorage, storage_for
from backend.pii import Pii
from backend.ratelimit.service import Limiter
from backend.settings import Settings
from schemas.base import INT64_MAX, MAX_PAGE


async def provide_caller_conn(
    request: Request, principal: Caller
) -> AsyncIterator[asyncpg.Connection]:
    """The default `conn`: the caller is authenticated before a pool connection is taken.

    Litestar 2.x enters dependency clean-up only once every dependency resolved, so a `conn`
    taken beside a `principal` that raises 401 stayed checked out until garbage collection.
    Depending on `principal` also makes litestar resolve the two in sequence instead of spawning
    a task group per request (a third of a short read's CPU)."""
    del principal  # asked for only so that it resolves (or refuses) first
    async with request.app.state.db.acquire() as conn:
        yield conn


async def provide_public_conn(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with request.app.state.db.acquire() as conn:
        yield conn


def provide_settings(request: Request) -> Settings:
    return request.app.state.settings


def provide_pii(request: Request) -> Pii:
    return request.app.state.pii


def provide_redis(request: Request) -> ArqRedis:
    return request.app.state.redis


def provide_revocations(request: Request) -> Revocations:
    return request.app.state.revocations


def provide_storage(request: Request) -> PhotoStorage:
    """Where uploads live (photos, department feed files)."""
    return storage_for(request.app.state.settings)


def provide_limiter(request: Request) -> Limiter:
    """The rate limiter for this caller's address (the proxy's forwarded address when uvicorn runs
    with --proxy-headers behind a trusted one, docs/security.md)."""
    address = request.client.host if request.client else "unknown"
    return Limiter(request.app.state.redis, request.app.state.settings, address)


DEPENDENCIES = {
    "conn": Provide(provide_caller_conn),
    "principal": Provide(provide_principal),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "pii": Provide(provide_pii, sync_to_thread=False),
    "redis": Provide(provide_redis, sync_to_thread=False),
    "revocations": Provide(provide_revocations, sync_to_thread=False),
    "storage": Provide(provide_storage, sync_to_thread=False),
    "limiter": Provide(provide_limiter, sync_to_thread=False),
}

# For the few routes that serve callers without a token (log-in, refresh, signed photo links).
PUBLIC = {"conn": Provide(provide_public_conn)}


# Route parameter types: a handler writes `conn: Conn, principal: Caller`.
Conn = NamedDependency[asyncpg.Connection]
Caller = NamedDependency[Principal]
PiiDep = NamedDependency[Pii]
SettingsDep = NamedDependency[Settings]
RedisDep = NamedDependency[ArqRedis]
RevocationsDep = NamedDependency[Revocations]
StorageDep = NamedDependency[PhotoStorage]
LimiterDep = NamedDependency[Limiter]

# Path and query parameters: litestar checks a parameter against its `Parameter` bounds (msgspec's
# Meta is ignored there), and the bound must sit on the whole `int | None`.
PathId = Annotated[int, Parameter(gt=0, le=INT64_MAX)]
QueryId = Annotated[int | None, Parameter(gt=0, le=INT64_MAX)]
PageParam = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
