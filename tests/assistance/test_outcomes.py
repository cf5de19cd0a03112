"""Outcome per measure against hand-built figures: visits inserted as the visits API will store
them, an income survey for the year before, a household lacking figures, one out of scope."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import asyncpg
import openpyxl
from litestar.testing import AsyncTestClient

from schemas.base import Role
from tests.assistance.conftest import MEASURE, SHANGHAI, call, monitor
from tests.factories import COUNTY_A, COUNTY_B, TOWNSHIP_A1, TOWNSHIP_A2, World

OUTCOMES = "/api/assistance/outcomes"
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


async def visit(pool: asyncpg.Pool, world: World, key: str, at: dt.datetime, members: int, net: int, rigid: int) -> None:
    await pool.execute(
        "INSERT INTO visits (household_id, visitor_user_id, visited_at, checklist, member_count, net_income_fen, "
        "rigid_expense_fen) VALUES ($1, $2, $3, '{}', $4, $5, $6)",
        world.households[key].id, world.user(Role.helper).id, at, members, net, rigid,
    )


async def measure(client: AsyncTestClient, world: World, key: str, **fields: Any) -> None:
    body = {**MEASURE, "status": "in_progress", **fields}
    await call(client, "POST", f"/api/households/{world.households[key].id}/plan/measures", world.user(Role.county),
               body, status=201)


async def build(client: AsyncTestClient, world: World, pool: asyncpg.Pool) -> None:
    """a1a: visits before (the last one late on the start day itself) and after its industry
    measure; a1b: no visit before, the 2025 survey instead; a2a: no figures at all; b1a (county
    B) and a planned measure in a1a: not counted."""
    await monitor(pool, *(h.id for h in world.households.values()))
    await measure(client, world, "a1a")  # industry from 2026-03-01
    await measure(client, world, "a1a", measure_type="employment", start_date="2026-06-01", end_date=None)
    await measure(client, world, "a1a", measure_type="housing", status="planned")
    await measure(client, world, "a1b", start_date="2026-04-01")
    await measure(client, world, "a2a")
    await visit(pool, world, "a1a", dt.datetime(2026, 2, 10, 10, 0, tzinfo=SHANGHAI), 3, 900_000, 300_000)
    await visit(pool, world, "a1a", dt.datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI), 3, 1_200_000, 150_000)
    await visit(pool, world, "a1a", dt.datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI), 3, 1_800_001, 90_000)
    await pool.execute(
        "INSERT INTO household_incomes (household_id, year, member_count, wage_fen, business_fen, property_fen, "
        "transfer_fen, productive_expense_fen, medical_expense_fen, education_expense_fen, disaster_expense_fen) "
        "VALUES ($1, 2025, 4, 1000000, 200000, 0, 100000, 100000, 50000, 30000, 0)",
        world.households["a1b"].id,
    )
    await visit(pool, world, "a1b", dt.datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI), 4, 1_600_000, 60_000)
    # county B: in figures, never in county A's report
    await pool.execute(
        "INSERT INTO plan_measures (household_id, measure_type, owner_department, start_date, status, created_by) "
        "VALUES ($1, 'industry', '乙县农业农村局', '2026-03-01', 'in_progress', $2)",
        world.households["b1a"].id, world.other_county[Role.county].id,
    )
    await visit(pool, world, "b1a", dt.datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI), 1, 9_000_000, 0)


async def test_outcome_per_measure_type_per_household_township_and_county(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, clock: Any
) -> None:
    clock(NOW)
    await build(client, world, pool)
    county = world.user(Role.county)

    listed = await call(client, "GET", f"{OUTCOMES}/households?measure_type=industry", county)
    rows = {r["household_no"]: r for r in listed["items"]}
    assert listed["meta"]["total"] == 3
    a1a = rows[world.households["a1a"].household_no]
    assert a1a["before"] == {"source": "visit", "as_of": "2026-03-01", "member_count": 3,
                             "per_capita_income_fen": 400_000, "rigid_expense_fen": 150_000}
    # 1,800,001 / 3 = 600,000.33: rounded to the fen
    assert a1a["latest"] == {"source": "visit", "as_of": "2026-09-01", "member_count": 3,
                             "per_capita_income_fen": 600_000, "rigid_expense_fen": 90_000}
    assert (a1a["income_change_fen"], a1a["rigid_expense_change_fen"]) == (200_000, -60_000)
    a1b = rows[world.households["a1b"].household_no]
    # (1,000,000 + 200,000 + 0 + 100,000 - 100,000) / 4; 50,000 + 30,000 + 0
    assert a1b["before"] == {"source": "income_survey", "as_of": "2025-12-31", "member_count": 4,
                             "per_capita_income_fen": 300_000, "rigid_expense_fen": 80_000}
    assert a1b["latest"]["per_capita_income_fen"] == 400_000 and a1b["income_change_fen"] == 100_000
    a2a = rows[world.households["a2a"].household_no]
    assert "before" not in a2a and "latest" not in a2a and "income_change_fen" not in a2a

    report = await call(client, "GET", OUTCOMES, county)
    assert report["region_code"] == COUNTY_A and report["as_of"] == "2026-11-20"
    totals = {g["measure_type"]: g for g in report["totals"]}
    assert set(totals) == {"industry", "employment"}  # the planned housing measure has not started
    industry = totals["industry"]
    assert (industry["region_code"], industry["households"], industry["lacking"]) == (COUNTY_A, 2, 1)
    assert (industry["before_income_fen"], industry["latest_income_fen"], industry["income_change_fen"]) == (
        350_000, 500_000, 150_000
    )
    assert (industry["before_rigid_expense_fen"], industry["latest_rigid_expense_fen"],
            industry["rigid_expense_change_fen"]) == (115_000, 75_000, -40_000)
    employment = totals["employment"]  # before: the 3/1 visit (latest on or before 6/1)
    assert (employment["households"], employment["before_income_fen"], employment["income_change_fen"]) == (
        1, 400_000, 200_000
    )
    townships = {(g["region_code"], g["measure_type"]): g for g in report["townships"]}
    assert townships[(TOWNSHIP_A1, "industry")]["households"] == 2
    assert townships[(TOWNSHIP_A1, "industry")]["region_name"] == "甲一镇"
    assert (townships[(TOWNSHIP_A2, "industry")]["households"], townships[(TOWNSHIP_A2, "industry")]["lacking"]) == (0, 1)
    assert "before_income_fen" not in townships[(TOWNSHIP_A2, "industry")]

    mine = await call(client, "GET", OUTCOMES, world.user(Role.township))
    assert mine["region_code"] == TOWNSHIP_A1
    assert {(g["region_code"], g["measure_type"], g["households"]) for g in mine["townships"]} == {
        (TOWNSHIP_A1, "industry", 2), (TOWNSHIP_A1, "employment", 1)
    }


async def test_outcomes_stay_inside_the_callers_region(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool, clock: Any
) -> None:
    clock(NOW)
    await build(client, world, pool)
    other = await call(client, "GET", OUTCOMES, world.other_county[Role.county])
    # b1a: a visit since its measure but no figures from before it
    assert [(g["region_code"], g["measure_type"], g["households"], g["lacking"]) for g in other["totals"]] == [
        (COUNTY_B, "industry", 0, 1)
    ]
    for user, region in ((world.other_county[Role.county], COUNTY_A), (world.user(Role.township), COUNTY_A),
                         (world.user(Role.township), TOWNSHIP_A2)):
        refused = await call(client, "GET", f"{OUTCOMES}?region={region}", user, status=404)
        assert refused["code"] == "region_not_found"
        await call(client, "GET", f"{OUTCOMES}/households.xlsx?region={region}", user, status=404)
    for role in (Role.helper, Role.village, Role.department):
        assert (await call(client, "GET", OUTCOMES, world.user(role), status=403))["code"] == "forbidden"


async def test_the_household_figures_export_as_xlsx(client: AsyncTestClient, world: World, pool: asyncpg.Pool, clock: Any) -> None:
    clock(NOW)
    await build(client, world, pool)
    response = await client.get(f"{OUTCOMES}/households.xlsx", headers=world.user(Role.county).headers)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "户编号" and len(rows) == 1 + 4  # a1a industry and employment, a1b, a2a
    a1a = next(r for r in rows[1:] if r[0] == world.households["a1a"].household_no and r[2] == "产业帮扶")
    assert a1a[5:9] == ("入户走访", "2026-03-01", 400_000, 150_000)
    assert a1a[12:] == (200_000, -60_000)
