"""Rectification items cleared and the 月清零 report against hand-built items, the stationed
cadres' work log and two-thirds report, and the overdue board with the lists behind it."""

from __future__ import annotations

import datetime as dt

import asyncpg

from backend.calendar.rules import local_date
from schemas.base import Role
from tests.factories import (
    COUNTY_A,
    TOWNSHIP_A1,
    TOWNSHIP_A2,
    VILLAGE_A1A,
    VILLAGE_A1B,
    VILLAGE_A2A,
    World,
    make_staff_user,
)
from tests.visits.conftest import call, checklist, record, visit_body

D = dt.date


async def item(pool: asyncpg.Pool, household_id: int, what: str, found: dt.date, cleared: dt.date | None = None) -> int:
    return await pool.fetchval(
        "INSERT INTO rectification_items (household_id, item, found_on, status, cleared_on) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING id",
        household_id, what, found, "cleared" if cleared else "open", cleared,
    )


async def test_a_rectification_is_opened_and_cleared(client, placed: World, pool) -> None:
    helper, township = placed.user(Role.helper), placed.user(Role.township)
    visit = await record(client, helper, visit_body(placed.households["a1a"].id, checklist=checklist(medical="慢病药未报销")))
    (item_id,) = visit["rectification_ids"]
    listed = await call(client, "GET", "/api/rectifications", township)
    assert [i["id"] for i in listed["items"]] == [item_id]
    clear = f"/api/rectifications/{item_id}/clear"
    await call(client, "POST", clear, placed.user(Role.county), {"note": "已报销"}, status=403)
    assert (await call(client, "POST", clear, placed.other_county[Role.township], {"note": "x"}, status=404))["code"] \
        == "rectification_not_found"
    mini = f"/api/miniapp/helper/rectifications/{item_id}/clear"
    await call(client, "POST", mini, placed.other_county[Role.helper], {"note": "x"}, status=404)
    assert await pool.fetchval("SELECT status FROM rectification_items WHERE id = $1", item_id) == "open"
    cleared = await call(client, "POST", mini, helper, {"note": "已协助办理门诊慢特病报销"})
    assert cleared["status"] == "cleared" and cleared["cleared_by"] == helper.id
    assert cleared["cleared_on"] == local_date(dt.datetime.now(dt.UTC)).isoformat()
    again = await call(client, "POST", clear, township, {"note": "再次"}, status=422)
    assert again["code"] == "rectification_already_cleared"
    assert (await call(client, "GET", "/api/rectifications", township))["items"] == []
    cleared_list = await client.get("/api/rectifications", params={"status": "cleared"}, headers=township.headers)
    assert len(cleared_list.json()["items"]) == 1
    await call(client, "POST", clear, township, {"note": ""}, status=400)


async def test_the_monthly_clearance_report_counts_hand_built_items(client, world: World, pool) -> None:
    a1a, a1b, a2a = (world.households[k].id for k in ("a1a", "a1b", "a2a"))
    await item(pool, a1a, "food", D(2026, 10, 20))  # open at the end of November, opened before
    await item(pool, a1a, "housing", D(2026, 11, 3), D(2026, 11, 25))  # opened and cleared in November
    await item(pool, a1a, "medical", D(2026, 11, 10), D(2026, 12, 2))  # opened in November, cleared after
    await item(pool, a1b, "education", D(2026, 10, 5), D(2026, 11, 1))  # cleared in November
    late = await item(pool, a1b, "drinking_water", D(2026, 11, 30))  # open
    await item(pool, a1b, "clothing", D(2026, 12, 1))  # December: not in November's report
    await item(pool, a2a, "food", D(2026, 11, 5))  # another township
    report = await call(client, "GET", "/api/rectifications/report", world.user(Role.township), month="2026-11")
    assert report["township_code"] == TOWNSHIP_A1 and report["month"] == "2026-11-01"
    assert [(v["village_code"], v["opened"], v["cleared"], v["open_at_month_end"]) for v in report["villages"]] == [
        (VILLAGE_A1A, 2, 1, 2), (VILLAGE_A1B, 1, 1, 1),
    ]
    assert [(i["village_code"], i["item"]) for i in report["still_open"]] == [
        (VILLAGE_A1A, "food"), (VILLAGE_A1A, "medical"), (VILLAGE_A1B, "drinking_water"),
    ]
    assert report["still_open"][-1]["id"] == late
    county = await call(client, "GET", "/api/rectifications/report", world.user(Role.county), township=TOWNSHIP_A2,
                        month="2026-11")
    assert [(v["village_code"], v["opened"]) for v in county["villages"]] == [(VILLAGE_A2A, 1)]
    refused = await call(client, "GET", "/api/rectifications/report", world.user(Role.county), status=422)
    assert refused["code"] == "not_a_township"
    await call(client, "GET", "/api/rectifications/report", world.other_county[Role.township], township=TOWNSHIP_A1,
               status=404)
    await call(client, "GET", "/api/rectifications/report", world.user(Role.helper), status=403)
    assert (await call(client, "GET", "/api/rectifications/report", world.user(Role.township), month="0000-01",
                       status=400))["code"] == "bad_month"


