"""`conn` for routes that need a caller, acquired only once the caller is known.

Litestar 2.25 enters a request's dependency clean-up only after every dependency resolved: when
`principal` raises (401) after the plain `conn` generator already took a connection, that
connection stays checked out until garbage collection (and `pool.close()` waits for it). Making
`conn` depend on `principal` puts it in a later batch, so a refused caller never takes one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from backend.auth import Principal


async def provide_caller_conn(state: State, principal: NamedDependency[Principal]) -> AsyncIterator[asyncpg.Connection]:
    del principal  # asked for only so that it resolves (or refuses) first
    async with state.db.acquire() as conn:
        yield conn


CALLER_CONN = {"conn": Provide(provide_caller_conn)}
