"""The alert loop through HTTP: assignment (default assignee, reassignment with history), the
helper's verdict, the county's review of red dismissals, confirmation into a case, and scope."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from backend.alerts import rules, work
from backend.alerts.work import verify_workdays
from backend.applications import service as applications
from backend.auth import utcnow
from backend.calendar.rules import OfficialCalendar, local_date
from backend.queue import create_redis
from backend.settings import Settings
from schemas.alerts import AlertAssign, AlertLevel
from schemas.applications import CaseOpen, RiskType
from schemas.base import Role
from tests.alert_work.conftest import (
    CONFIRM,
    DISMISS,
    alert,
    assign,
    call,
    raise_red,
    raise_yellow,
)
from tests.alerts.conftest import Feeds
from tests.factories import VILLAGE_A1B, make_staff_user
from tests.feeds.conftest import run_worker
from tests.visits.conftest import record, visit_body

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def notifications(pool: asyncpg.Pool, user_id: int, event: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT title, body, data FROM notifications WHERE user_id = $1 AND event = $2 ORDER BY id", user_id, event
    )


async def test_assignment_goes_to_the_helper_else_the_grid_officer_and_reassignment_keeps_history(
    client, feeds: Feeds, pool: asyncpg.Pool, settings: Settings
) -> None:
    world = feeds.world
    county, helper = world.user(Role.county), world.user(Role.helper)
    on_helped = await raise_red(feeds, "a1a")  # a1a's responsible helper is world's helper
    on_other = await raise_yellow(feeds, "a1b")  # a1b has none, and its village no grid officer yet
    refused = await call(client, "POST", "/api/alerts/assign", county, {"alert_ids": [on_helped, on_other]}, status=422)
    assert refused["code"] == "no_assignee_available"
    assert (await alert(client, county, on_helped))["status"] == "open"  # all or nothing

    async with pool.acquire() as conn:
        grid = await make_staff_user(conn, settings, Role.grid_officer, VILLAGE_A1B)
    done = await assign(client, county, [on_helped, on_other], note="请尽快核实")
    today = local_date(utcnow())
    calendar = OfficialCalendar()
    assert done["assigned"] == 2
    assert done["due_dates"] == {
        "red": rules.verify_due(today, AlertLevel.red, verify_workdays(settings), calendar).date.isoformat(),
        "yellow": rules.verify_due(today, AlertLevel.yellow, verify_workdays(settings), calendar).date.isoformat(),
    }
    first = await alert(client, county, on_helped)
    assert (first["status"], first["assignee_user_id"], first.get("overdue", False)) == ("assigned", helper.id, False)
    assert first["due_date"] == done["due_dates"]["red"]
    assert (await alert(client, county, on_other))["assignee_user_id"] == grid.id
    assert len(await notifications(pool, helper.id, "alert_assigned")) == 1
    assert len(await notifications(pool, grid.id, "alert_assigned")) == 1

    # Reassigned to the village's grid officer of a1a: the history keeps both steps.
    other_grid = world.user(Role.grid_officer)
    await assign(client, county, [on_helped], assignee_user_id=other_grid.id)
    again = await alert(client, county, on_helped)
    assert again["assignee_user_id"] == other_grid.id
    steps = [(e["action"], e["from_status"], e["to_status"], e["data"]["assignee_user_id"],
              e["data"].get("previous_assignee_user_id")) for e in again["events"]]
    assert steps == [("assign", "open", "assigned", helper.id, None),
                     ("assign", "assigned", "assigned", other_grid.id, helper.id)]
    assert again["events"][0]["note"] == "请尽快核实"

    # Someone of another village may not take it; nothing changes.
    outsider = world.other_county[Role.helper]
    refused = await call(client, "POST", "/api/alerts/assign", county,
                         {"alert_ids": [on_helped], "assignee_user_id": outsider.id}, status=422)
    assert refused["code"] == "assignee_not_eligible"
    assert (await alert(client, county, on_helped))["assignee_user_id"] == other_grid.id


async def test_only_the_county_assigns_and_only_inside_its_county(client, feeds: Feeds) -> None:
    world = feeds.world
    alert_id = await raise_red(feeds, "a1a")
    for role in (Role.helper, Role.township, Role.village):
        await call(client, "POST", "/api/alerts/assign", world.user(role), {"alert_ids": [alert_id]}, status=403)
    other = await call(client, "POST", "/api/alerts/assign", world.other_county[Role.county],
                       {"alert_ids": [alert_id]}, status=404)
    assert other["code"] == "alert_not_found"
    assert (await alert(client, world.user(Role.county), alert_id))["status"] == "open"


async def test_deadline_counted_on_the_official_calendar_across_national_day_and_the_year_end(
    feeds: Feeds, pool: asyncpg.Pool, settings: Settings
) -> None:
    county = feeds.world.user(Role.county).principal
    first, second = await raise_red(feeds, "a1a"), await raise_yellow(feeds, "a1a")
    async with pool.acquire() as conn:
        _, before_holiday = await work.assign(
            conn, county, AlertAssign(alert_ids=[first, second]), dt.datetime(2026, 9, 30, 9, tzinfo=SHANGHAI), settings
        )
        _, year_end = await work.assign(
            conn, county, AlertAssign(alert_ids=[first]), dt.datetime(2026, 12, 30, 9, tzinfo=SHANGHAI), settings
        )
    assert before_holiday.due_dates == {"red": dt.date(2026, 10, 10), "yellow": dt.date(2026, 10, 13)}
    assert not before_holiday.due_provisional
    assert year_end.due_dates == {"red": dt.date(2027, 1, 5)} and year_end.due_provisional
    row = await pool.fetchrow("SELECT due_date, due_provisional FROM alerts WHERE id = $1", first)
    assert (row["due_date"], row["due_provisional"]) == (dt.date(2027, 1, 5), True)


async def test_a_red_dismissal_waits_for_the_county_a_yellow_one_closes(client, feeds: Feeds, pool) -> None:
    world = feeds.world
    county, helper = world.user(Role.county), world.user(Role.helper)
    red, yellow = await raise_red(feeds, "a1a"), await raise_yellow(feeds, "a1a")
    await assign(client, county, [red, yellow])

    closed = await call(client, "POST", f"/api/miniapp/helper/alerts/{yellow}/dismiss", helper, DISMISS)
    assert (closed["status"], closed["dismissal_reason"]) == ("dismissed", "data_error") and closed["closed_at"]

    waiting = await call(client, "POST", f"/api/miniapp/helper/alerts/{red}/dismiss", helper, DISMISS)
    assert waiting["status"] == "dismissal_proposed" and "closed_at" not in waiting
    assert await feeds.light(world.households["a1a"].id) == "red"  # not closed until the county says so
    (told,) = await notifications(pool, county.id, "alert_dismissal_waiting")
    assert "1 条红色预警" in told["body"]

    # The county sends it back: the helper has it again, with a fresh deadline, and is told.
    reopened = await call(client, "POST", f"/api/alerts/{red}/reopen", county, {"note": "请补充房屋照片"})
    assert reopened["status"] == "reopened" and reopened["due_date"]
    assert any("退回" in n["title"] for n in await notifications(pool, helper.id, "alert_assigned"))
    await call(client, "POST", f"/api/miniapp/helper/alerts/{red}/dismiss", helper, DISMISS)
    done = await call(client, "POST", f"/api/alerts/{red}/confirm-dismissal", county, {"note": "同意排除"})
    assert done["status"] == "dismissed" and done["closed_at"]
    assert [e["action"] for e in done["events"]] == ["assign", "dismiss", "reopen", "dismiss", "confirm_dismissal"]
    assert await feeds.light(world.households["a1a"].id) == "green"

    again = await call(client, "POST", f"/api/alerts/{red}/confirm-dismissal", county, {}, status=409)
    assert again["code"] == "alert_action_not_allowed"


async def test_only_the_assignee_gives_the_verdict(client, feeds: Feeds) -> None:
    world = feeds.world
    red = await raise_red(feeds, "a1a")
    await call(client, "POST", f"/api/miniapp/helper/alerts/{red}/dismiss", world.user(Role.helper), DISMISS,
               status=409)  # not assigned yet
    await assign(client, world.user(Role.county), [red], assignee_user_id=world.user(Role.grid_officer).id)
    refused = await call(client, "POST", f"/api/miniapp/helper/alerts/{red}/confirm", world.user(Role.helper),
                         CONFIRM, status=403)
    assert refused["code"] == "not_alert_assignee"
    await call(client, "POST", f"/api/alerts/{red}/confirm-dismissal", world.user(Role.helper), {}, status=403)
    away = await call(client, "POST", f"/api/miniapp/helper/alerts/{red}/dismiss",
                      world.other_county[Role.grid_officer], DISMISS, status=404)
    assert away["code"] == "alert_not_found"


async def test_confirmed_hardship_opens_a_department_alert_case_with_the_alert(client, feeds: Feeds, pool) -> None:
    world = feeds.world
    helper = world.user(Role.helper)
    red = await raise_red(feeds, "a1a")
    await assign(client, world.user(Role.county), [red])
    done = await call(client, "POST", f"/api/miniapp/helper/alerts/{red}/confirm", helper, CONFIRM)
    assert done["status"] == "converted" and done["application_id"]
    case = await call(client, "GET", f"/api/applications/{done['application_id']}", world.user(Role.county))
    assert case["source"] == "department_alert" and case["state"] == "verification"
    assert case["risk_types"] == ["housing_unsafe"]
    attached = await call(client, "GET", f"/api/applications/{done['application_id']}/alerts", world.user(Role.county))
    assert [a["id"] for a in attached] == [red]
    other = await call(client, "GET", f"/api/applications/{done['application_id']}/alerts",
                       world.other_county[Role.county], status=404)
    assert other["code"] == "application_not_found"
    assert await feeds.light(world.households["a1a"].id) == "green"  # the case carries it on


async def test_an_alert_on_a_household_with_a_case_in_progress_joins_that_case(
    client, feeds: Feeds, pool: asyncpg.Pool
) -> None:
    world = feeds.world
    helper = world.user(Role.helper)
    async with pool.acquire() as conn:
        opened = await applications.open_case(
            conn, helper.principal,
            CaseOpen(household_id=world.households["a1a"].id, risk_types=[RiskType.illness], narrative="干部排查"),
            utcnow(),
        )
    red = await raise_red(feeds, "a1a")
    shown = await alert(client, world.user(Role.county), red)
    assert shown["case_in_progress_id"] == opened.application_id
    await assign(client, world.user(Role.county), [red])
    done = await call(client, "POST", f"/api/miniapp/helper/alerts/{red}/confirm", helper, CONFIRM)
    assert done["application_id"] == opened.application_id
    assert done["events"][-1]["data"]["outcome"] == "case_attached"
    assert await pool.fetchval("SELECT count(*) FROM applications") == 1  # no new case


async def test_an_alert_on_a_monitored_household_is_kept_for_the_next_visit(client, feeds: Feeds, pool) -> None:
    world = feeds.world
    helper = world.user(Role.helper)
    household = world.households["a1a"]
    await pool.execute("UPDATE households SET monitoring_status = 'monitoring', monitoring_type = 'marginal' "
                       "WHERE id = $1", household.id)
    red = await raise_red(feeds, "a1a")
    await assign(client, world.user(Role.county), [red])
    done = await call(client, "POST", f"/api/miniapp/helper/alerts/{red}/confirm", helper, CONFIRM)
    assert (done["status"], done["attached_for_visit"], done.get("application_id")) == ("converted", True, None)
    assert await pool.fetchval("SELECT count(*) FROM applications") == 0  # not a new enrolment
    mine = await call(client, "GET", "/api/miniapp/helper/alerts", helper)
    assert [(a["id"], a["attached_for_visit"]) for a in mine["items"]] == [(red, True)]
    view = await call(client, "GET", f"/api/households/{household.id}", world.user(Role.county))
    assert [a["id"] for a in view["open_alerts"] if a.get("attached_for_visit")] == [red]

    # The helper's next visit sees it: it leaves the to-do list, with an event naming the visit.
    visit = await record(client, helper, visit_body(household.id))
    assert [a["id"] for a in (await call(client, "GET", "/api/miniapp/helper/alerts", helper))["items"]] == []
    seen = await alert(client, world.user(Role.county), red)
    assert not seen.get("attached_for_visit")
    assert (seen["events"][-1]["action"], seen["events"][-1]["data"]) == ("seen_at_visit", {"visit_id": visit["id"]})


async def test_overdue_is_listed_and_reminded_once_a_day(
    client, feeds: Feeds, pool: asyncpg.Pool, settings: Settings
) -> None:
    world = feeds.world
    county, helper = world.user(Role.county), world.user(Role.helper)
    late = [await raise_red(feeds, "a1a", 0), await raise_red(feeds, "a1a", 1)]
    on_time = await raise_yellow(feeds, "a1a")
    await assign(client, county, [*late, on_time])
    await pool.execute("UPDATE alerts SET due_date = current_date - 2 WHERE id = ANY($1::bigint[])", late)

    overdue = await call(client, "GET", "/api/alerts", county, overdue="true")
    assert sorted(a["id"] for a in overdue["items"]) == sorted(late)
    assert all(a.get("overdue") for a in overdue["items"])
    mine = await call(client, "GET", "/api/miniapp/helper/alerts", helper)
    assert {a["id"]: a.get("overdue", False) for a in mine["items"]} == {late[0]: True, late[1]: True, on_time: False}
    township = await call(client, "GET", "/api/alerts", world.user(Role.township), overdue="true")
    assert township["meta"]["total"] == 2
    load = await call(client, "GET", "/api/alerts/workload", county)
    assert [(w["user_id"], w["open"], w["overdue"]) for w in load] == [(helper.id, 3, 2)]

    # The daily cron's job, run twice the same day by the real worker: one message, not one per alert.
    redis = create_redis(settings)
    try:
        for _ in range(2):
            await redis.enqueue_job("alerts_remind_overdue", _queue_name=settings.queue_name)
            await run_worker(settings)
    finally:
        await redis.aclose()
    (reminder,) = await notifications(pool, helper.id, "alert_overdue")
    assert reminder["body"].startswith("2 条预警已逾期未核实（红色 2 条")


@pytest.mark.parametrize("role", [Role.helper, Role.grid_officer])
async def test_a_verifier_sees_alerts_in_scope_and_its_own_list_holds_only_its_own(client, feeds: Feeds, role) -> None:
    world = feeds.world
    mine_id, others_id = await raise_red(feeds, "a1a", 0), await raise_red(feeds, "a1a", 1)
    elsewhere = await raise_red(feeds, "a2a")
    me = world.user(role)
    other = world.user(Role.grid_officer if role is Role.helper else Role.helper)
    await assign(client, world.user(Role.county), [mine_id], assignee_user_id=me.id)
    await assign(client, world.user(Role.county), [others_id], assignee_user_id=other.id)
    own = await call(client, "GET", "/api/miniapp/helper/alerts", me)
    assert [a["id"] for a in own["items"]] == [mine_id]
    await call(client, "GET", f"/api/miniapp/helper/alerts/{elsewhere}", me, status=404)
    staff_list = await call(client, "GET", "/api/alerts", me)
    assert elsewhere not in {a["id"] for a in staff_list["items"]}


async def test_a_township_sees_nothing_of_another_township(client, feeds: Feeds) -> None:
    world = feeds.world
    ours, theirs = await raise_red(feeds, "a1a"), await raise_red(feeds, "a2a")
    township = world.user(Role.township)
    listed = await call(client, "GET", "/api/alerts", township)
    assert [a["id"] for a in listed["items"]] == [ours]
    await call(client, "GET", f"/api/alerts/{theirs}", township, status=404)
    board = await call(client, "GET", "/api/alerts/board", township)
    assert {r["township_code"] for r in board["rows"]} == {world.user(Role.township).principal.region_code}
    await call(client, "GET", "/api/alerts/board", township, region=world.households["a2a"].village_code, status=404)
