"""`fangpin seed-demo`: the demo data loads, is valid, and a second run changes nothing."""

from __future__ import annotations

import datetime as dt

import asyncpg
from stdnum.cn import uscc

from backend.auth import utcnow
from backend.calendar.rules import local_date
from backend.demo import data, format_credentials, seed_demo
from backend.passwords import verify_password
from backend.pii import Pii, mask_id_number, normalize_id_number
from schemas.base import Role


async def seed(pool: asyncpg.Pool, pii: Pii):
    async with pool.acquire() as conn:
        return await seed_demo(conn, pii)


async def test_seeding_twice_changes_nothing(pool, pii: Pii) -> None:
    first = await seed(pool, pii)
    assert first.households_added == data.HOUSEHOLD_COUNT
    snapshot = await pool.fetch(
        "SELECT household_no, monitoring_status, helper_user_id FROM households ORDER BY 1"
    )
    second = await seed(pool, pii)
    assert second.households_added == 0
    assert second.counts == first.counts
    assert (
        await pool.fetch("SELECT household_no, monitoring_status, helper_user_id FROM households ORDER BY 1")
        == snapshot
    )
    assert first.counts["households"] == 200
    assert 400 <= first.counts["persons"] <= 1200


async def test_demo_people_are_valid_and_masked(pool, pii: Pii) -> None:
    await seed(pool, pii)
    rows = await pool.fetch("SELECT id_number_enc, id_number_masked, sex, birth_date FROM persons")
    for row in rows:
        number = pii.decrypt(row["id_number_enc"])
        assert normalize_id_number(number) == number
        assert row["id_number_masked"] == mask_id_number(number)
        assert row["birth_date"].strftime("%Y%m%d") == number[6:14]
    sizes = await pool.fetch(
        "SELECT count(*) AS members, count(*) FILTER (WHERE relation = 'head') AS heads "
        "FROM persons GROUP BY household_id"
    )
    assert all(2 <= s["members"] <= 6 and s["heads"] == 1 for s in sizes)
    statuses = {
        r["monitoring_status"] for r in await pool.fetch("SELECT DISTINCT monitoring_status FROM households")
    }
    assert statuses == {"none", "monitoring", "risk_eliminated"}
    categories = {r["category"] for r in await pool.fetch("SELECT DISTINCT category FROM households")}
    assert categories == {"lifted", "ordinary"}
    assert await pool.fetchval("SELECT count(*) FROM households WHERE head_phone_enc IS NULL") == 0


async def test_demo_parties_thresholds_and_regions(pool, pii: Pii) -> None:
    await seed(pool, pii)
    suppliers = await pool.fetch(
        "SELECT s.credit_code, r.is_poverty_relieved_county "
        "FROM suppliers s JOIN regions r ON r.code = s.county_code"
    )
    assert len(suppliers) == 2
    assert all(uscc.is_valid(s["credit_code"]) and s["is_poverty_relieved_county"] for s in suppliers)
    assert await pool.fetchval("SELECT count(*) FROM products WHERE price_fen > 0") == len(data.PRODUCTS)
    assert (
        await pool.fetchval(
            "SELECT per_capita_fen FROM monitoring_thresholds WHERE year = 2020 AND province_code = $1",
            data.PROVINCE,
        )
        == 500_000
    )
    counties = await pool.fetch("SELECT key_assistance FROM regions WHERE level = 'county' ORDER BY code")
    assert [c["key_assistance"] for c in counties] == ["national", "provincial"]


