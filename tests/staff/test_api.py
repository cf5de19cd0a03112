"""Staff accounts through HTTP against the real database: onboarding, scope, deactivation, resets."""

from __future__ import annotations

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.accounts.revocations import Revocations
from backend.auth import verify_access_token
from schemas.base import Role
from tests.factories import COUNTY_A, TOWNSHIP_A1, VILLAGE_A1A, VILLAGE_B1A, World

USERS = "/api/staff/users"
LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"


def helper_body(username: str = "liu.zhiqiang", region: str = VILLAGE_A1A, **extra: object) -> dict[str, object]:
    return {"username": username, "display_name": "刘志强", "role": "helper", "region_code": region, **extra}


async def create(client: AsyncTestClient, world: World, role: Role = Role.county, **body: object) -> dict:
    response = await client.post(USERS, json=helper_body(**body), headers=world.user(role).headers)  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    return response.json()


async def login(client: AsyncTestClient, username: str, password: str):
    return await client.post(LOGIN, json={"username": username, "password": password})


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def decode_issued_ms(world: World, tokens: dict) -> int:
    return verify_access_token(world.settings, tokens["access_token"])[1]


async def test_a_county_onboards_a_helper_who_must_choose_a_password_first(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool
) -> None:
    response = await client.post(USERS, json=helper_body(phone="13800001111"), headers=world.user(Role.county).headers)
    assert response.status_code == 201, response.text
    created = response.json()
    user, password = created["user"], created["initial_password"]
    assert response.headers["location"] == f"/api/staff/users/{user['id']}"
    assert (user["role"], user["region_code"], user["region_name"]) == ("helper", VILLAGE_A1A, "甲一村")
    assert user["must_change_password"] and user["active"] and user["phone_masked"] == "138****1111"
    assert user["created_by"] == world.user(Role.county).id
    audit = await pool.fetchrow("SELECT actor_user_id, detail FROM audit_log WHERE action = 'staff.user_created'")
    assert audit["actor_user_id"] == world.user(Role.county).id and audit["detail"]["role"] == "helper"
    assert password not in str(await pool.fetch("SELECT * FROM audit_log"))

    tokens = (await login(client, "liu.zhiqiang", password)).json()
    assert tokens["must_change_password"] is True
    refused = await client.get("/api/households", headers=bearer(tokens))
    assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"
    me = await client.get("/api/auth/me", headers=bearer(tokens))
    assert me.status_code == 200 and me.json()["must_change_password"] is True

    change = "/api/auth/password"
    wrong = await client.post(change, json={"current_password": "nope", "new_password": "Shanshui-2024"}, headers=bearer(tokens))
    assert wrong.status_code == 422 and wrong.json()["code"] == "current_password_wrong"
    weak = await client.post(change, json={"current_password": password, "new_password": "onlyletters"}, headers=bearer(tokens))
    assert weak.status_code == 422 and weak.json()["detail"] == [{"field": "new_password", "reason": "密码须同时包含字母和数字"}]
    changed = await client.post(change, json={"current_password": password, "new_password": "Shanshui-2024"}, headers=bearer(tokens))
    assert changed.status_code == 200, changed.text
    fresh = changed.json()
    assert "must_change_password" not in fresh
    assert (await client.get("/api/households", headers=bearer(fresh))).status_code == 200
    old_session = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert old_session.status_code == 401
    assert (await client.get("/api/auth/me", headers=bearer(tokens))).json()["code"] == "token_revoked"
    assert (await login(client, "liu.zhiqiang", password)).status_code == 401
    assert (await login(client, "liu.zhiqiang", "Shanshui-2024")).json().get("must_change_password") is None


async def test_a_given_password_must_meet_the_policy_and_is_not_echoed(client: AsyncTestClient, world: World) -> None:
    weak = await client.post(USERS, json=helper_body(password="liu.zhiqiang1"), headers=world.user(Role.county).headers)
    assert weak.status_code == 422 and weak.json()["detail"] == [{"field": "password", "reason": "密码不能包含用户名"}]
    created = await create(client, world, password="Shanshui-2024")
    assert "initial_password" not in created and created["user"]["must_change_password"]


