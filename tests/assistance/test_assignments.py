"""帮扶责任人: county or township staff assign a helper to a monitored household, against the plan
due date of its approval (10 official working days, across holidays); reassigning keeps the
history; the farmer is told; nobody outside the region can do or see it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from schemas.base import Role
from tests.applications.conftest import Flow
from tests.assistance.conftest import SHANGHAI, call, monitor, snapshot
from tests.factories import User, World

# Friday before National Day 2025: 9/28 (Sunday) and 10/11 (Saturday) are worked, 10/1–10/8 off.
BEFORE_NATIONAL_DAY = dt.datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)
DUE_AFTER_NATIONAL_DAY = dt.date(2025, 10, 16)
DEC_18_2026 = dt.datetime(2026, 12, 18, 10, 0, tzinfo=SHANGHAI)  # counts into 2027, not entered
APPROVAL = {"monitoring_type": "marginal", "risk_types": ["illness"]}


def assignments_path(household_id: int) -> str:
    return f"/api/households/{household_id}/helper-assignments"


async def approve_at(flow: Flow, clock: Any, moment: dt.datetime) -> int:
    """A self-reported case of household a1a walked to county approval at `moment`."""
    clock(moment - dt.timedelta(days=7))
    case_id = await flow.to_state("county_approval")
    clock(moment)
    approved = await flow.step(Role.county, case_id, "approve", APPROVAL)
    assert approved["state"] == "approved"
    return case_id


async def assign(client: AsyncTestClient, user: User, household_id: int, helper: User, **body: Any) -> Any:
    status = body.pop("status", 201)
    return await call(
        client, "POST", assignments_path(household_id), user, {"helper_user_id": helper.id, **body}, status=status
    )


async def test_an_assignment_on_the_due_date_counted_across_national_day_is_in_time(
    flow: Flow, clock: Any, second_helper: User
) -> None:
    case_id = await approve_at(flow, clock, BEFORE_NATIONAL_DAY)
    household = flow.world.households["a1a"].id
    assert await flow.pool.fetchval("SELECT plan_due_date FROM applications WHERE id = $1", case_id) == (
        DUE_AFTER_NATIONAL_DAY
    )
    clock(dt.datetime(2025, 10, 16, 17, 0, tzinfo=SHANGHAI))
    since = await flow.last_notification_id()
    made = await assign(flow.client, flow.user(Role.township), household, second_helper, note="熟悉该户情况")
    assert made["due_date"] == "2025-10-16" and "late" not in made  # false
    assert made["application_id"] == case_id and made["helper_name"] == "helper 测试"

    told = await flow.pool.fetch(
        "SELECT user_id, event, title, body FROM notifications WHERE id > $1", since
    )
    assert [(r["user_id"], r["event"]) for r in told] == [(flow.world.farmer.id, "helper_assigned")]  # type: ignore[union-attr]
    assert "helper 测试" in told[0]["body"]


async def test_an_assignment_after_the_due_date_is_late_and_a_reassignment_keeps_the_history(
    flow: Flow, clock: Any, second_helper: User
) -> None:
    await approve_at(flow, clock, BEFORE_NATIONAL_DAY)
    household = flow.world.households["a1a"].id
    county, helper = flow.user(Role.county), flow.user(Role.helper)
    await flow.pool.execute("UPDATE households SET helper_user_id = NULL WHERE id = $1", household)  # none yet
    clock(dt.datetime(2025, 10, 17, 9, 0, tzinfo=SHANGHAI))
    first = await assign(flow.client, county, household, second_helper)
    assert first["late"] is True and first["due_date"] == "2025-10-16"

    clock(dt.datetime(2025, 11, 3, 9, 0, tzinfo=SHANGHAI))
    second = await assign(flow.client, county, household, helper, note="原责任人调岗")
    assert "late" not in second  # the case was answered already; the lateness stays on the first

    history = await call(flow.client, "GET", assignments_path(household), flow.user(Role.village))
    assert [h["helper_user_id"] for h in history] == [helper.id, second_helper.id]
    assert "ended_at" not in history[0] and history[1]["ended_at"] == history[0]["assigned_at"]
    assert history[1]["late"] is True and history[0]["note"] == "原责任人调岗"
    assert await flow.pool.fetchval("SELECT helper_user_id FROM households WHERE id = $1", household) == helper.id
    audited = await flow.pool.fetch(
        "SELECT actor_user_id, detail FROM audit_log WHERE action = 'helper_assignment.create' ORDER BY id"
    )
    assert [(a["actor_user_id"], a["detail"]["helper_user_id"]) for a in audited] == [
        (county.id, second_helper.id), (county.id, helper.id)
    ]
    assert audited[1]["detail"]["previous_helper_user_id"] == second_helper.id
    titles = await flow.pool.fetch(
        "SELECT title FROM notifications WHERE event = 'helper_assigned' AND user_id = $1 ORDER BY id",
        flow.world.farmer.id,  # type: ignore[union-attr]
    )
    assert [t["title"] for t in titles] == ["已为您家指定帮扶责任人", "您家的帮扶责任人已更换"]


async def test_a_provisional_plan_due_date_is_answered_as_provisional(flow: Flow, clock: Any, second_helper: User) -> None:
    await approve_at(flow, clock, DEC_18_2026)
    made = await assign(flow.client, flow.user(Role.county), flow.world.households["a1a"].id, second_helper)
    assert (made["due_date"], made["due_provisional"]) == ("2027-01-04", True)
    assert "late" not in made


async def test_only_a_monitored_household_gets_a_helper(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, second_helper: User
) -> None:
    household = world.households["a1a"].id
    before = await snapshot(pool)
    refused = await assign(client, world.user(Role.county), household, second_helper, status=409)
    assert refused["code"] == "household_not_monitored" and "未纳入监测" in refused["message"]
    assert await snapshot(pool) == before


async def test_outside_the_region_or_the_role_nothing_changes(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, second_helper: User
) -> None:
    a1a, b1a = world.households["a1a"].id, world.households["b1a"].id
    await monitor(pool, a1a, b1a)
    before = await snapshot(pool)
    # Staff of county B do not even learn the household exists.
    for role in (Role.county, Role.township):
        other = world.other_county[role]
        assert (await assign(client, other, a1a, second_helper, status=404))["code"] == "household_not_found"
        assert (await call(client, "GET", assignments_path(a1a), other, status=404))["code"] == "household_not_found"
    for role in (Role.helper, Role.village, Role.grid_officer):
        assert (await assign(client, world.user(role), a1a, second_helper, status=403))["code"] == "forbidden"
    # A helper of county B may not be made the helper of a household in county A, nor a non-helper.
    for candidate in (world.other_county[Role.helper], world.user(Role.grid_officer)):
        refused = await assign(client, world.user(Role.county), a1a, candidate, status=422)
        assert refused["code"] == "helper_not_eligible"
    current = world.user(Role.helper)  # the world made them a1a's helper
    assert (await assign(client, world.user(Role.county), a1a, current, status=409))["code"] == "same_helper"
    assert await snapshot(pool) == before
