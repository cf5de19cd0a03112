"""The service with control of "now", the outbox rows each step writes, and photo attachments."""

from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from backend.applications import errors, service
from schemas.applications import Approval, RiskType
from schemas.base import Role
from schemas.registry import MonitoringType
from tests.applications.conftest import VERIFICATION, Flow, now, today

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPROVAL = Approval(monitoring_type=MonitoringType.marginal, risk_types=[RiskType.illness])


async def test_plan_due_date_across_national_day_with_swapped_workdays(
    flow: Flow, pool: asyncpg.Pool
) -> None:
    case_id = await flow.to_state("county_approval")
    county = flow.world.user(Role.county).principal
    approved_at = dt.datetime(2025, 9, 26, 15, 0, tzinfo=SHANGHAI)  # the Friday before National Day
    async with pool.acquire() as conn:
        await service.approve(conn, county, case_id, APPROVAL, approved_at)
    row = await pool.fetchrow("SELECT state, plan_due_date FROM applications WHERE id = $1", case_id)
    # 9/28 (Sunday) and 10/11 (Saturday) were worked; 10/1–10/8 were not.
    assert (row["state"], row["plan_due_date"]) == ("approved", dt.date(2025, 10, 16))
    helper_note = await pool.fetchval(
        "SELECT body FROM notifications WHERE user_id = $1 AND event = 'case_waiting' ORDER BY id DESC LIMIT 1",
        flow.world.user(Role.helper).id,
    )
    assert "10月16日" in helper_note


async def test_approval_beyond_the_calendar_data_goes_through_on_the_provisional_calendar(
    flow: Flow, pool: asyncpg.Pool
) -> None:
    case_id = await flow.to_state("county_approval")
    county = flow.world.user(Role.county).principal
    async with pool.acquire() as conn:
        await service.approve(conn, county, case_id, APPROVAL, dt.datetime(2099, 12, 20, tzinfo=SHANGHAI))
    row = await pool.fetchrow(
        "SELECT state, plan_due_date, plan_due_provisional FROM applications WHERE id = $1", case_id
    )
    # 12/21–25, 12/28–31, then 2100-01-01 (元旦) is off on the provisional calendar.
    assert tuple(row) == ("approved", dt.date(2100, 1, 4), True)
    household = await pool.fetchval(
        "SELECT monitoring_status FROM households WHERE id = $1", flow.world.households["a1a"].id
    )
    assert household == "monitoring"


async def test_each_step_notifies_the_right_people(flow: Flow) -> None:
    world = flow.world
    farmer, helper = world.farmer.id, world.user(Role.helper).id  # type: ignore[union-attr]
    village, township, county = (
        world.user(Role.village).id,
        world.user(Role.township).id,
        world.user(Role.county).id,
    )

    async def after(action):  # the rows written by one step
        mark = await flow.last_notification_id()
        await action()
        return await flow.notifications(mark)

    case_id = 0

    async def submit() -> None:
        nonlocal case_id
        case_id = (await flow.submit())["id"]

    assert await after(submit) == sorted([(farmer, "application_received"), (helper, "case_waiting")])
    assert await after(lambda: flow.step(Role.helper, case_id, "verify", VERIFICATION)) == [
        (village, "case_waiting")
    ]
    # The village user who reviewed is the one who posts the notice: nobody else to tell.
    assert (
        await after(
            lambda: flow.step(Role.village, case_id, "village-review", {"passed": True, "minutes": "通过"})
        )
        == []
    )
    notice = {"start_date": str(today()), "end_date": str(today() + dt.timedelta(days=5))}
    assert await after(lambda: flow.step(Role.village, case_id, "notice", notice)) == [
        (farmer, "application_in_notice")
    ]

    def objection():
        return flow.post(
            flow.neighbour, f"/api/miniapp/farmer/notices/{case_id}/objections", {"content": "有疑问"}
        )

    assert await after(objection) == [(village, "case_waiting")]
    objection_id = await flow.pool.fetchval(
        "SELECT id FROM application_objections WHERE application_id = $1", case_id
    )
    assert (
        await after(
            lambda: flow.step(Role.village, case_id, f"objections/{objection_id}/resolve", {"note": "已核实"})
        )
        == []
    )
    await flow.backdate_notice(case_id)
    assert await after(lambda: flow.step(Role.village, case_id, "end-notice", {})) == [
        (township, "case_waiting")
    ]
    assert await after(lambda: flow.step(Role.township, case_id, "township-review", {})) == [
        (county, "case_waiting")
    ]
    returned = await after(lambda: flow.step(Role.county, case_id, "return", {"reason": "补充低保证明"}))
    assert returned == sorted([(farmer, "application_returned"), (helper, "application_returned")])

    def answer():
        return flow.post(
            world.farmer, f"/api/miniapp/farmer/applications/{case_id}/answer", {"comment": "已补充"}
        )  # type: ignore[arg-type]

    assert await after(answer) == [(county, "case_waiting")]
    approve = {"monitoring_type": "marginal", "risk_types": ["illness"]}
    assert await after(lambda: flow.step(Role.county, case_id, "approve", approve)) == sorted(
        [(farmer, "application_approved"), (helper, "case_waiting")]
    )
    # Staff of county B were never told anything; the neighbour only about nothing.
    strangers = {u.id for u in world.other_county.values()} | {flow.neighbour.id}
    assert not strangers & {r["user_id"] for r in await flow.pool.fetch("SELECT user_id FROM notifications")}
    rows = await flow.pool.fetch(
        "SELECT title, body, data FROM notifications WHERE event = 'application_returned' AND user_id = $1",
        farmer,
    )
    assert "补充低保证明" in rows[0]["body"] and rows[0]["data"]["application_id"] == str(case_id)


