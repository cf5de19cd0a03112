"""Risk elimination end to end over HTTP: the 6-month rule, village review, notice with an
objection, township review and county approval, the farmer told, and enrolment again later."""

from __future__ import annotations

import datetime as dt

import asyncpg

from backend.applications import elimination
from schemas.base import Role
from tests.applications.conftest import Flow, SetNow, today
from tests.elimination.conftest import EVIDENCE, at, enrol, propose
from tests.photos.conftest import phone_photo, upload_files


def test_six_months_count_like_the_civil_code() -> None:
    # The approval day does not count; a month without the corresponding day ends on its last day.
    assert elimination.eligible_from(dt.date(2025, 5, 12), 6) == dt.date(2025, 11, 13)
    assert elimination.eligible_from(dt.date(2025, 8, 31), 6) == dt.date(2026, 3, 1)  # 2/28 is the 6th month's end
    assert elimination.eligible_from(dt.date(2025, 12, 31), 2) == dt.date(2026, 3, 1)


async def test_refused_before_six_months_with_the_date_it_becomes_possible(
    flow: Flow, clock: SetNow, pool: asyncpg.Pool
) -> None:
    await enrol(flow, clock)
    household = flow.world.households["a1a"].id
    clock(at(dt.date(2025, 11, 12), 23))  # the last evening of the sixth month
    refused = await propose(flow, household, expect=409)
    assert refused["code"] == "monitored_too_short"
    assert "2025年11月13日" in refused["message"]
    assert await pool.fetchval("SELECT count(*) FROM applications WHERE kind = 'risk_elimination'") == 0

    clock(at(dt.date(2025, 11, 13), 8))
    case = await propose(flow, household)
    assert (case["kind"], case["state"], case["state_label"]) == ("risk_elimination", "village_review", "待村民主评议")
    assert (case["verified_income_fen"], case["verified_rigid_expense_fen"], case["member_count"]) == (
        EVIDENCE["net_income_fen"],
        EVIDENCE["rigid_expense_fen"],
        3,
    )
    assert case["overdue"] is False and "deadline_date" not in case
    again = await propose(flow, household, expect=409)
    assert again["code"] == "open_application_exists"


async def test_end_to_end_then_enrolled_again_by_a_new_case(flow: Flow, clock: SetNow, pool: asyncpg.Pool) -> None:
    world = flow.world
    household = world.households["a1a"].id
    await enrol(flow, clock)
    clock(at(dt.date(2025, 12, 1)))
    mark = await flow.last_notification_id()
    case_id = (await propose(flow, household))["id"]
    assert await flow.notifications(mark) == [(world.user(Role.village).id, "case_waiting")]

    # The reviewers use the same steps as for an enrolment.
    await flow.step(Role.village, case_id, "village-review", {"passed": True, "minutes": "到会21人，同意风险消除。"})
    four = {"start_date": str(today()), "end_date": str(today() + dt.timedelta(days=4))}
    assert (await flow.step(Role.village, case_id, "notice", four, expect=409))["code"] == "notice_too_short"
    mark = await flow.last_notification_id()
    five = {"start_date": str(today()), "end_date": str(today() + dt.timedelta(days=5))}
    await flow.step(Role.village, case_id, "notice", five)
    assert await flow.notifications(mark) == [(world.farmer.id, "application_in_notice")]  # type: ignore[union-attr]
    farmer_note = await pool.fetchval("SELECT body FROM notifications WHERE id > $1", mark)
    assert "风险消除" in farmer_note

    notice_board = (await flow.call("GET", flow.neighbour, "/api/miniapp/farmer/notices", expect=200)).json()
    assert [n["id"] for n in notice_board] == [case_id]
    objection = await flow.post(
        flow.neighbour, f"/api/miniapp/farmer/notices/{case_id}/objections", {"content": "他家今年还在看病，恐怕不稳"}
    )
    assert (await flow.step(Role.village, case_id, "end-notice", {}, expect=409))["code"] == "notice_not_over"
    clock(at(dt.date(2025, 12, 7)))  # the notice ran 12/1–12/6: over
    assert (await flow.step(Role.village, case_id, "end-notice", {}, expect=409))["code"] == "objection_unresolved"
    await flow.step(
        Role.village, case_id, f"objections/{objection['id']}/resolve", {"note": "医保报销后自付很少，收入稳定"}
    )
    await flow.step(Role.village, case_id, "end-notice", {})
    clock(at(dt.date(2025, 12, 30)))  # a month after the proposal: no 15-day limit applies
    await flow.step(Role.township, case_id, "township-review", {"comment": "材料齐全"})
    waiting = await flow.call("GET", world.user(Role.county), "/api/applications?overdue=true", expect=200)
    assert waiting.json()["items"] == []

    # The enrolment's approval does not apply to this kind of case, nor this one to an enrolment.
    wrong = await flow.step(Role.county, case_id, "approve", {"monitoring_type": "marginal", "risk_types": ["illness"]}, expect=403)
    assert wrong["code"] == "role_may_not_act"
    mark = await flow.last_notification_id()
    done = await flow.post(world.user(Role.county), f"/api/applications/{case_id}/approve-elimination", {"comment": "同意"})
    assert (done["state"], done["state_label"]) == ("approved", "风险已消除")
    row = await pool.fetchrow("SELECT monitoring_status, monitoring_type FROM households WHERE id = $1", household)
    assert tuple(row) == ("risk_eliminated", None)
    assert await flow.notifications(mark) == [(world.farmer.id, "risk_eliminated")]  # type: ignore[union-attr]
    farmer_view = (
        await flow.call("GET", world.farmer, f"/api/miniapp/farmer/applications/{case_id}", expect=200)  # type: ignore[arg-type]
    ).json()
    assert farmer_view["timeline"][-1]["text"] == "县乡村振兴局审定通过，您家风险已消除，不再作为防返贫监测对象"
    assert "他家今年" not in str(farmer_view)
    closed = await flow.step(Role.county, case_id, "reject", {"reason": "改主意"}, expect=409)
    assert "“风险已消除”" in closed["message"]

    # Later the household falls into hardship again: a new self-report enrols it again.
    clock(at(dt.date(2026, 3, 2)))
    again = await flow.to_state("county_approval")
    await flow.step(Role.county, again, "approve", {"monitoring_type": "sudden_hardship", "risk_types": ["disaster"]})
    row = await pool.fetchrow("SELECT monitoring_status, monitoring_type FROM households WHERE id = $1", household)
    assert tuple(row) == ("monitoring", "sudden_hardship")
    # Monitored since the new approval: the next elimination waits six months from it.
    refused = await propose(flow, household, expect=409)
    assert "2026年9月3日" in refused["message"]


