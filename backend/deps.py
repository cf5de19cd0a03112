"""Dependencies every route may ask for by name: `conn`, `principal`, `settings`, `pii`, `redis`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
from arq.connections import ArqRedis
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from backend.auth import Principal, provide_principal
from backend.pii import Pii
from backend.settings import Settings


async def provide_caller_conn(state: State, principal: Caller) -> AsyncIterator[asyncpg.Connection]:
    """The default `conn`: the caller is authenticated before a pool connection is taken.

    Litestar 2.x enters dependency clean-up only once every dependency resolved, so a `conn`
    taken beside a `principal` that raises 401 stayed checked out until garbage collection.
    Depending on `principal` also makes litestar resolve the two in sequence instead of spawning
    a task group per request (a third of a short read's CPU)."""
    del principal  # asked for only so that it resolves (or refuses) first
    async with state.db.acquire() as conn:
        yield conn


async def provide_public_conn(state: State) -> AsyncIterator[asyncpg.Connection]:
    async with state.db.acquire() as conn:
        yield conn


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_pii(state: State) -> Pii:
    return state.pii


def provide_redis(state: State) -> ArqRedis:
    return state.redis


DEPENDENCIES = {
    "conn": Provide(provide_caller_conn),
    "principal": Provide(provide_principal),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "pii": Provide(provide_pii, sync_to_thread=False),
    "redis": Provide(provide_redis, sync_to_thread=False),
}

# For the few routes that serve callers without a token (log-in, refresh, signed photo links).
PUBLIC = {"conn": Provide(provide_public_conn)}


# Route parameter types: a handler writes `conn: Conn, principal: Caller`.
Conn = NamedDependency[asyncpg.Connection]
Caller = NamedDependency[Principal]
PiiDep = NamedDependency[Pii]
SettingsDep = NamedDependency[Settings]
RedisDep = NamedDependency[ArqRedis]
