"""一户一策: the household's current helper (in the mini-program) or township / county staff keep
its typed measures; refusals are clear Chinese; the farmer sees their own helper and plan only."""

from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from backend.auth import Principal
from backend.pii import Pii, mask_phone
from schemas.base import Role
from tests.assistance.conftest import MEASURE, call, monitor, snapshot
from tests.factories import User, World, make_farmer, token_for

HELPER_APP = "/api/miniapp/helper"
FARMER_PLAN = "/api/miniapp/farmer/plan"


def measures_path(household_id: int, prefix: str = "/api") -> str:
    return f"{prefix}/households/{household_id}/plan/measures"


async def test_township_staff_add_list_and_move_a_measure_on(client: AsyncTestClient, world: World, pool: asyncpg.Pool) -> None:
    household = world.households["a1a"].id
    await monitor(pool, household)
    township = world.user(Role.township)
    response = await client.post(measures_path(household), json=MEASURE, headers=township.headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/households/{household}/plan"
    measure = response.json()
    assert (measure["type_name"], measure["status"], measure["status_name"]) == ("产业帮扶", "planned", "计划中")
    assert measure["amount_fen"] == 500_000 and measure["created_by"] == township.id

    started = await call(client, "PATCH", f"/api/plan-measures/{measure['id']}", township, {"status": "in_progress"})
    assert started["status_name"] == "实施中" and started["amount_fen"] == 500_000  # what was not sent stays
    done = await call(
        client, "PATCH", f"/api/plan-measures/{measure['id']}", world.user(Role.county),
        {"status": "done", "end_date": "2026-10-31", "amount_fen": 480_000},
    )
    assert (done["status"], done["end_date"], done["amount_fen"]) == ("done", "2026-10-31", 480_000)

    plan = await call(client, "GET", f"/api/households/{household}/plan", world.user(Role.village))
    assert [m["id"] for m in plan["measures"]] == [measure["id"]]
    assert plan["helper"]["user_id"] == world.user(Role.helper).id and plan["monitoring_status"] == "monitoring"
    audited = await pool.fetch("SELECT action FROM audit_log WHERE object_type = 'plan_measure' ORDER BY id")
    assert [a["action"] for a in audited] == ["plan_measure.create", "plan_measure.update", "plan_measure.update"]

    back = await call(client, "PATCH", f"/api/plan-measures/{measure['id']}", township, {"status": "in_progress"},
                      status=409)
    assert back["code"] == "measure_status_not_allowed" and "已完成" in back["message"]


async def test_bad_measures_are_refused_in_words_and_store_nothing(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool
) -> None:
    household = world.households["a1a"].id
    await monitor(pool, household)
    county = world.user(Role.county)
    path = measures_path(household)
    before = await snapshot(pool)
    backwards = await call(client, "POST", path, county, {**MEASURE, "end_date": "2026-02-01"}, status=422)
    assert backwards["code"] == "measure_dates_invalid"
    assert backwards["message"] == "结束日期（2026年02月01日）不能早于开始日期（2026年03月01日）"
    negative = await call(client, "POST", path, county, {**MEASURE, "amount_fen": -1}, status=400)
    assert negative["detail"] == [{"field": "amount_fen", "reason": "应不少于 0"}]
    unknown = await call(client, "POST", path, county, {**MEASURE, "measure_type": "lottery"}, status=400)
    assert unknown["detail"][0]["field"] == "measure_type" and "不是可选的值" in unknown["detail"][0]["reason"]
    not_monitored = world.households["a1b"].id
    refused = await call(client, "POST", measures_path(not_monitored), county, MEASURE, status=409)
    assert refused["code"] == "household_not_monitored"
    assert await snapshot(pool) == before

    measure = await call(client, "POST", path, county, MEASURE, status=201)
    before = await snapshot(pool)
    early = await call(client, "PATCH", f"/api/plan-measures/{measure['id']}", county, {"end_date": "2026-01-31"},
                       status=422)
    assert early["code"] == "measure_dates_invalid"
    assert await snapshot(pool) == before


async def test_only_the_households_own_helper_keeps_its_plan_in_the_mini_program(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, second_helper: User
) -> None:
    household = world.households["a1a"].id
    await monitor(pool, household, world.households["b1a"].id)
    helper = world.user(Role.helper)  # a1a's helper
    response = await client.post(measures_path(household, HELPER_APP), json=MEASURE, headers=helper.headers)
    assert response.status_code == 201, response.text
    measure = response.json()
    assert response.headers["location"] == f"{HELPER_APP}/households/{household}/plan"
    moved = await call(client, "PATCH", f"{HELPER_APP}/plan-measures/{measure['id']}", helper, {"status": "in_progress"})
    assert moved["status"] == "in_progress"

    before = await snapshot(pool)
    # Another helper of the same village reads the plan but may not change it.
    plan = await call(client, "GET", f"{HELPER_APP}/households/{household}/plan", second_helper)
    assert [m["id"] for m in plan["measures"]] == [measure["id"]]
    refused = await call(client, "POST", measures_path(household, HELPER_APP), second_helper, MEASURE, status=403)
    assert refused["code"] == "not_household_helper"
    refused = await call(client, "PATCH", f"{HELPER_APP}/plan-measures/{measure['id']}", second_helper,
                         {"status": "done"}, status=403)
    assert refused["code"] == "not_household_helper"
    # Outside the region the household and its measures do not exist.
    for user in (world.other_county[Role.helper], world.other_county[Role.township], world.other_county[Role.county]):
        prefix = HELPER_APP if user.role is Role.helper else "/api"
        assert (await call(client, "GET", f"{prefix}/households/{household}/plan", user, status=404))["code"] == (
            "household_not_found"
        )
        assert (await call(client, "POST", measures_path(household, prefix), user, MEASURE, status=404))["code"] == (
            "household_not_found"
        )
        assert (await call(client, "PATCH", f"{prefix}/plan-measures/{measure['id']}", user, {"status": "done"},
                           status=404))["code"] == "measure_not_found"
    # Roles that do not plan.
    for role in (Role.village, Role.grid_officer):
        assert (await call(client, "POST", measures_path(household), world.user(role), MEASURE, status=403))["code"] == (
            "forbidden"
        )
    assert (await call(client, "GET", f"/api/households/{household}/plan", world.user(Role.department),
                       status=403))["code"] == "forbidden"
    assert await snapshot(pool) == before


async def test_a_farmer_sees_their_own_helper_and_plan_only(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, pii: Pii
) -> None:
    a1a, a1b = world.households["a1a"], world.households["a1b"]
    await monitor(pool, a1a.id, a1b.id)
    helper = world.user(Role.helper)
    phone_path = f"/api/staff/users/{helper.id}/phone"
    refused = await call(client, "PUT", phone_path, world.user(Role.county), {"phone": "0771-1234567"}, status=422)
    assert refused["detail"] == [{"field": "phone", "reason": "手机号码应为11位数字"}]
    await call(client, "PUT", phone_path, world.other_county[Role.county], {"phone": "13907710009"}, status=404)
    account = await call(client, "PUT", phone_path, world.user(Role.county), {"phone": "139 0771 0001"})
    assert account["phone_masked"] == mask_phone("13907710001")
    stored = await pool.fetchval("SELECT phone_enc FROM users WHERE id = $1", helper.id)
    assert pii.decrypt(bytes(stored)) == "13907710001"  # encrypted at rest, like every phone
    await call(client, "POST", measures_path(a1a.id), world.user(Role.township), MEASURE, status=201)
    await call(client, "POST", measures_path(a1b.id), world.user(Role.township),
               {**MEASURE, "measure_type": "education", "owner_department": "县教育局"}, status=201)

    mine = await call(client, "GET", FARMER_PLAN, world.farmer)  # type: ignore[arg-type]
    assert mine["helper"] == {"display_name": "helper 测试", "phone": "13907710001"}
    assert [(m["household_id"], m["type_name"]) for m in mine["measures"]] == [(a1a.id, "产业帮扶")]

    async with pool.acquire() as conn:
        neighbour = await make_farmer(conn, world.settings, a1b)
    theirs = await call(client, "GET", FARMER_PLAN, neighbour)
    assert "helper" not in theirs  # a1b has no helper yet
    assert [(m["household_id"], m["type_name"]) for m in theirs["measures"]] == [(a1b.id, "教育资助")]
    # Staff routes are not the farmer's, whichever household is asked for.
    for household in (a1a.id, a1b.id):
        assert (await call(client, "GET", f"/api/households/{household}/plan", world.farmer, status=403))["code"] == (  # type: ignore[arg-type]
            "forbidden"
        )
    staff_view = await call(client, "GET", f"/api/households/{a1a.id}/plan", world.user(Role.county))
    assert staff_view["helper"]["phone_masked"] == "139****0001"  # staff see the masked phone only


async def test_a_farmer_not_yet_bound_to_a_household_sees_no_plan(client: AsyncTestClient, world: World, pool: asyncpg.Pool) -> None:
    user_id = await pool.fetchval("INSERT INTO users (role, openid) VALUES ('farmer', 'openid-unbound') RETURNING id")
    principal = Principal(user_id=user_id, role=Role.farmer)
    unbound = User(user_id, Role.farmer, principal, token_for(world.settings, principal))
    assert (await call(client, "GET", FARMER_PLAN, unbound, status=404))["code"] == "household_not_found"
