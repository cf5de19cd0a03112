"""The matrix's scene over the known world and market (built per test: the per-test clean empties it)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.pii import Pii
from backend.settings import Settings
from tests.factories import World
from tests.foundation.authz.scene import Scene, make_scene
from tests.orders.conftest import Market, market  # noqa: F401  (fixture)
from tests.photos.conftest import worker_ctx  # noqa: F401  (fixture)


@pytest.fixture
async def scene(
    pool: asyncpg.Pool,
    pii: Pii,
    settings: Settings,
    world: World,
    market: Market,  # noqa: F811
    client: AsyncTestClient,
    worker_ctx: dict[str, Any],  # noqa: F811
) -> Scene:
    made = await make_scene(pool, pii, settings, world, market)
    made.client, made.worker_ctx = client, worker_ctx
    return made
