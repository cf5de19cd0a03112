"""The pool plans statements PostgreSQL's default way (cached generic plans after five calls); a
scope list inside `custom_plans` is planned for its own parameters on every call (backend/db.py)."""

import asyncpg

from backend.db import custom_plans


async def _mode(conn: asyncpg.Connection) -> str:
    return await conn.fetchval("SELECT current_setting('plan_cache_mode')")


async def test_the_pool_uses_generic_plans_and_custom_plans_only_inside_the_block(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        assert await _mode(conn) == "auto"
        async with custom_plans(conn):
            assert await _mode(conn) == "force_custom_plan"
        assert await _mode(conn) == "auto"
        assert not conn.is_in_transaction()


async def test_inside_an_open_transaction_custom_plans_last_until_it_ends(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        async with conn.transaction():
            async with custom_plans(conn):
                assert await _mode(conn) == "force_custom_plan"
            assert conn.is_in_transaction()
        assert await _mode(conn) == "auto"


async def test_a_failed_list_leaves_the_connection_on_generic_plans(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        try:
            async with custom_plans(conn):
                await conn.fetch("SELECT 1 / 0")
        except asyncpg.DivisionByZeroError:
            pass
        assert await _mode(conn) == "auto"
        assert not conn.is_in_transaction()