async def log_days(pool: asyncpg.Pool, user_id: int, month: dt.date, in_village: int, away: int) -> None:
    days = [month + dt.timedelta(days=i) for i in range(in_village + away)]
    await pool.executemany(
        "INSERT INTO cadre_work_logs (user_id, work_date, village_code, in_village) VALUES ($1, $2, $3, $4)",
        [(user_id, day, VILLAGE_A1A, i < in_village) for i, day in enumerate(days)],
    )


async def test_the_two_thirds_report(client, world: World, pool, settings) -> None:
    async with pool.acquire() as conn:
        meets = world.user(Role.helper)
        short = await make_staff_user(conn, settings, Role.helper, VILLAGE_A1A)
        silent = await make_staff_user(conn, settings, Role.helper, VILLAGE_A1B)
        await make_staff_user(conn, settings, Role.helper, TOWNSHIP_A1)  # not stationed in a village
    await log_days(pool, meets.id, D(2026, 11, 1), 20, 10)  # 20 of November's 30: two thirds
    await log_days(pool, short.id, D(2026, 11, 1), 19, 11)
    await log_days(pool, short.id, D(2026, 10, 1), 31, 0)  # another month does not count
    report = await call(client, "GET", "/api/cadre-logs/report", world.user(Role.township), month="2026-11")
    rows = {r["user_id"]: r for r in report["cadres"]}
    assert set(rows) == {meets.id, short.id, silent.id}
    assert (rows[meets.id]["in_village_days"], rows[meets.id]["required_days"], rows[meets.id]["meets_two_thirds"]) \
        == (20, 20, True)
    assert (rows[short.id]["in_village_days"], rows[short.id]["logged_days"], rows[short.id]["meets_two_thirds"]) \
        == (19, 30, False)
    assert rows[silent.id]["logged_days"] == 0 and rows[silent.id]["meets_two_thirds"] is False
    assert all(r["month_complete"] for r in report["cadres"]) and rows[meets.id]["days_in_month"] == 30
    assert [r["village_code"] for r in report["cadres"]] == [VILLAGE_A1A, VILLAGE_A1A, VILLAGE_A1B]  # not ranked
    outside = await call(client, "GET", "/api/cadre-logs/report", world.other_county[Role.county], month="2026-11")
    assert [r["user_id"] for r in outside["cadres"]] == [world.other_county[Role.helper].id]  # county B's own
    await call(client, "GET", "/api/cadre-logs/report", world.other_county[Role.county], region=COUNTY_A, status=404)


async def test_the_cadre_writes_their_own_log(client, world: World, pool, settings) -> None:
    helper = world.user(Role.helper)
    today = local_date(dt.datetime.now(dt.UTC))
    day = await call(client, "POST", "/api/miniapp/helper/work-log", helper,
                     {"work_date": today.isoformat(), "in_village": True, "note": "走访5户"})
    assert day["in_village"] is True
    await call(client, "POST", "/api/miniapp/helper/work-log", helper,
               {"work_date": today.isoformat(), "in_village": False, "note": "县里开会"})
    month = await call(client, "GET", "/api/miniapp/helper/work-log", helper)
    assert [(d["work_date"], d["in_village"]) for d in month["days"]] == [(today.isoformat(), False)]
    future = await call(client, "POST", "/api/miniapp/helper/work-log", helper,
                        {"work_date": (today + dt.timedelta(days=1)).isoformat(), "in_village": True}, status=422)
    assert future["code"] == "work_log_date_in_future"
    async with pool.acquire() as conn:
        township_helper = await make_staff_user(conn, settings, Role.helper, TOWNSHIP_A1)
    refused = await call(client, "POST", "/api/miniapp/helper/work-log", township_helper,
                         {"work_date": today.isoformat(), "in_village": True}, status=403)
    assert refused["code"] == "not_stationed_in_village"
    assert await pool.fetchval("SELECT count(*) FROM cadre_work_logs") == 1