async def test_rejection_notifies_the_farmer_with_the_reason(flow: Flow) -> None:
    case_id = await flow.to_state("county_approval")
    mark = await flow.last_notification_id()
    await flow.step(Role.county, case_id, "reject", {"reason": "家庭人均纯收入高于监测范围"})
    rows = await flow.pool.fetch("SELECT user_id, event, body FROM notifications WHERE id > $1", mark)
    assert [(r["user_id"], r["event"]) for r in rows] == [(flow.world.farmer.id, "application_rejected")]  # type: ignore[union-attr]
    assert "家庭人均纯收入高于监测范围" in rows[0]["body"]


async def _photo(pool: asyncpg.Pool, owner_id: int, uploader: int) -> int:
    sha = hashlib.sha256(f"{owner_id}-{uploader}".encode()).digest()
    await pool.execute(
        "INSERT INTO photo_blobs (sha256, format, size_bytes, width, height) VALUES ($1, 'jpeg', 1000, 10, 10)",
        sha,
    )
    return await pool.fetchval(
        "INSERT INTO photos (owner_kind, owner_id, uploaded_by, sha256) VALUES ('application', $1, $2, $3) RETURNING id",
        owner_id,
        uploader,
        sha,
    )


async def test_attachments_must_be_photos_of_this_case(flow: Flow, pool: asyncpg.Pool) -> None:
    farmer = flow.world.farmer
    draft = (
        await flow.call(
            "PUT", farmer, "/api/miniapp/farmer/applications/draft", {"narrative": "草稿"}, expect=200
        )
    ).json()  # type: ignore[arg-type]
    mine = await _photo(pool, draft["id"], farmer.id)  # type: ignore[union-attr]
    elsewhere = await _photo(pool, draft["id"] + 1000, farmer.id)  # type: ignore[union-attr]
    refused = await flow.submit(
        {"risk_types": ["illness"], "narrative": "看病花钱多", "photo_ids": [mine, elsewhere]}, expect=422
    )
    assert refused["code"] == "photo_not_on_application"
    assert await pool.fetchval("SELECT state FROM applications WHERE id = $1", draft["id"]) == "draft"
    case = await flow.submit({"risk_types": ["illness"], "narrative": "看病花钱多", "photo_ids": [mine]})
    assert case["timeline"][0]["attachments"] == [mine]


async def test_department_alerts_open_cases_through_the_same_function(flow: Flow, pool: asyncpg.Pool) -> None:
    from schemas.applications import CaseOpen, Source

    household = flow.neighbour_household  # in the helper's village, no helper assigned yet
    data = CaseOpen(
        household_id=household.id, risk_types=[RiskType.illness], narrative="医保：自付医疗费用超过1万元"
    )
    county = flow.world.user(Role.county).principal
    async with pool.acquire() as conn:
        with pytest.raises(errors.RoleMayNotAct):  # a village does not convert alerts
            await service.open_case(
                conn, flow.world.user(Role.village).principal, data, now(), source=Source.department_alert
            )
        done = await service.open_case(conn, county, data, now(), source=Source.department_alert)
        with pytest.raises(errors.HouseholdNotFound):  # county B's households are out of scope
            other = CaseOpen(
                household_id=flow.world.households["b1a"].id, risk_types=[RiskType.illness], narrative="x"
            )
            await service.open_case(conn, county, other, now(), source=Source.department_alert)
    row = await pool.fetchrow(
        "SELECT source, state, discovered_at FROM applications WHERE id = $1", done.application_id
    )
    assert (row["source"], row["state"]) == ("department_alert", "verification") and row["discovered_at"]
    # Nobody is assigned: every helper and grid officer covering the village is told.
    told = {
        r["user_id"]
        for r in await pool.fetch("SELECT user_id FROM notifications WHERE event = 'case_waiting'")
    }
    assert told == {flow.world.user(Role.helper).id, flow.world.user(Role.grid_officer).id}


async def test_farmer_lists_own_cases_newest_first(flow: Flow) -> None:
    first = await flow.to_state("verification")
    await flow.post(flow.world.farmer, f"/api/miniapp/farmer/applications/{first}/withdraw", {})  # type: ignore[arg-type]
    second = (await flow.submit())["id"]
    mine = (await flow.call("GET", flow.world.farmer, "/api/miniapp/farmer/applications", expect=200)).json()  # type: ignore[arg-type]
    assert [(c["id"], c["state_label"]) for c in mine] == [(second, "待入户核实"), (first, "已撤回")]
    neighbours = (
        await flow.call("GET", flow.neighbour, "/api/miniapp/farmer/applications", expect=200)
    ).json()
    assert neighbours == []
