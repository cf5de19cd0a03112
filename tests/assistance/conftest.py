"""Assistance tests: the known world's households made monitored (or walked through the workflow
to a county approval at a chosen instant with tests/applications' `flow` and `clock`), a second
helper in the same village, and the calls each role's screen makes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from schemas.base import Role
from tests.applications.conftest import clock, flow  # noqa: F401  (the shared fixtures)
from tests.factories import VILLAGE_A1A, User, World, make_staff_user

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MEASURE = {
    "measure_type": "industry",
    "owner_department": "县农业农村局",
    "start_date": "2026-03-01",
    "end_date": "2026-12-31",
    "amount_fen": 500_000,
    "description": "发放鸡苗200只，技术员上门指导。",
}


async def call(
    client: AsyncTestClient, method: str, path: str, user: User, body: Any = None, *, status: int = 200
) -> Any:
    response = await client.request(method, path, json=body, headers=user.headers)
    assert response.status_code == status, response.text
    return response.json() if response.headers.get("content-type", "").startswith("application/json") else response


async def monitor(pool: asyncpg.Pool, *household_ids: int) -> None:
    """Stands in for a county approval: the households are monitored (监测中)."""
    await pool.execute(
        "UPDATE households SET monitoring_status = 'monitoring', monitoring_type = 'marginal' WHERE id = ANY($1)",
        list(household_ids),
    )


async def snapshot(pool: asyncpg.Pool) -> tuple[Any, ...]:
    """What an assistance write changes, to prove a refused one changed nothing."""
    return (
        await pool.fetchval("SELECT count(*) FROM helper_assignments"),
        await pool.fetchval("SELECT count(*) FROM plan_measures"),
        tuple(await pool.fetch("SELECT id, helper_user_id FROM households ORDER BY id")),
        tuple(await pool.fetch("SELECT id, status, amount_fen, end_date FROM plan_measures ORDER BY id")),
        await pool.fetchval("SELECT count(*) FROM notifications"),
        await pool.fetchval("SELECT count(*) FROM audit_log"),
    )


@pytest.fixture
async def second_helper(pool: asyncpg.Pool, world: World) -> User:
    """Another helper of village A1a (not the household's)."""
    async with pool.acquire() as conn:
        return await make_staff_user(conn, world.settings, Role.helper, VILLAGE_A1A)
