"""asyncpg pool set-up. Services take a connection first and own their transactions."""

from __future__ import annotations

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


# Every scoped query has the shape `village_code LIKE $1 AND ($2 IS NULL OR id = $2)` plus
# optional filters. After five runs PostgreSQL switches a prepared statement to a generic plan,
# which cannot see the region prefix nor which filters are NULL, guesses one row and nests loops:
# 3-4x slower on a county's case list (bench/applications.py). Planning per call costs far less.
# For a transaction of big set-based statements over a whole batch (a feed's matching and rules,
# the income rule over a province): hash joins and sorts of a million rows stay in memory instead
# of spilling to disk in batches (at the 4 MB default, matching 1,000,000 rows against 10,000,000
# persons split the hash in 64 batches), and no JIT (it cost about 0.8 s a statement and saved
# nothing: bench/traffic_light.py). Until the transaction ends.
BULK_TRANSACTION = "SET LOCAL jit = off; SET LOCAL work_mem = '256MB'"

SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan"}


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        command_timeout=60,
        server_settings=SERVER_SETTINGS,
    )


def rows_to(rows: list[asyncpg.Record], type_: Any) -> Any:
    """Convert rows into a list of Structs (`msgspec.convert` with attribute access)."""
    return msgspec.convert([dict(r) for r in rows], list[type_])


def row_to(row: asyncpg.Record | None, type_: Any) -> Any:
    return None if row is None else msgspec.convert(dict(row), type_)