async def test_a_taken_username_is_409_in_chinese_and_nothing_is_written(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool
) -> None:
    taken = await pool.fetchval("SELECT username FROM users WHERE id = $1", world.other_county[Role.helper].id)
    before = await pool.fetchval("SELECT count(*) FROM users")
    response = await client.post(USERS, json=helper_body(taken), headers=world.user(Role.county).headers)
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken" and taken in response.json()["message"]
    assert await pool.fetchval("SELECT count(*) FROM users") == before
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE action LIKE 'staff.%'") == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (helper_body(region=VILLAGE_B1A), "region_out_of_scope"),
        ({**helper_body(), "role": "county", "region_code": COUNTY_A}, "role_not_assignable"),
        ({**helper_body(), "role": "department", "region_code": COUNTY_A, "department_feeds": ["medical"]}, "role_not_assignable"),
        ({**helper_body(), "role": "admin"}, "role_not_assignable"),
        ({**helper_body(), "role": "farmer"}, "role_not_assignable"),
    ],
)
async def test_a_county_cannot_make_accounts_outside_its_county_or_rank(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, body: dict, code: str
) -> None:
    response = await client.post(USERS, json=body, headers=world.user(Role.county).headers)
    assert response.status_code == 403 and response.json()["code"] == code
    assert await pool.fetchval("SELECT count(*) FROM users WHERE username = 'liu.zhiqiang'") == 0


async def test_the_region_must_fit_the_role(client: AsyncTestClient, world: World) -> None:
    response = await client.post(
        USERS, json={**helper_body(), "role": "grid_officer", "region_code": TOWNSHIP_A1}, headers=world.user(Role.county).headers
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "region_code", "reason": "该角色的地区应为村级区划，填写的是乡镇级"}]


@pytest.mark.parametrize("role", [Role.township, Role.village, Role.helper, Role.grid_officer, Role.department])
async def test_only_admins_and_counties_manage_accounts(client: AsyncTestClient, world: World, role: Role) -> None:
    headers = world.user(role).headers
    assert (await client.post(USERS, json=helper_body(), headers=headers)).status_code == 403
    assert (await client.get(USERS, headers=headers)).status_code == 403
    target = world.user(Role.helper).id
    for path in (f"{USERS}/{target}", f"{USERS}/{target}/deactivate", f"{USERS}/{target}/password-reset"):
        call = client.get if path.endswith(str(target)) else client.post
        assert (await call(path, headers=headers)).status_code == 403