async def test_the_demo_is_dated_from_the_day_it_is_seeded(pool, pii: Pii) -> None:
    async with pool.acquire() as conn:
        await seed_demo(conn, pii, today=dt.date(2031, 3, 15))
    budgets = await pool.fetch("SELECT year, budget_fen FROM union_budgets ORDER BY year")
    assert [(b["year"], b["budget_fen"]) for b in budgets] == [
        (2029, 20_000_000),
        (2030, 30_000_000),
        (2031, 50_000_000),
    ]
    thresholds = {
        r["year"]: r["per_capita_fen"]
        for r in await pool.fetch(
            "SELECT year, per_capita_fen FROM monitoring_thresholds WHERE province_code = $1", data.PROVINCE
        )
    }
    assert sorted(thresholds) == list(range(2019, 2032))  # the 2019 reference up to this year
    assert thresholds[2019] == thresholds[2020] == 500_000
    later = [thresholds[year] for year in range(2020, 2032)]
    assert later == sorted(set(later)) and 600_000 <= thresholds[2031] <= 1_200_000  # rises every year
    assert {r["year"] for r in await pool.fetch("SELECT DISTINCT year FROM household_incomes")} == {2030}

    # The next year's run adds that year and keeps what is there.
    async with pool.acquire() as conn:
        await seed_demo(conn, pii, today=dt.date(2032, 1, 2))
    years = [r["year"] for r in await pool.fetch("SELECT year FROM union_budgets ORDER BY year")]
    assert years == [2029, 2030, 2031, 2032]
    assert await pool.fetchval("SELECT max(year) FROM monitoring_thresholds") == 2032


async def test_by_default_the_demo_covers_this_year_and_the_two_before(pool, pii: Pii) -> None:
    this_year = local_date(utcnow()).year
    await seed(pool, pii)
    years = {r["year"] for r in await pool.fetch("SELECT year FROM union_budgets")}
    assert years == {this_year - 2, this_year - 1, this_year}
    thresholds = {r["year"] for r in await pool.fetch("SELECT year FROM monitoring_thresholds")}
    assert {this_year - 2, this_year - 1, this_year} <= thresholds


async def test_every_role_has_a_demo_login_and_the_farmer_is_bound(client, pool, pii: Pii) -> None:
    result = await seed(pool, pii)
    roles = {r["role"] for r in await pool.fetch("SELECT role FROM users")}
    assert roles == {
        "helper",
        "grid_officer",
        "village",
        "township",
        "county",
        "department",
        "union_buyer",
        "union_approver",
        "supplier",
        "admin",
        "farmer",
    }
    farmer = await pool.fetchrow(
        "SELECT household_id, person_id FROM users WHERE openid = $1", data.DEMO_FARMER_OPENID
    )
    assert farmer["household_id"] == result.farmer.household_id
    text = format_credentials(result)
    for login in result.logins:
        assert login.username in text and login.password in text
        stored = await pool.fetchval("SELECT password_hash FROM users WHERE username = $1", login.username)
        assert verify_password(stored, login.password)
        assert not verify_password(stored, login.password + "x")


async def test_every_demo_staff_login_works_through_the_login_api(client, pool, pii: Pii) -> None:
    result = await seed(pool, pii)
    assert {login.role for login in result.logins} == {role.value for role in Role} - {Role.farmer.value}
    staff = {username: (region, display_name) for _, username, _, region, display_name, _ in data.STAFF}
    for login in result.logins:
        response = await client.post(
            "/api/auth/login", json={"username": login.username, "password": login.password}
        )
        assert response.status_code == 200, (login.username, response.text)
        tokens = response.json()
        assert tokens["role"] == login.role and tokens["refresh_token"]
        me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert me.status_code == 200, (login.username, me.text)
        profile = me.json()
        region, display_name = staff[login.username]
        assert (profile["role"], profile["display_name"]) == (login.role, display_name)
        assert profile.get("region_code") == region
        if login.role in {Role.union_buyer, Role.union_approver}:
            assert profile["union_id"]
        if login.role == Role.supplier:
            assert profile["supplier_id"]
    county = next(login for login in result.logins if login.role == Role.county)
    refused = await client.post(
        "/api/auth/login", json={"username": county.username, "password": county.password + "x"}
    )
    assert refused.status_code == 401
