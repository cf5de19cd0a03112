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
DEC_18_2026 = dt.datetime(2026, 12, 18, 10, 0, tzinfo=SHANGHAI)  # Friday: the 10th working day is in 2027
FARMER_APPS = "/api/miniapp/farmer/applications"
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


async def views(flow: Flow, case_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The case as county staff and as the farmer see it."""
    staff = await flow.call("GET", flow.user(Role.county), f"/api/applications/{case_id}", expect=200)
    mine = await flow.call("GET", flow.user(Role.farmer), f"{FARMER_APPS}/{case_id}", expect=200)
    return staff.json(), mine.json()


async def approve_at(flow: Flow, clock: Any, moment: dt.datetime) -> int:
    case_id = await flow.to_state("county_approval")
    clock(moment)
    approved = await flow.step(Role.county, case_id, "approve", APPROVAL)
    assert approved["state"] == "approved"
    return case_id


async def test_without_the_2027_notice_the_approval_goes_through_with_a_provisional_due_date(
    flow: Flow, clock: Any
) -> None:
    case_id = await flow.to_state("county_approval")
    clock(DEC_18_2026)
    # a role that never approves is still told so
    not_theirs = await flow.step(Role.township, case_id, "approve", APPROVAL, expect=403)
    assert not_theirs["code"] == "role_may_not_act"
    approved = await flow.step(Role.county, case_id, "approve", APPROVAL)
    # 12/21–25, 12/28–31, and 2027-01-01 (元旦, provisional calendar) is off: Monday 1/4.
    assert approved["state"] == "approved" and approved["plan_due_date"] == "2027-01-04"
    assert approved["plan_due_provisional"] is True
    household = flow.world.households["a1a"].id
    assert (
        await flow.pool.fetchval("SELECT monitoring_status FROM households WHERE id = $1", household)
        == "monitoring"
    )

    staff, mine = await views(flow, case_id)
    for view in (staff, mine):
        assert (view["plan_due_date"], view["plan_due_provisional"]) == ("2027-01-04", True)
        assert view["next_step"]["due_date"] == "2027-01-04"
        assert view["next_step"]["due_date_provisional"] is True
        assert "可能调整" in view["next_step"]["what"]
    assert mine["next_step"] == staff["next_step"]  # the farmer's next step is what staff see
    helper_note = await flow.pool.fetchval(
        "SELECT body FROM notifications WHERE user_id = $1 AND event = 'case_waiting' "
        "ORDER BY id DESC LIMIT 1",
        flow.world.user(Role.helper).id,
    )
    assert "1月4日（暂定）前" in helper_note


async def test_entering_the_2027_notice_recounts_the_provisional_due_dates_and_tells_who_is_concerned(
    flow: Flow, clock: Any
) -> None:
    case_id = await approve_at(flow, clock, DEC_18_2026)
    since = await flow.last_notification_id()
    clock(DEC_18_2026 + dt.timedelta(days=3))  # Monday: 1/4 has not passed
    await put_year(flow.client, flow.world, 2027, NOTICE_2027)

    # On the entered notice 1/2 (Saturday) is worked: the 10th working day is 1/2, no longer provisional.
    staff, mine = await views(flow, case_id)
    for view in (staff, mine):
        assert view["plan_due_date"] == "2027-01-02" and "plan_due_provisional" not in view  # false
        assert view["next_step"] == {"who": "帮扶责任人", "what": "为您家制定帮扶计划（一户一策）", "due_date": "2027-01-02"}

    farmer, helper = flow.world.farmer.id, flow.world.user(Role.helper).id  # type: ignore[union-attr]
    told = await flow.pool.fetch(
        "SELECT user_id, title, body, data FROM notifications WHERE id > $1 ORDER BY user_id", since
    )
    assert sorted(r["user_id"] for r in told) == sorted([farmer, helper])
    for note in told:
        assert note["title"] == "办理期限调整"
        assert "由1月4日（暂定）调整为1月2日" in note["body"]
        assert note["data"]["application_id"] == str(case_id)
    assert await flow.pool.fetchval(
        "SELECT count(*) FROM notifications WHERE id > $1 AND event = 'due_date_changed'", since
    ) == 2

    admin = flow.world.user(Role.admin)
    audit = await flow.pool.fetchrow(
        "SELECT actor_user_id, detail, request_id FROM audit_log "
        "WHERE action = 'application.plan_due_recounted' AND object_id = $1",
        str(case_id),
    )
    assert audit["actor_user_id"] == admin.id
    assert audit["detail"] == {"from": "2027-01-04", "to": "2027-01-02", "provisional": False}
    declared = await flow.pool.fetchval(
        "SELECT request_id FROM audit_log WHERE action = 'calendar.declare_year'"
    )
    assert audit["request_id"] == declared  # one request, one transaction

    # The new dates are final: entering the year again does not recount or notify.
    again = await flow.last_notification_id()
    await put_year(flow.client, flow.world, 2027, {**NOTICE_2027, "workdays": []})
    assert await flow.last_notification_id() == again
    assert (await views(flow, case_id))[0]["plan_due_date"] == "2027-01-02"


async def test_a_recounted_date_that_did_not_move_stops_being_provisional_without_a_message(
    flow: Flow, clock: Any
) -> None:
    # From Thursday 12/24 the 10th working day is 1/8 both ways (1/1 off; 1/2 worked but 1/4 off).
    case_id = await approve_at(flow, clock, CHRISTMAS_EVE_2026)
    assert (await views(flow, case_id))[0]["plan_due_provisional"] is True
    since = await flow.last_notification_id()
    await put_year(flow.client, flow.world, 2027, NOTICE_2027)
    staff, mine = await views(flow, case_id)
    assert staff["plan_due_date"] == "2027-01-08" and "plan_due_provisional" not in staff
    assert "due_date_provisional" not in mine["next_step"]
    assert await flow.last_notification_id() == since
    assert await flow.pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'application.plan_due_recounted'"
    ) == 1


async def test_a_provisional_date_already_passed_stays_as_it_was(flow: Flow, clock: Any) -> None:
    case_id = await approve_at(flow, clock, DEC_18_2026)
    since = await flow.last_notification_id()
    clock(dt.datetime(2027, 1, 5, 9, 0, tzinfo=SHANGHAI))  # the notice is entered late: 1/4 is past
    await put_year(flow.client, flow.world, 2027, NOTICE_2027)
    staff, _ = await views(flow, case_id)
    assert (staff["plan_due_date"], staff["plan_due_provisional"]) == ("2027-01-04", True)
    assert await flow.last_notification_id() == since


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
    assert refused["code"] == "validation_failed" and refused["detail"][0]["field"] == "source"

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
