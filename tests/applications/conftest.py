"""Driving cases through HTTP the way each role's screen does, plus a second household in the
farmer's village (a neighbour who may object during public notice), at a fixed "now"."""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend import auth
from backend.applications import routes as application_routes
from backend.calendar.rules import local_date
from backend.pii import Pii
from schemas.base import Role
from tests.factories import VILLAGE_A1A, HouseholdRef, User, World, make_farmer, make_household

_keys = itertools.count(1)

SELF_REPORT = {
    "risk_types": ["illness", "income_drop"],
    "narrative": "丈夫今年三月查出尿毒症，每周透析三次，家里没有了收入。",
    "declared_income_fen": 1_200_000,
    "declared_rigid_expense_fen": 4_800_000,
}
VERIFICATION = {
    "findings": "情况属实：户主透析，配偶在家照顾，无务工收入。",
    "income_fen": 1_100_000,
    "rigid_expense_fen": 5_000_000,
    "latitude": 22.82,
    "longitude": 108.32,
}


# The instant workflow tests run at. A county approval counts 10 official working days ahead, and
# chinesecalendar knows holidays only up to its release (2026 for 1.11): from mid-December a real
# "now" would count into a year nobody entered, on the provisional calendar. A Wednesday morning
# inside the library's years keeps the tests about the workflow, not the date; tests/calendar moves
# the clock on purpose to cross into a provisional or an entered year.
WORKFLOW_NOW = dt.datetime(2025, 11, 12, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

SetNow = Callable[[dt.datetime], None]


def _modules_reading_the_clock() -> list[ModuleType]:
    """Every loaded app module that took `utcnow` from backend.auth (routes hand it to services)."""
    return [
        module
        for name, module in list(sys.modules.items())
        if name.partition(".")[0] in {"backend", "miniapp_api", "workers"}
        and getattr(module, "utcnow", None) is auth.utcnow
    ]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SetNow:
    """The app's "now" is WORKFLOW_NOW for this test; returns a setter to move it."""
    modules = _modules_reading_the_clock()

    def set_now(moment: dt.datetime) -> None:
        utc = moment.astimezone(dt.UTC)  # as backend.auth.utcnow gives it
        for module in modules:
            monkeypatch.setattr(module, "utcnow", lambda: utc)

    set_now(WORKFLOW_NOW)
    return set_now


def now() -> dt.datetime:
    """The instant the routes take as now (the `clock` fixture's while a test runs)."""
    return application_routes.utcnow()


def today() -> dt.date:
    return local_date(now())


@dataclass
class Flow:
    client: AsyncTestClient
    world: World
    pool: asyncpg.Pool
    neighbour: User  # a farmer in the same village as world.farmer, another household
    neighbour_household: HouseholdRef

    def user(self, role: Role) -> User:
        return self.world.farmer if role is Role.farmer else self.world.user(role)  # type: ignore[return-value]

    async def call(
        self,
        method: str,
        user: User,
        path: str,
        json: Any = None,
        *,
        expect: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = await self.client.request(
            method, path, json=json, headers={**user.headers, **(headers or {})}
        )
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    async def post(self, user: User, path: str, json: Any = None, expect: int | None = None) -> dict[str, Any]:
        """A creation (a case, an objection) answers 201, a step 200 (docs/api.md)."""
        expect = expect or (201 if path.endswith(("/applications", "/objections")) else 200)
        return (await self.call("POST", user, path, json if json is not None else {}, expect=expect)).json()

    async def submit(
        self, body: dict[str, Any] | None = None, key: str | None = None, expect: int = 201
    ) -> dict[str, Any]:
        response = await self.call(
            "POST",
            self.world.farmer,  # type: ignore[arg-type]
            "/api/miniapp/farmer/applications",
            body or SELF_REPORT,
            headers={"Idempotency-Key": key or f"submit-key-{next(_keys):06d}"},
            expect=expect,
        )
        return response.json()

    async def step(
        self, role: Role, case_id: int, path: str, json: Any = None, expect: int | None = None
    ) -> dict[str, Any]:
        return await self.post(self.user(role), f"/api/applications/{case_id}/{path}", json, expect)

    async def backdate_notice(self, case_id: int, days_ago: int = 1) -> None:
        """Stand in for waiting: the notice ran from 6 days before its end, which was `days_ago`."""
        end = today() - dt.timedelta(days=days_ago)
        await self.pool.execute(
            "UPDATE applications SET notice_start = $2, notice_end = $3 WHERE id = $1",
            case_id,
            end - dt.timedelta(days=6),
            end,
        )

    async def to_state(self, state: str) -> int:
        """A self-reported case walked through HTTP up to `state`."""
        case_id = (await self.submit())["id"]
        order = [
            ("village_review", Role.helper, "verify", VERIFICATION),
            (
                "awaiting_notice",
                Role.village,
                "village-review",
                {"passed": True, "minutes": "到会23人，全票同意。"},
            ),
            (
                "in_notice",
                Role.village,
                "notice",
                {"start_date": str(today()), "end_date": str(today() + dt.timedelta(days=5))},
            ),
            ("township_review", Role.village, "end-notice", {}),
            ("county_approval", Role.township, "township-review", {"comment": "材料齐全"}),
        ]
        for reached, role, path, body in order:
            if state == "verification":
                break
            if path == "end-notice":
                await self.backdate_notice(case_id)
            await self.step(role, case_id, path, body)
            if state == reached:
                break
        return case_id

    async def notifications(self, since_id: int = 0) -> list[tuple[int, str]]:
        rows = await self.pool.fetch(
            "SELECT user_id, event FROM notifications WHERE id > $1 ORDER BY user_id, event", since_id
        )
        return [(r["user_id"], r["event"]) for r in rows]

    async def last_notification_id(self) -> int:
        return await self.pool.fetchval("SELECT coalesce(max(id), 0) FROM notifications")


@pytest.fixture
async def flow(client: AsyncTestClient, world: World, pool: asyncpg.Pool, pii: Pii, clock: SetNow) -> Flow:
    async with pool.acquire() as conn:
        household = await make_household(conn, pii, VILLAGE_A1A)
        neighbour = await make_farmer(conn, world.settings, household)
    return Flow(client, world, pool, neighbour, household)
