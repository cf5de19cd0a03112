"""Rate limits (backend/ratelimit): per account and per address, 429 with Retry-After and a Chinese
message; without Redis, log-in is refused and a farmer's application still goes through."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.ratelimit.rules import Action, LimitSetting
from backend.settings import Settings
from tests.accounts.conftest import Staff, password_hash, staff  # noqa: F401  (fixtures)
from tests.applications.conftest import SELF_REPORT
from tests.contract import ResponseRecorder
from tests.factories import World

LOGIN = "/api/auth/login"
SUBMIT = "/api/miniapp/farmer/applications"
LIMITS = (
    LimitSetting(action=Action.staff_login, per_account=3, per_address=6, window_s=120),
    LimitSetting(action=Action.application_submit, per_account=1, per_address=100, window_s=120),
)

Client = Callable[..., Any]


@asynccontextmanager
async def app_client(settings: Settings, **changes: Any) -> AsyncIterator[AsyncTestClient]:
    """The app with limits on, its own Redis keys (nothing counted by another test), and its
    answers checked against the OpenAPI document like every other client's."""
    prefix = f"{settings.redis_prefix}rl-{secrets.token_hex(3)}:"
    changed = msgspec.structs.replace(
        settings, rate_limits_enabled=True, rate_limits=LIMITS, redis_prefix=prefix, **changes
    )
    app = create_app(changed, configure_logs=False)
    recorder = ResponseRecorder(app)
    async with AsyncTestClient(app=app) as client:
        yield client
    assert not recorder.undocumented(), recorder.undocumented()


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    async with app_client(settings) as client:
        yield client


async def test_staff_login_is_limited_per_username_and_per_address(
    limited: AsyncTestClient, staff: Staff
) -> None:
    for _ in range(3):
        wrong = await limited.post(LOGIN, json={"username": staff.username, "password": "wrong-password"})
        assert wrong.status_code == 401
    refused = await limited.post(LOGIN, json={"username": staff.username, "password": "wrong-password"})
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert "操作太频繁" in body["message"] and "分钟后再试" in body["message"]
    assert 60 <= int(refused.headers["retry-after"]) <= 120
    # Even the right password waits: the limit is on trying, not on failing.
    right = await limited.post(LOGIN, json={"username": staff.username, "password": staff.password})
    assert right.status_code == 429

    # Another username from the same address: allowed until the address has tried 6 times
    # (refused tries count too).
    other = await limited.post(LOGIN, json={"username": "nobody-here", "password": "x" * 12})
    assert other.status_code == 401
    from_address = await limited.post(LOGIN, json={"username": "nobody-else", "password": "x" * 12})
    assert from_address.status_code == 429


async def test_a_farmer_submits_within_the_limit_and_is_told_when_to_retry(
    limited: AsyncTestClient, world: World
) -> None:
    farmer = world.farmer
    assert farmer is not None
    once = {**farmer.headers, "Idempotency-Key": "key-0001"}
    first = await limited.post(SUBMIT, json=SELF_REPORT, headers=once)
    assert first.status_code == 201, first.text
    again = {**farmer.headers, "Idempotency-Key": "key-0002"}
    second = await limited.post(SUBMIT, json=SELF_REPORT, headers=again)
    assert second.status_code == 429 and second.json()["code"] == "rate_limited"
    assert int(second.headers["retry-after"]) > 0


async def test_without_redis_log_in_is_refused_and_an_application_still_goes_through(
    settings: Settings, world: World, staff: Staff
) -> None:
    async with app_client(settings, redis_url="redis://127.0.0.1:1/0") as client:
        login = await client.post(LOGIN, json={"username": staff.username, "password": staff.password})
        assert login.status_code == 503 and login.json()["code"] == "rate_limiter_unavailable"
        assert "retry-after" in login.headers
        farmer = world.farmer
        assert farmer is not None
        submitted = await client.post(SUBMIT, json=SELF_REPORT,
                                      headers={**farmer.headers, "Idempotency-Key": "no-redis-key-01"})
        assert submitted.status_code == 201, submitted.text