async def test_the_overdue_board_and_its_lists(client, placed: World, pool) -> None:
    a1a, a1b, a2a = (placed.households[k].id for k in ("a1a", "a1b", "a2a"))
    helper = placed.user(Role.helper).id
    now = dt.datetime.now(dt.UTC)
    # a1b: approved 30 days ago, plan due 10 days ago, no helper: late; monitored, no plan.
    await pool.execute(
        "UPDATE households SET monitoring_status = 'monitoring', monitoring_type = 'marginal' WHERE id = $1", a1b
    )
    await pool.execute(
        "INSERT INTO applications (household_id, source, state, created_by, discovered_at, decided_at, plan_due_date) "
        "VALUES ($1, 'cadre_screening', 'approved', $2, $3, $3, $4)",
        a1b, helper, now - dt.timedelta(days=30), local_date(now) - dt.timedelta(days=10),
    )
    # a2a: a case discovered 20 days ago still in township review: past 15 days.
    case = await pool.fetchval(
        "INSERT INTO applications (household_id, source, state, created_by, discovered_at) "
        "VALUES ($1, 'cadre_screening', 'township_review', $2, $3) RETURNING id",
        a2a, helper, now - dt.timedelta(days=20),
    )
    await item(pool, a1a, "housing", local_date(now))
    board = await call(client, "GET", "/api/visits/board", placed.user(Role.county))
    rows = {r["township_code"]: r for r in board["rows"]}
    assert set(rows) == {TOWNSHIP_A1, TOWNSHIP_A2}
    a1 = rows[TOWNSHIP_A1]
    # a1a monitored, never visited, no plan; a1b monitored, no plan, no helper, never visited
    # but monitored only since last month's approval, so its first required month is this one.
    assert (a1["identification_overdue"], a1["helper_late"], a1["plan_missing"], a1["visit_overdue"],
            a1["rectification_open"]) == (0, 1, 2, 1, 1)
    assert rows[TOWNSHIP_A2]["identification_overdue"] == 1
    assert rows[TOWNSHIP_A2]["visit_overdue"] == 1  # a2a is lifted and never visited

    path = "/api/visits/board/{}"
    late = await call(client, "GET", path.format("helper_late"), placed.user(Role.county))
    assert [(i["household_id"], i["on"]) for i in late["items"]] == [
        (a1b, (local_date(now) - dt.timedelta(days=10)).isoformat()),
    ]
    cases = await call(client, "GET", path.format("identification_overdue"), placed.user(Role.township))
    assert cases["items"] == []  # township A1 does not see A2's case
    cases = await call(client, "GET", path.format("identification_overdue"), placed.user(Role.county))
    assert [i["ref_id"] for i in cases["items"]] == [case]
    open_items = await call(client, "GET", path.format("rectification_open"), placed.user(Role.township))
    assert [i["household_id"] for i in open_items["items"]] == [a1a] and open_items["meta"]["total"] == 1

    township = await call(client, "GET", "/api/visits/board", placed.user(Role.township))
    assert [r["township_code"] for r in township["rows"]] == [TOWNSHIP_A1]
    await call(client, "GET", "/api/visits/board", placed.user(Role.township), region=TOWNSHIP_A2, status=404)
    await call(client, "GET", "/api/visits/board", placed.other_county[Role.county], region=COUNTY_A, status=404)
    await call(client, "GET", "/api/visits/board", placed.user(Role.helper), status=403)
    await call(client, "GET", path.format("nonsense"), placed.user(Role.county), status=400)

    await record(client, placed.user(Role.helper), visit_body(a1a))
    a1 = next(r for r in (await call(client, "GET", "/api/visits/board", placed.user(Role.county)))["rows"]
              if r["township_code"] == TOWNSHIP_A1)
    assert a1["visit_overdue"] == 0
