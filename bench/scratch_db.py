"""A scratch database for one benchmark run: created, migrated by the caller, dropped at the end
whatever happens (the benches seed hundreds of thousands of rows and must not leave them)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg


@asynccontextmanager
async def scratch_database(admin_dsn: str, name: str) -> AsyncIterator[str]:
    """Yields the DSN of a new, empty database `fangpin_bench_<name>_<random>` on the server."""
    database = f"fangpin_bench_{name}_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        yield urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{database}"))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
