"""Admins enter a year's holiday notice over HTTP; county approvals use it for the plan due date."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from litestar.testing import AsyncTestClient

from schemas.base import Role
from tests.applications.conftest import Flow
from tests.calendar.conftest import CALENDAR, NOTICE_2027, SHANGHAI
from tests.factories import World

CHRISTMAS_EVE_2026 = dt.datetime(2026, 12, 24, 10, 0, tzinfo=SHANGHAI)  # a Thursday
APPROVAL = {"monitoring_type": "marginal", "risk_types": ["illness"]}


async def put_year(client: AsyncTestClient, world: World, year: int, body: Any, expect: int = 200) -> Any:
    response = await client.put(f"{CALENDAR}/{year}", json=body, headers=world.user(Role.admin).headers)
    assert response.status_code == expect, response.text
    return response.json()


async def test_approval_after_the_admin_entered_the_2027_notice_gets_the_right_plan_due_date(
    flow: Flow, clock: Any
) -> None:
    await put_year(flow.client, flow.world, 2027, NOTICE_2027)
    case_id = await flow.to_state("county_approval")
    clock(CHRISTMAS_EVE_2026)
    approved = await flow.step(Role.county, case_id, "approve", APPROVAL)
    # 12/25, 12/28–31, 1/2 (Saturday worked), 1/5–1/8: 1/1 and 1/4 are off.
    assert approved["state"] == "approved" and approved["plan_due_date"] == "2027-01-08"
    stored = await flow.pool.fetchval("SELECT plan_due_date FROM applications WHERE id = $1", case_id)
    assert stored == dt.date(2027, 1, 8)
    helper_note = await flow.pool.fetchval(
        "SELECT body FROM notifications WHERE user_id = $1 AND event = 'case_waiting' "
        "ORDER BY id DESC LIMIT 1",
        flow.world.user(Role.helper).id,
    )
    assert "1月8日" in helper_note


async def test_without_the_2027_notice_the_approval_answers_503_and_changes_nothing(
    flow: Flow, clock: Any
) -> None:
    case_id = await flow.to_state("county_approval")
    events = await flow.pool.fetchval("SELECT count(*) FROM application_events")
    notifications = await flow.last_notification_id()
    clock(CHRISTMAS_EVE_2026)
    # a role that never approves is told so, whatever the calendar holds
    not_theirs = await flow.step(Role.township, case_id, "approve", APPROVAL, expect=403)
    assert not_theirs["code"] == "role_may_not_act"
    refused = await flow.step(Role.county, case_id, "approve", APPROVAL, expect=503)
    assert refused["code"] == "working_calendar_unavailable"
    assert "2027年" in refused["message"] and "管理员" in refused["message"]
    assert (
        await flow.pool.fetchval("SELECT state FROM applications WHERE id = $1", case_id) == "county_approval"
    )
    assert await flow.pool.fetchval("SELECT count(*) FROM application_events") == events
    assert await flow.last_notification_id() == notifications
    household = flow.world.households["a1a"].id
    assert (
        await flow.pool.fetchval("SELECT monitoring_status FROM households WHERE id = $1", household)
        == "none"
    )

    # The admin enters the notice the day it is published; the same approval now goes through.
    await put_year(flow.client, flow.world, 2027, NOTICE_2027)
    approved = await flow.step(Role.county, case_id, "approve", APPROVAL)
    assert approved["plan_due_date"] == "2027-01-08"


async def test_admin_reads_back_what_was_entered(client: AsyncTestClient, world: World, pool) -> None:
    admin = world.user(Role.admin)
    empty = (await client.get(f"{CALENDAR}/2027", headers=admin.headers)).json()
    assert empty == {
        "year": 2027,
        "library_covers": False,
        "declaration": None,
        "holidays": [],
        "workdays": [],
    }

    saved = await put_year(client, world, 2027, NOTICE_2027)
    read = (await client.get(f"{CALENDAR}/2027", headers=admin.headers)).json()
    assert read == saved
    assert read["holidays"] == NOTICE_2027["holidays"] and read["workdays"] == NOTICE_2027["workdays"]
    assert read["declaration"]["source"] == NOTICE_2027["source"]
    assert read["declaration"]["declared_by"] == admin.id

    coverage = (await client.get(CALENDAR, headers=admin.headers)).json()
    assert coverage["declared_years"] == [2027] and coverage["library_last_year"] >= 2026
    library_year = (await client.get(f"{CALENDAR}/2025", headers=admin.headers)).json()
    assert library_year["library_covers"] is True and library_year["declaration"] is None

    audit = await pool.fetchrow(
        "SELECT actor_user_id, object_id, detail FROM audit_log WHERE action = 'calendar.declare_year'"
    )
    assert (audit["actor_user_id"], audit["object_id"]) == (admin.id, "2027")
    assert audit["detail"]["holidays"] == ["2027-01-01", "2027-01-04"]


async def test_entering_a_year_again_replaces_it_whole(client: AsyncTestClient, world: World) -> None:
    await put_year(client, world, 2027, NOTICE_2027)
    corrected = {
        "source": "国办发明电〔2026〕X号（更正）",
        "holidays": [{"date": "2027-01-01", "name": "元旦"}],
        "workdays": [],
    }
    saved = await put_year(client, world, 2027, corrected)
    assert saved["holidays"] == corrected["holidays"] and saved["workdays"] == []
    assert saved["declaration"]["source"] == corrected["source"]


async def test_only_admins_may_read_or_enter_the_calendar(client: AsyncTestClient, world: World) -> None:
    for role in (Role.county, Role.township, Role.helper):
        user = world.user(role)
        put = await client.put(f"{CALENDAR}/2027", json=NOTICE_2027, headers=user.headers)
        assert put.status_code == 403 and put.json()["code"] == "forbidden"
        get = await client.get(f"{CALENDAR}/2027", headers=user.headers)
        assert get.status_code == 403
    farmer = await client.put(f"{CALENDAR}/2027", json=NOTICE_2027, headers=world.farmer.headers)  # type: ignore[union-attr]
    assert farmer.status_code == 403
    assert (await client.put(f"{CALENDAR}/2027", json=NOTICE_2027)).status_code == 401
    admin = world.user(Role.admin)
    assert (await client.get(f"{CALENDAR}/2027", headers=admin.headers)).json()["declaration"] is None


async def test_a_wrong_notice_is_refused_field_by_field_and_keeps_what_was_there(
    client: AsyncTestClient, world: World
) -> None:
    await put_year(client, world, 2027, NOTICE_2027)
    wrong = copy.deepcopy(NOTICE_2027)
    wrong["source"] = "改坏了的通知"
    wrong["holidays"].append({"date": "2028-01-01", "name": "元旦"})
    wrong["workdays"] += [{"date": "2027-01-01", "name": "元旦调休"}, {"date": "2027-01-06", "name": "调休"}]
    refused = await put_year(client, world, 2027, wrong, expect=422)
    assert refused["code"] == "invalid_calendar_entry"
    reasons: dict[str, str] = {}
    for problem in refused["detail"]:
        reasons[problem["field"]] = reasons.get(problem["field"], "") + problem["reason"]
    assert set(reasons) == {"holidays[2].date", "workdays[1].date", "workdays[2].date"}
    assert "不在2027年内" in reasons["holidays[2].date"]
    assert "既放假又调休上班" in reasons["workdays[1].date"] and "星期五" in reasons["workdays[1].date"]
    assert "星期三" in reasons["workdays[2].date"]

    admin = world.user(Role.admin)
    kept = (await client.get(f"{CALENDAR}/2027", headers=admin.headers)).json()
    assert (
        kept["declaration"]["source"] == NOTICE_2027["source"] and kept["holidays"] == NOTICE_2027["holidays"]
    )


async def test_malformed_input_is_400_with_the_field(client: AsyncTestClient, world: World) -> None:
    missing_source = {k: v for k, v in NOTICE_2027.items() if k != "source"}
    refused = await put_year(client, world, 2027, missing_source, expect=400)
    assert refused["code"] == "validation_failed" and "source" in refused["detail"][0]["reason"]

    bad_date = copy.deepcopy(NOTICE_2027)
    bad_date["holidays"][1]["date"] = "2027-02-30"
    refused = await put_year(client, world, 2027, bad_date, expect=400)
    assert refused["detail"][0]["field"] == "holidays[1].date"

    nameless = copy.deepcopy(NOTICE_2027)
    nameless["workdays"][0]["name"] = ""
    refused = await put_year(client, world, 2027, nameless, expect=400)
    assert refused["detail"][0]["field"] == "workdays[0].name"

    refused = await put_year(client, world, 1999, NOTICE_2027, expect=400)
    assert refused["code"] == "validation_failed" and refused["detail"][0]["field"] == "year"
    admin = world.user(Role.admin)
    assert (await client.get(f"{CALENDAR}/2027", headers=admin.headers)).json()["declaration"] is None
