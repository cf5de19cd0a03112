"""The known world with household a1a placed on the map (its helper is the world's helper), and
the calls the helper's and the reviewers' screens make. Photos are real JPEGs with EXIF, made and
processed as in tests/photos."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.factories import User, World
from tests.photos.conftest import GPS_NANNING, empty_photo_storage, process, worker_ctx  # noqa: F401  (fixtures)

HOME = GPS_NANNING  # household a1a's recorded place
OK = {"ok": True}


def checklist(**problems: str) -> dict[str, Any]:
    """Every item ok but those named, which are problems with that note."""
    items = ("food", "clothing", "education", "medical", "housing", "drinking_water")
    return {item: ({"ok": False, "note": problems[item]} if item in problems else OK) for item in items}


def visit_body(household_id: int, visited_at: dt.datetime | None = None, **fields: Any) -> dict[str, Any]:
    at = visited_at or dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    return {"household_id": household_id, "visited_at": at.isoformat(), "checklist": checklist(), **fields}


async def call(
    client: AsyncTestClient, method: str, path: str, user: User, body: Any = None, *, status: int = 200, **params: Any
) -> Any:
    response = await client.request(method, path, json=body, params=params or None, headers=user.headers)
    assert response.status_code == status, response.text
    return response.json()


async def record(client: AsyncTestClient, user: User, body: dict[str, Any], *, status: int = 201) -> dict[str, Any]:
    return await call(client, "POST", "/api/miniapp/helper/visits", user, body, status=status)


async def attach(client: AsyncTestClient, user: User, visit_id: int, photo: bytes) -> dict[str, Any]:
    response = await client.post(
        f"/api/visits/{visit_id}/photos", headers=user.headers,
        files={"file": ("photo.jpg", photo, "application/octet-stream")},
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def flags_of(visit: dict[str, Any]) -> set[str]:
    return {f["flag"] for f in visit.get("flags", [])}


async def count(pool: asyncpg.Pool, table: str) -> int:
    return await pool.fetchval(f"SELECT count(*) FROM {table}")


@pytest.fixture
async def placed(world: World, pool: asyncpg.Pool) -> World:
    """Household a1a has a recorded place (HOME) and is monitored."""
    await pool.execute(
        "UPDATE households SET latitude = $2, longitude = $3, monitoring_status = 'monitoring', "
        "monitoring_type = 'unstable' WHERE id = $1",
        world.households["a1a"].id, *HOME,
    )
    return world
