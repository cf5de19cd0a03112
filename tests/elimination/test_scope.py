"""Who may propose and decide a risk elimination: only the household's own helper proposes; staff
outside the household's region get 404 and nothing changes."""

from __future__ import annotations

import datetime as dt

import asyncpg

from schemas.base import Role
from tests.applications.conftest import Flow, SetNow
from tests.elimination.conftest import at, enrol, propose
from tests.factories import VILLAGE_A1A, make_staff_user


async def _counts(pool: asyncpg.Pool) -> tuple[int, int]:
    return (
        await pool.fetchval("SELECT count(*) FROM applications WHERE kind = 'risk_elimination'"),
        await pool.fetchval("SELECT count(*) FROM application_events"),
    )


async def test_only_the_households_own_helper_proposes(flow: Flow, clock: SetNow, pool: asyncpg.Pool) -> None:
    world = flow.world
    household = world.households["a1a"].id
    await enrol(flow, clock)
    clock(at(dt.date(2025, 12, 1)))
    async with pool.acquire() as conn:
        colleague = await make_staff_user(conn, world.settings, Role.helper, VILLAGE_A1A)
    before = await _counts(pool)

    not_theirs = await propose(flow, household, user=colleague, expect=403)
    assert not_theirs["code"] == "not_households_helper"
    grid = await propose(flow, household, user=world.user(Role.grid_officer), expect=403)
    assert grid["code"] == "role_may_not_act"
    elsewhere = await propose(flow, household, user=world.other_county[Role.helper], expect=404)
    assert elsewhere["code"] == "household_not_found"
    for role in (Role.village, Role.township, Role.county, Role.farmer):  # nobody else proposes
        refused = await propose(flow, household, user=flow.user(role), expect=403)
        assert refused["code"] == "role_may_not_act"
    assert await _counts(pool) == before


async def test_staff_outside_the_region_get_404_and_nothing_changes(
    flow: Flow, clock: SetNow, pool: asyncpg.Pool
) -> None:
    world = flow.world
    await enrol(flow, clock)
    clock(at(dt.date(2025, 12, 1)))
    case_id = (await propose(flow, world.households["a1a"].id))["id"]
    outside = world.other_county
    steps = [
        (outside[Role.village], "village-review", {"passed": True, "minutes": "外村"}),
        (outside[Role.township], "township-review", {}),
        (outside[Role.county], "approve-elimination", {"comment": "外县"}),
    ]
    before = await pool.fetchrow("SELECT state, version FROM applications WHERE id = $1", case_id)
    for user, path, body in steps:
        response = await flow.call("POST", user, f"/api/applications/{case_id}/{path}", body, expect=404)
        assert response.json()["code"] == "application_not_found"
    read = await flow.call("GET", outside[Role.helper], f"/api/miniapp/helper/applications/{case_id}", expect=404)
    assert read.json()["code"] == "application_not_found"
    # In scope but not its turn: the county cannot decide before the village and township.
    early = await flow.post(world.user(Role.county), f"/api/applications/{case_id}/approve-elimination", {}, expect=409)
    assert early["code"] == "action_not_allowed_in_state"
    assert await pool.fetchrow("SELECT state, version FROM applications WHERE id = $1", case_id) == before
    status = await pool.fetchval("SELECT monitoring_status FROM households WHERE id = $1", world.households["a1a"].id)
    assert status == "monitoring"


async def test_an_enrolment_cannot_be_approved_as_an_elimination(flow: Flow, clock: SetNow, pool: asyncpg.Pool) -> None:
    case_id = await flow.to_state("county_approval")
    refused = await flow.post(flow.world.user(Role.county), f"/api/applications/{case_id}/approve-elimination", {}, expect=403)
    assert refused["code"] == "role_may_not_act"
    assert await pool.fetchval("SELECT state FROM applications WHERE id = $1", case_id) == "county_approval"
