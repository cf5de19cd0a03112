"""Log-in, tokens and binding through HTTP, with real PostgreSQL, Redis and the WeChat fake."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.accounts import rules
from backend.auth import Principal, decode_access_token, issue_access_token
from backend.pii import Pii, mask_phone
from backend.registry import errors as registry_errors
from backend.registry import service as registry
from backend.settings import Settings
from backend.wechat import client as wx
from backend.wechat.fake import FakeControl
from schemas.base import Role
from tests.accounts.conftest import Staff, bearer, farmer_login, head_phone, new_code
from tests.factories import TOWNSHIP_A1, World, make_household, make_id_number

LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
BIND = "/api/miniapp/auth/bind"


async def login(client: AsyncTestClient, username: str, password: str):
    return await client.post(LOGIN, json={"username": username, "password": password})


# --- staff log-in and lockout ---------------------------------------------------------------


async def test_staff_login_gives_tokens_carrying_the_users_scope(
    client: AsyncTestClient, staff: Staff, settings: Settings, pool: asyncpg.Pool
) -> None:
    response = await login(client, staff.username, staff.password)
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["role"] == "township" and tokens["expires_in"] == settings.access_token_ttl_s
    principal = decode_access_token(settings, tokens["access_token"])
    assert principal == Principal(user_id=staff.id, role=Role.township, region_code=TOWNSHIP_A1)

    me = await client.get("/api/auth/me", headers=bearer(tokens))
    assert me.status_code == 200
    assert me.json() == {
        "user_id": staff.id,
        "role": "township",
        "display_name": "township 测试",
        "region_code": TOWNSHIP_A1,
        "region_name": "甲一镇",
    }
    actions = await pool.fetch("SELECT action, object_id FROM audit_log WHERE actor_user_id = $1", staff.id)
    assert [(a["action"], a["object_id"]) for a in actions] == [("auth.login", str(staff.id))]


async def test_union_and_supplier_tokens_carry_their_organisation(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, password_hash: str, settings: Settings
) -> None:
    union_id = await pool.fetchval(
        "INSERT INTO unions (name, region_code) VALUES ('测试工会', $1) RETURNING id", TOWNSHIP_A1
    )
    supplier_id = await pool.fetchval(
        "INSERT INTO suppliers (name, credit_code, county_code) VALUES ('合作社', '91450102MA5KXXXX1X', '450102000000') "
        "RETURNING id"
    )
    await pool.execute(
        "INSERT INTO users (role, username, password_hash, union_id, supplier_id) VALUES "
        "('union_buyer', 'buyer-1', $1, $2, NULL), ('supplier', 'supplier-1', $1, NULL, $3)",
        password_hash,
        union_id,
        supplier_id,
    )
    buyer = decode_access_token(
        settings, (await login(client, "buyer-1", "Zhengque-mima-2024")).json()["access_token"]
    )
    seller = decode_access_token(
        settings, (await login(client, "supplier-1", "Zhengque-mima-2024")).json()["access_token"]
    )
    assert (buyer.role, buyer.union_id, buyer.supplier_id) == (Role.union_buyer, union_id, None)
    assert (seller.role, seller.supplier_id, seller.union_id) == (Role.supplier, supplier_id, None)


async def test_wrong_password_and_unknown_user_look_the_same(
    client: AsyncTestClient, staff: Staff, pool: asyncpg.Pool
) -> None:
    wrong = await login(client, staff.username, "not-the-password")
    unknown = await login(client, "nobody-by-this-name", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"
    assert wrong.json()["message"] == unknown.json()["message"] == "用户名或密码错误"
    failed = await pool.fetch(
        "SELECT object_type FROM audit_log WHERE action = 'auth.login_failed' ORDER BY id"
    )
    assert [f["object_type"] for f in failed] == ["user", "username"]


async def test_failed_login_with_unknown_username_keeps_not_what_was_typed(
    client: AsyncTestClient, pool: asyncpg.Pool
) -> None:
    typed = "Mima-typed-in-the-wrong-box-2024"
    assert (await login(client, typed, "")).status_code in (400, 401)
    assert (await login(client, typed, "whatever")).status_code == 401
    row = await pool.fetchrow("SELECT object_id, detail FROM audit_log WHERE action = 'auth.login_failed'")
    assert row["object_id"] is None and row["detail"] == {"known": False}
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM audit_log WHERE audit_log::text LIKE '%' || $1 || '%'", typed
        )
        == 0
    )


async def test_five_failures_lock_the_account_even_against_the_right_password(
    client: AsyncTestClient, staff: Staff, pool: asyncpg.Pool
) -> None:
    for _ in range(rules.MAX_FAILED_LOGINS - 1):
        assert (await login(client, staff.username, "wrong")).status_code == 401
    fifth = await login(client, staff.username, "wrong")
    assert fifth.status_code == 423
    assert fifth.json()["code"] == "account_locked"
    assert "锁定" in fifth.json()["message"] and "之后再试" in fifth.json()["message"]

    right = await login(client, staff.username, staff.password)
    assert right.status_code == 423
    locked_until = await pool.fetchval("SELECT locked_until FROM users WHERE id = $1", staff.id)
    remaining_s = locked_until.timestamp() - time.time()
    assert rules.LOCKOUT_S - 60 < remaining_s <= rules.LOCKOUT_S

    # The window passes.
    await pool.execute("UPDATE users SET locked_until = now() - interval '1 second' WHERE id = $1", staff.id)
    assert (await login(client, staff.username, staff.password)).status_code == 200
    # Success starts the count again: four more failures do not lock.
    for _ in range(rules.MAX_FAILED_LOGINS - 1):
        assert (await login(client, staff.username, "wrong")).status_code == 401
    assert (await login(client, staff.username, staff.password)).status_code == 200


async def test_unknown_usernames_lock_too_so_a_lock_reveals_nothing(
    client: AsyncTestClient, world: World
) -> None:
    answers = [await login(client, "guessed-name", "wrong") for _ in range(rules.MAX_FAILED_LOGINS)]
    assert [a.status_code for a in answers] == [401] * (rules.MAX_FAILED_LOGINS - 1) + [423]


# --- tokens ---------------------------------------------------------------------------------


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(
    client: AsyncTestClient, staff: Staff
) -> None:
    first = (await login(client, staff.username, staff.password)).json()
    second = (await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/auth/me", headers=bearer(second))).status_code == 200
    third = await client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200

    # The first token shows up again: someone copied it. Both copies of the session end.
    reused = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_token_reused"
    newest = await client.post(REFRESH, json={"refresh_token": third.json()["refresh_token"]})
    assert newest.status_code == 401
    assert newest.json()["code"] == "refresh_token_invalid"

    # Another log-in is a separate family and is unaffected.
    other = (await login(client, staff.username, staff.password)).json()
    assert (await client.post(REFRESH, json={"refresh_token": other["refresh_token"]})).status_code == 200


async def test_expired_refresh_token_is_refused(
    client: AsyncTestClient, staff: Staff, pool: asyncpg.Pool
) -> None:
    tokens = (await login(client, staff.username, staff.password)).json()
    await pool.execute("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")
    response = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_token_expired"


async def test_unknown_refresh_token_is_refused(client: AsyncTestClient, world: World) -> None:
    response = await client.post(REFRESH, json={"refresh_token": "made-up"})
    assert response.status_code == 401 and response.json()["code"] == "refresh_token_invalid"


async def test_logout_ends_the_session(client: AsyncTestClient, staff: Staff, pool: asyncpg.Pool) -> None:
    first = (await login(client, staff.username, staff.password)).json()
    second = (await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})).json()
    assert (
        await client.post("/api/auth/logout", json={"refresh_token": second["refresh_token"]})
    ).status_code == 204
    after = await client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401
    assert await pool.fetchval("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL") == 0
    assert (
        await client.post("/api/auth/logout", json={"refresh_token": second["refresh_token"]})
    ).status_code == 204


async def test_deactivated_user_cannot_refresh(
    client: AsyncTestClient, staff: Staff, pool: asyncpg.Pool
) -> None:
    tokens = (await login(client, staff.username, staff.password)).json()
    await pool.execute("UPDATE users SET active = false WHERE id = $1", staff.id)
    response = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 403 and response.json()["code"] == "account_disabled"
    assert (await login(client, staff.username, staff.password)).status_code == 401


async def test_expired_access_token_is_refused(
    client: AsyncTestClient, staff: Staff, settings: Settings
) -> None:
    principal = Principal(user_id=staff.id, role=Role.township, region_code=TOWNSHIP_A1)
    stale = issue_access_token(settings, principal, now=time.time() - settings.access_token_ttl_s - 1)
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {stale}"})
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert (await client.get("/api/auth/me")).status_code == 401


# --- farmers: WeChat log-in -----------------------------------------------------------------


async def test_farmer_wechat_login_finds_or_creates_the_farmer(
    client: AsyncTestClient, world: World, wechat_fake: FakeControl, settings: Settings
) -> None:
    code = new_code()
    first = await farmer_login(client, code)
    again = await farmer_login(client, code)
    assert first["role"] == "farmer" and "household_id" not in first
    assert (
        decode_access_token(settings, first["access_token"]).user_id
        == decode_access_token(settings, again["access_token"]).user_id
    )
    me = (await client.get("/api/auth/me", headers=bearer(first))).json()
    assert me["role"] == "farmer" and "household_id" not in me
    # Not bound yet: no household to see.
    assert (await client.get("/api/miniapp/farmer/household", headers=bearer(first))).status_code == 404


@pytest.mark.parametrize(
    ("errcode", "http_status", "status", "code"),
    [
        (wx.INVALID_CODE, None, 401, "wechat_code_invalid"),
        (wx.RATE_LIMITED, None, 429, "wechat_rate_limited"),
        (-1, None, 503, "wechat_unavailable"),
        (-1, 502, 503, "wechat_unavailable"),
    ],
)
async def test_wechat_login_errors_are_explained(
    client: AsyncTestClient,
    world: World,
    wechat_fake: FakeControl,
    errcode: int,
    http_status: int | None,
    status: int,
    code: str,
) -> None:
    await wechat_fake.fail("jscode2session", errcode, http_status=http_status)
    response = await client.post("/api/miniapp/auth/login", json={"code": new_code()})
    assert response.status_code == status
    assert response.json()["code"] == code
    assert "微信" in response.json()["message"]
    # A farmer's phone may try again by itself: 429 and a passing 503 say when.
    assert ("Retry-After" in response.headers) == (status in (429, 503))


async def test_wechat_rate_limit_while_binding_says_binding(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, pii: Pii, wechat_fake: FakeControl
) -> None:
    household = world.households["a1b"]
    phone = await head_phone(pool, pii, household.id)
    tokens = await farmer_login(client)
    await wechat_fake.fail("getuserphonenumber", wx.RATE_LIMITED)
    limited = await bind(client, tokens, household.id_numbers[0], household.names[0], phone)
    assert limited.status_code == 429 and limited.json()["code"] == "wechat_phone_rate_limited"
    assert "绑定" in limited.json()["message"] and "登录" not in limited.json()["message"]
    assert limited.headers["Retry-After"] == "60"


async def test_staff_account_cannot_be_reached_through_wechat(
    client: AsyncTestClient, staff: Staff, pool: asyncpg.Pool, wechat_fake: FakeControl
) -> None:
    from backend.wechat.fake import openid_for

    code = new_code()
    await pool.execute("UPDATE users SET openid = $2 WHERE id = $1", staff.id, openid_for(code))
    response = await client.post("/api/miniapp/auth/login", json={"code": code})
    assert response.status_code == 403


# --- farmers: binding to the registry -------------------------------------------------------


async def bind(client: AsyncTestClient, tokens: dict[str, object], id_number: str, name: str, phone: str):
    body = {"id_number": id_number, "name": name, "phone_code": f"phone-{phone}"}
    return await client.post(BIND, json=body, headers=bearer(tokens))


async def test_binding_links_the_farmer_to_their_household_only(
    client: AsyncTestClient,
    world: World,
    pool: asyncpg.Pool,
    pii: Pii,
    settings: Settings,
    wechat_fake: FakeControl,
) -> None:
    household = world.households["a1b"]
    phone = await head_phone(pool, pii, household.id)
    tokens = await farmer_login(client)
    # The spouse binds with their own ID number and name and the household's registered phone.
    response = await bind(client, tokens, household.id_numbers[1], household.names[1], phone)
    assert response.status_code == 200, response.text
    bound = response.json()
    assert bound["household_id"] == household.id

    mine = await client.get("/api/miniapp/farmer/household", headers=bearer(bound))
    assert mine.status_code == 200 and mine.json()["id"] == household.id
    me = (await client.get("/api/auth/me", headers=bearer(bound))).json()
    assert me["display_name"] == household.names[1]
    assert me["phone_masked"] == mask_phone(phone) and me["region_name"] == "甲二村"
    row = await pool.fetchrow("SELECT person_id, phone_enc FROM users WHERE id = $1", me["user_id"])
    assert row["person_id"] == household.member_ids[1] and pii.decrypt(row["phone_enc"]) == phone

    # Their token opens nothing else: another household is not found, staff routes are closed.
    principal = decode_access_token(settings, bound["access_token"])
    async with pool.acquire() as conn:
        with pytest.raises(registry_errors.HouseholdNotFound):
            await registry.get_household(conn, principal, world.households["a1a"].id)
    other = await client.get(f"/api/households/{world.households['a1a'].id}", headers=bearer(bound))
    assert other.status_code in (403, 404)

    # A refresh keeps the binding (it re-reads the account).
    refreshed = (await client.post(REFRESH, json={"refresh_token": bound["refresh_token"]})).json()
    assert refreshed["household_id"] == household.id


async def test_binding_mismatch_is_one_refusal_whatever_was_wrong(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, pii: Pii, wechat_fake: FakeControl
) -> None:
    household = world.households["a1b"]
    phone = await head_phone(pool, pii, household.id)
    other_phone = await head_phone(pool, pii, world.households["a2a"].id)
    stranger = world.households["a2a"].id_numbers[0]  # registered, but in another household
    tokens = await farmer_login(client)
    attempts = [
        (household.id_numbers[0], "不是这个名字", phone),
        (household.id_numbers[0], household.names[0], other_phone),
        (stranger, household.names[0], phone),
        (make_id_number("19491231", "110105"), household.names[0], phone),  # valid, not in the registry
    ]
    answers = [await bind(client, tokens, *attempt) for attempt in attempts]
    assert {a.status_code for a in answers} == {422}
    assert {(a.json()["code"], a.json()["message"]) for a in answers} == {
        ("binding_mismatch", answers[0].json()["message"])
    }
    assert (
        await pool.fetchval("SELECT count(*) FROM users WHERE person_id IS NOT NULL") == 1
    )  # world.farmer only
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'farmer.bind_failed'") == len(
        attempts
    )


async def test_binding_is_throttled_after_repeated_failures(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, pii: Pii, wechat_fake: FakeControl
) -> None:
    household = world.households["a1b"]
    phone = await head_phone(pool, pii, household.id)
    tokens = await farmer_login(client)
    for _ in range(rules.BIND_MAX_FAILURES):
        assert (await bind(client, tokens, household.id_numbers[0], "错误姓名", phone)).status_code == 422
    calls_before = (await wechat_fake.stats())["getuserphonenumber"]
    throttled = await bind(client, tokens, household.id_numbers[0], household.names[0], phone)
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "binding_throttled" and "分钟后再试" in throttled.json()["message"]
    assert 0 < int(throttled.headers["Retry-After"]) <= 3600
    assert (await wechat_fake.stats())["getuserphonenumber"] == calls_before  # WeChat not even asked

    # Another WeChat account is not affected.
    other = await farmer_login(client)
    assert (await bind(client, other, household.id_numbers[0], household.names[0], phone)).status_code == 200


async def test_failures_that_are_not_mismatches_do_not_count(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, pii: Pii, wechat_fake: FakeControl
) -> None:
    household = world.households["a1b"]
    phone = await head_phone(pool, pii, household.id)
    tokens = await farmer_login(client)
    bad_checksum = household.id_numbers[0][:-1] + ("1" if household.id_numbers[0][-1] != "1" else "2")
    for _ in range(rules.BIND_MAX_FAILURES):
        invalid = await bind(client, tokens, bad_checksum, household.names[0], phone)
        assert invalid.status_code == 422 and invalid.json()["code"] == "id_number_invalid"
    await wechat_fake.fail("getuserphonenumber", -1, times=rules.BIND_MAX_FAILURES)
    for _ in range(rules.BIND_MAX_FAILURES):
        assert (
            await bind(client, tokens, household.id_numbers[0], household.names[0], phone)
        ).status_code == 503
    bad_code = await client.post(
        BIND,
        json={"id_number": household.id_numbers[0], "name": household.names[0], "phone_code": "no-such-code"},
        headers=bearer(tokens),
    )
    assert bad_code.status_code == 400 and bad_code.json()["code"] == "phone_code_invalid"
    assert (await bind(client, tokens, household.id_numbers[0], household.names[0], phone)).status_code == 200


async def test_a_person_bound_to_another_wechat_account_is_refused(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, pii: Pii, wechat_fake: FakeControl
) -> None:
    household = world.households["a1a"]  # world.farmer is bound to its head
    phone = await head_phone(pool, pii, household.id)
    tokens = await farmer_login(client)
    response = await bind(client, tokens, household.id_numbers[0], household.names[0], phone)
    assert response.status_code == 409
    assert response.json()["code"] == "person_already_bound"
    # Binding to a different member of the same household is fine.
    assert (await bind(client, tokens, household.id_numbers[1], household.names[1], phone)).status_code == 200
    # And a bound farmer cannot switch to yet another person on their own.
    switched = await bind(client, tokens, household.id_numbers[2], household.names[2], phone)
    assert switched.status_code == 409 and switched.json()["code"] == "already_bound_to_other"


async def test_household_without_registered_phone_cannot_be_bound_online(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, pii: Pii, wechat_fake: FakeControl
) -> None:
    async with pool.acquire() as conn:
        household = await make_household(conn, pii, world.households["a1a"].village_code, phone=None)
    tokens = await farmer_login(client)
    response = await bind(client, tokens, household.id_numbers[0], household.names[0], "13800009999")
    assert response.status_code == 422 and response.json()["code"] == "binding_mismatch"


async def test_only_farmers_bind(client: AsyncTestClient, world: World, wechat_fake: FakeControl) -> None:
    household = world.households["a1b"]
    staff_headers = world.user(Role.village).headers
    body = {
        "id_number": household.id_numbers[0],
        "name": household.names[0],
        "phone_code": "phone-13800000000",
    }
    assert (await client.post(BIND, json=body, headers=staff_headers)).status_code == 403
    assert (await client.post(BIND, json=body)).status_code == 401


async def test_parallel_guesses_cannot_pass_the_limit(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, pii: Pii, wechat_fake: FakeControl
) -> None:
    household = world.households["a1b"]
    phone = await head_phone(pool, pii, household.id)
    tokens = await farmer_login(client)
    guesses = [
        bind(client, tokens, household.id_numbers[0], f"猜{i}", phone)
        for i in range(rules.BIND_MAX_FAILURES + 3)
    ]
    answers = await asyncio.gather(*guesses)
    assert sorted(a.status_code for a in answers) == [422] * rules.BIND_MAX_FAILURES + [429] * 3
    assert (await wechat_fake.stats())["getuserphonenumber"] == rules.BIND_MAX_FAILURES