async def test_union_staff_cannot_manage_accounts(client: AsyncTestClient, world: World, pool: asyncpg.Pool) -> None:
    from backend.auth import Principal, issue_access_token

    union_id = await pool.fetchval("INSERT INTO unions (name, region_code) VALUES ('测试工会', $1) RETURNING id", COUNTY_A)
    user_id = await pool.fetchval(
        "INSERT INTO users (role, username, union_id) VALUES ('union_approver', 'u-1', $1) RETURNING id", union_id
    )
    token = issue_access_token(world.settings, Principal(user_id=user_id, role=Role.union_approver, union_id=union_id))
    response = await client.post(USERS, json=helper_body(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


async def test_a_county_sees_and_touches_only_its_own_countys_staff_below_it(client: AsyncTestClient, world: World) -> None:
    headers = world.user(Role.county).headers
    page = (await client.get(USERS, headers=headers)).json()
    seen = {u["id"] for u in page["items"]}
    mine = {world.user(r).id for r in (Role.helper, Role.grid_officer, Role.village, Role.township)}
    assert seen == mine and page["meta"]["total"] == 4
    hidden = [world.other_county[Role.helper].id, world.other_county[Role.township].id, world.user(Role.department).id]
    hidden.append(world.other_county[Role.county].id)
    for user_id in hidden:
        for response in (
            await client.get(f"{USERS}/{user_id}", headers=headers),
            await client.post(f"{USERS}/{user_id}/deactivate", headers=headers),
            await client.post(f"{USERS}/{user_id}/reactivate", headers=headers),
            await client.post(f"{USERS}/{user_id}/password-reset", headers=headers),
        ):
            assert response.status_code == 404 and response.json()["code"] == "staff_user_not_found"
    everyone = (await client.get(USERS, params={"page_size": 200}, headers=world.user(Role.admin).headers)).json()
    assert everyone["meta"]["total"] == len(world.users) + len(world.other_county)


async def test_search_filters_by_text_role_region_and_state(client: AsyncTestClient, world: World) -> None:
    await create(client, world)
    headers = world.user(Role.county).headers
    found = (await client.get(USERS, params={"q": "刘志"}, headers=headers)).json()["items"]
    assert [u["username"] for u in found] == ["liu.zhiqiang"]
    by_role = (await client.get(USERS, params={"role": "township"}, headers=headers)).json()["items"]
    assert [u["id"] for u in by_role] == [world.user(Role.township).id]
    in_b = (await client.get(USERS, params={"region_code": VILLAGE_B1A}, headers=headers)).json()
    assert in_b["items"] == [] and in_b["meta"]["total"] == 0
    percent = (await client.get(USERS, params={"q": "%"}, headers=headers)).json()
    assert percent["meta"]["total"] == 0
    inactive = (await client.get(USERS, params={"active": "false"}, headers=headers)).json()
    assert inactive["meta"]["total"] == 0


async def test_deactivation_stops_log_in_and_refresh_and_reactivation_restores_it(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool
) -> None:
    created = await create(client, world, password="Shanshui-2024")
    user_id = created["user"]["id"]
    await pool.execute("UPDATE users SET must_change_password = false WHERE id = $1", user_id)
    tokens = (await login(client, "liu.zhiqiang", "Shanshui-2024")).json()
    headers = world.user(Role.county).headers

    assert (await client.get("/api/households", headers=bearer(tokens))).status_code == 200
    another_process = Revocations(world.settings.access_token_ttl_s)
    await another_process.refresh_if_stale(pool)

    off = await client.post(f"{USERS}/{user_id}/deactivate", headers=headers)
    assert off.status_code == 200 and off.json()["active"] is False and off.json()["deactivated_at"]
    still_valid_token = await client.get("/api/households", headers=bearer(tokens))
    assert still_valid_token.status_code == 401 and still_valid_token.json()["code"] == "token_revoked"
    refresh = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401
    assert (await login(client, "liu.zhiqiang", "Shanshui-2024")).status_code == 401
    another_process.expire()  # as REVOCATIONS_REFRESH_S passing would
    await another_process.refresh_if_stale(pool)
    assert another_process.refuses(user_id, decode_issued_ms(world, tokens))

    on = await client.post(f"{USERS}/{user_id}/reactivate", headers=headers)
    assert on.status_code == 200 and on.json()["active"] is True and "deactivated_at" not in on.json()
    assert (await client.get("/api/households", headers=bearer(tokens))).status_code == 401
    fresh = await login(client, "liu.zhiqiang", "Shanshui-2024")
    assert fresh.status_code == 200
    assert (await client.get("/api/households", headers=bearer(fresh.json()))).status_code == 200
    actions = await pool.fetch("SELECT action FROM audit_log WHERE object_id = $1 AND action LIKE 'staff.%' ORDER BY id", str(user_id))
    assert [a["action"] for a in actions] == ["staff.user_created", "staff.user_deactivated", "staff.user_reactivated"]


async def test_a_reset_hands_out_a_new_one_time_password_and_ends_sessions(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool
) -> None:
    user_id = (await create(client, world, password="Shanshui-2024"))["user"]["id"]
    await pool.execute("UPDATE users SET must_change_password = false WHERE id = $1", user_id)
    tokens = (await login(client, "liu.zhiqiang", "Shanshui-2024")).json()
    await pool.execute("UPDATE users SET locked_until = now() + interval '1 hour' WHERE id = $1", user_id)  # locked out

    reset = await client.post(f"{USERS}/{user_id}/password-reset", headers=world.user(Role.county).headers)
    assert reset.status_code == 200
    password = reset.json()["initial_password"]
    assert (await client.get("/api/auth/me", headers=bearer(tokens))).status_code == 401
    assert (await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})).status_code == 401
    assert (await login(client, "liu.zhiqiang", "Shanshui-2024")).status_code == 401
    again = await login(client, "liu.zhiqiang", password)
    assert again.status_code == 200 and again.json()["must_change_password"] is True
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'staff.password_reset'") == 1


async def test_nobody_deactivates_or_resets_their_own_account(client: AsyncTestClient, world: World) -> None:
    admin = world.user(Role.admin)
    for action in ("deactivate", "password-reset"):
        response = await client.post(f"{USERS}/{admin.id}/{action}", headers=admin.headers)
        assert response.status_code == 403 and response.json()["code"] == "own_account"


async def test_admin_makes_department_union_and_county_accounts(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool
) -> None:
    headers = world.user(Role.admin).headers
    union_id = await pool.fetchval("INSERT INTO unions (name, region_code) VALUES ('测试工会', $1) RETURNING id", COUNTY_A)
    department = await client.post(
        USERS,
        json={"username": "shimen-yibao", "display_name": "石门县医疗保障局", "role": "department",
              "region_code": COUNTY_A, "department_feeds": ["medical"]},
        headers=headers,
    )
    assert department.status_code == 201, department.text
    assert department.json()["user"]["department_feeds"] == ["medical"]
    buyer = await client.post(
        USERS, json={"username": "buyer-9", "display_name": "采购员", "role": "union_buyer", "union_id": union_id}, headers=headers
    )
    assert buyer.status_code == 201 and buyer.json()["user"]["union_id"] == union_id
    county = await client.post(
        USERS, json={"username": "county-9", "display_name": "乙县", "role": "county", "region_code": "450103000000"}, headers=headers
    )
    assert county.status_code == 201
    bad_feed = await client.post(USERS, json={**helper_body("x-1"), "department_feeds": ["taxes"]}, headers=headers)
    assert bad_feed.status_code == 400
