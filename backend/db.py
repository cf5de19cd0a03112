"""asyncpg pool set-up. Services take a connection first and own their transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec

_encode = msgspec.json.Encoder()
_decode = msgspec.json.Decoder()


async def _init_connection(conn: asyncpg.Connection) -> None:
    for json_type in ("json", "jsonb"):
        await conn.set_type_codec(
            json_type,
            encoder=lambda v: _encode.encode(v).decode(),
            decoder=_decode.decode,
            schema="pg_catalog",
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's default `RESET ALL; UNLISTEN *; ...` round trip (a third of a
    short read's time). Safe because our code keeps no session state: advisory locks are
    transaction-scoped, nothing LISTENs or SETs. asyncpg still rolls back an open transaction."""


# The pool keeps PostgreSQL's default plan mode (`auto`): a statement (asyncpg prepares and caches
# each per connection) is planned for its parameters five times, then runs one cached generic plan
# when that is estimated no dearer. Reads and writes by key gain the planning: 75-100 us, half of
# a household read's database time (docs/performance.md).
#
# Scope lists are the exception. Their shape is `village_code LIKE $1 AND ($2 IS NULL OR id = $2)`
# plus optional filters; a generic plan cannot see the region prefix nor which filters are NULL,
# guesses one row and nests loops: 3-5x slower on a county's task and case lists
# (bench/applications.py) and 1.5x on the alert board (bench/alerts.py). Those reads run inside
# `custom_plans`, so PostgreSQL plans them for the caller's scope on every call.
CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"

# For a transaction of big set-based statements over a whole batch (a feed's matching and rules,
# the income rule over a province): hash joins and sorts of a million rows stay in memory instead
# of spilling to disk in batches (at the 4 MB default, matching 1,000,000 rows against 10,000,000
# persons split the hash in 64 batches), no JIT (it cost about 0.8 s a statement and saved
# nothing: bench/traffic_light.py), and plans for the statement's own parameters (planning is
# nothing beside a batch). Until the transaction ends.
BULK_TRANSACTION = f"SET LOCAL jit = off; SET LOCAL work_mem = '256MB'; {CUSTOM_PLANS}"


@asynccontextmanager
async def custom_plans(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """Statements inside are planned for their parameters on every call (scope lists, see above).
    Opens a transaction unless one is open (then the setting lasts until that one ends)."""
    if conn.is_in_transaction():
        await conn.execute(CUSTOM_PLANS)
        yield
        return
    async with conn.transaction():
        await conn.execute(CUSTOM_PLANS)
        yield


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        command_timeout=60,
    )


def rows_to(rows: list[asyncpg.Record], type_: Any) -> Any:
    """Convert rows into a list of Structs (`msgspec.convert` with attribute access)."""
    return msgspec.convert([dict(r) for r in rows], list[type_])


def row_to(row: asyncpg.Record | None, type_: Any) -> Any:
    return None if row is None else msgspec.convert(dict(row), type_)