async def test_the_county_can_reject_and_the_household_stays_monitored(
    flow: Flow, clock: SetNow, pool: asyncpg.Pool
) -> None:
    await enrol(flow, clock)
    clock(at(dt.date(2025, 12, 1)))
    household = flow.world.households["a1a"].id
    case_id = (await propose(flow, household))["id"]
    mark = await flow.last_notification_id()
    failed = await flow.step(
        Role.village, case_id, "village-review", {"passed": False, "minutes": "多数不同意", "reason": "收入还不稳定"}
    )
    assert (failed["state"], failed["state_label"]) == ("rejected", "未通过，继续监测")
    assert await flow.notifications(mark) == [(flow.world.user(Role.helper).id, "application_rejected")]
    assert await pool.fetchval("SELECT monitoring_status FROM households WHERE id = $1", household) == "monitoring"
    assert (await propose(flow, household))["state"] == "village_review"  # a new proposal may follow


async def test_monitored_before_any_case_cannot_be_checked(flow: Flow, clock: SetNow, pool: asyncpg.Pool) -> None:
    household = flow.world.households["a1a"].id
    await pool.execute(
        "UPDATE households SET monitoring_status = 'monitoring', monitoring_type = 'marginal' WHERE id = $1", household
    )
    refused = await propose(flow, household, expect=409)
    assert refused["code"] == "monitoring_start_unknown"


async def test_a_returned_proposal_is_answered_by_its_helper(flow: Flow, clock: SetNow) -> None:
    world = flow.world
    await enrol(flow, clock)
    clock(at(dt.date(2025, 12, 1)))
    case_id = (await propose(flow, world.households["a1a"].id))["id"]
    mark = await flow.last_notification_id()
    returned = await flow.step(Role.village, case_id, "return", {"reason": "请补充务工收入证明"})
    assert returned["state"] == "returned"
    assert await flow.notifications(mark) == [(world.user(Role.helper).id, "application_returned")]
    farmer = await flow.post(
        world.farmer,  # type: ignore[arg-type]
        f"/api/miniapp/farmer/applications/{case_id}/answer",
        {"comment": "我来补充"},
        expect=403,
    )
    assert farmer["code"] == "role_may_not_act"
    helper_view = (
        await flow.call("GET", world.user(Role.helper), f"/api/miniapp/helper/applications/{case_id}", expect=200)
    ).json()
    assert helper_view["next_step"]["who"] == "帮扶责任人"
    # The evidence photo goes to the case (owner kind application) and is attached to the answer.
    uploaded = await flow.client.post(
        f"/api/applications/{case_id}/photos",
        headers=world.user(Role.helper).headers,
        **upload_files(phone_photo(seed=7), "contract.jpg"),
    )
    assert uploaded.status_code == 201, uploaded.text
    photo_id = uploaded.json()["id"]
    answered = await flow.post(
        world.user(Role.helper),
        f"/api/miniapp/helper/applications/{case_id}/answer-return",
        {"comment": "已补充劳务合同和工资流水", "photo_ids": [photo_id]},
    )
    assert answered["state"] == "village_review"
    assert answered["timeline"][-1]["attachments"] == [photo_id]
    listed = await flow.call("GET", world.user(Role.village), f"/api/applications/{case_id}/photos", expect=200)
    assert [p["id"] for p in listed.json()["items"]] == [photo_id]
