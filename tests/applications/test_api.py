"""The identification workflow through HTTP, as the farmer, helper, village, township and county
users drive it."""

from __future__ import annotations

import asyncio
import datetime as dt

from backend.pii import Pii
from schemas.base import Role
from tests.applications.conftest import SELF_REPORT, VERIFICATION, Flow, now, today
from tests.factories import World

FARMER_APPS = "/api/miniapp/farmer/applications"


async def test_happy_path_from_self_report_to_county_approval(flow: Flow) -> None:
    world, farmer = flow.world, flow.world.farmer
    assert farmer is not None

    # The farmer saves a draft, then submits it.
    draft = await flow.call(
        "PUT",
        farmer,
        f"{FARMER_APPS}/draft",
        {"risk_types": ["illness"], "narrative": "先存一下"},
        expect=200,
    )
    assert draft.json()["state"] == "draft"
    case = await flow.submit()
    case_id = case["id"]
    assert case_id == draft.json()["id"]
    assert case["state"] == "verification" and case["source"] == "self_report"
    assert case["next_step"]["who"] == "帮扶干部"
    assert case["deadline_date"] == str(today() + dt.timedelta(days=15))

    # The helper sees it in their task list and verifies at home (mini-program route).
    helper = world.user(Role.helper)
    tasks = (await flow.call("GET", helper, "/api/miniapp/helper/tasks", expect=200)).json()
    assert [t["id"] for t in tasks["items"]] == [case_id] and tasks["by_state"] == {"verification": 1}
    verified = await flow.post(helper, f"/api/miniapp/helper/applications/{case_id}/verify", VERIFICATION)
    assert verified["state"] == "village_review"
    assert verified["verified_income_fen"] == 1_100_000

    # Village democratic review and public notice.
    await flow.step(
        Role.village, case_id, "village-review", {"passed": True, "minutes": "到会23人，全票同意。"}
    )
    notice = {"start_date": str(today()), "end_date": str(today() + dt.timedelta(days=5))}
    in_notice = await flow.step(Role.village, case_id, "notice", notice)
    assert in_notice["state"] == "in_notice"
    board = (await flow.call("GET", flow.neighbour, "/api/miniapp/farmer/notices", expect=200)).json()
    assert [n["id"] for n in board] == [case_id]
    early = await flow.step(Role.village, case_id, "end-notice", {}, expect=409)
    assert early["code"] == "notice_not_over"
    await flow.backdate_notice(case_id)
    await flow.step(Role.village, case_id, "end-notice", {})

    # Township review, county approval.
    township = await flow.step(Role.township, case_id, "township-review", {"comment": "材料齐全"})
    assert township["state"] == "county_approval"
    approved = await flow.step(
        Role.county, case_id, "approve", {"monitoring_type": "sudden_hardship", "risk_types": ["illness"]}
    )
    assert approved["state"] == "approved"
    assert approved["plan_due_date"]
    household = (
        await flow.call(
            "GET", world.user(Role.county), f"/api/households/{world.households['a1a'].id}", expect=200
        )
    ).json()
    assert (
        household["monitoring_status"] == "monitoring" and household["monitoring_type"] == "sudden_hardship"
    )

    # The farmer reads every step in plain Chinese, and what comes next.
    mine = (await flow.call("GET", farmer, f"{FARMER_APPS}/{case_id}", expect=200)).json()
    texts = [e["text"] for e in mine["timeline"]]
    assert texts[0] == "您提交了监测申请，已受理"
    assert "村委会已完成民主评议，结果：通过" in texts
    assert texts[-1] == "县乡村振兴局审定通过，您家已纳入防返贫监测（突发严重困难户）"
    assert len(texts) == 7
    assert mine["next_step"] == {
        "who": "帮扶责任人",
        "what": "为您家制定帮扶计划（一户一策）",
        "due_date": approved["plan_due_date"],
    }
    assert "到会23人" not in str(mine)  # review minutes stay with the staff
    assert "objections" not in mine and "negative_list_hits" not in mine


async def test_cadre_screening_opens_a_case_for_a_household_in_scope(flow: Flow) -> None:
    grid = flow.world.user(Role.grid_officer)
    household = flow.world.households["a1a"]
    case = await flow.post(
        grid,
        "/api/applications",
        {"household_id": household.id, "risk_types": ["disaster"], "narrative": "房屋被洪水冲毁"},
    )
    assert case["source"] == "cadre_screening" and case["state"] == "verification"
    assert case["assignee_user_id"] == grid.id
    # The farmer sees it as their own case.
    mine = (await flow.call("GET", flow.world.farmer, f"{FARMER_APPS}/{case['id']}", expect=200)).json()
    assert mine["timeline"][0]["text"] == "干部走访排查时发现您家可能有困难，已为您登记申请"
    # A household outside the officer's village does not exist for them.
    outside = await flow.post(
        grid,
        "/api/applications",
        {"household_id": flow.world.households["b1a"].id, "risk_types": ["disaster"], "narrative": "x"},
        expect=404,
    )
    assert outside["code"] == "household_not_found"
    # Only the officer who opened it verifies it.
    other = await flow.post(
        flow.world.user(Role.helper), f"/api/applications/{case['id']}/verify", VERIFICATION, expect=403
    )
    assert other["code"] == "not_assigned_verifier"


async def test_roles_that_may_not_act_get_403_and_wrong_states_409(flow: Flow) -> None:
    case_id = await flow.to_state("village_review")
    approve = {"monitoring_type": "marginal", "risk_types": ["illness"]}
    assert (await flow.step(Role.village, case_id, "approve", approve, expect=403))[
        "code"
    ] == "role_may_not_act"
    assert (await flow.step(Role.farmer, case_id, "approve", approve, expect=403))[
        "code"
    ] == "role_may_not_act"
    wrong_state = await flow.step(Role.county, case_id, "approve", approve, expect=409)
    assert wrong_state["code"] == "action_not_allowed_in_state" and "待村民主评议" in wrong_state["message"]
    assert (await flow.step(Role.township, case_id, "township-review", {}, expect=409))[
        "code"
    ] == "action_not_allowed_in_state"
    # The same village user cannot review twice: the case has moved on.
    await flow.step(Role.village, case_id, "village-review", {"passed": True, "minutes": "通过"})
    again = await flow.step(
        Role.village, case_id, "village-review", {"passed": True, "minutes": "通过"}, expect=409
    )
    assert again["code"] == "action_not_allowed_in_state"


async def test_every_staff_step_is_refused_outside_its_state(flow: Flow) -> None:
    steps = {
        "verify": (Role.helper, VERIFICATION),
        "village-review": (Role.village, {"passed": True, "minutes": "通过"}),
        "notice": (
            Role.village,
            {"start_date": str(today()), "end_date": str(today() + dt.timedelta(days=5))},
        ),
        "end-notice": (Role.village, {}),
        "township-review": (Role.township, {}),
        "approve": (Role.county, {"monitoring_type": "marginal", "risk_types": ["illness"]}),
        "reject": (Role.county, {"reason": "收入高于监测范围"}),
    }
    legal = {
        "verification": {"verify"},
        "village_review": {"village-review"},
        "awaiting_notice": {"notice"},
        "in_notice": {"end-notice"},
        "township_review": {"township-review"},
        "county_approval": {"approve", "reject"},
    }
    for state, allowed in legal.items():
        case_id = await flow.to_state(state)
        for path, (role, body) in steps.items():
            if path in allowed:
                continue
            refused = await flow.step(role, case_id, path, body, expect=409)
            assert refused["code"] == "action_not_allowed_in_state", (state, path)
        await flow.post(flow.world.farmer, f"{FARMER_APPS}/{case_id}/withdraw", {})  # type: ignore[arg-type]


async def test_scope_hides_cases_of_other_areas_and_households(flow: Flow, world: World) -> None:
    case_id = await flow.to_state("township_review")
    other_township = world.other_county[Role.township]
    assert (await flow.call("GET", other_township, f"/api/applications/{case_id}", expect=404)).json()[
        "code"
    ] == "application_not_found"
    acted = await flow.post(other_township, f"/api/applications/{case_id}/township-review", {}, expect=404)
    assert acted["code"] == "application_not_found"
    assert (await flow.call("GET", flow.neighbour, f"{FARMER_APPS}/{case_id}", expect=404)).status_code == 404
    listed = (await flow.call("GET", other_township, "/api/applications", expect=200)).json()
    assert listed["items"] == []
    withdraw = await flow.post(flow.neighbour, f"{FARMER_APPS}/{case_id}/withdraw", {}, expect=404)
    assert withdraw["code"] == "application_not_found"


async def test_a_draft_is_the_farmers_alone_until_submitted(flow: Flow) -> None:
    farmer = flow.world.farmer
    assert farmer is not None
    draft = (await flow.call("PUT", farmer, f"{FARMER_APPS}/draft", SELF_REPORT, expect=200)).json()
    helper = flow.world.user(Role.helper)
    for role in (Role.helper, Role.grid_officer, Role.village, Role.township, Role.county, Role.admin):
        staff = flow.world.user(role)
        hidden = await flow.call("GET", staff, f"/api/applications/{draft['id']}", expect=404)
        assert hidden.json()["code"] == "application_not_found", role
        assert "narrative" not in hidden.text
        listed = (await flow.call("GET", staff, "/api/applications", expect=200)).json()
        assert listed["items"] == []
    assert (await flow.call("GET", helper, f"/api/miniapp/helper/applications/{draft['id']}")).status_code == 404
    acted = await flow.post(helper, f"/api/applications/{draft['id']}/verify", VERIFICATION, expect=404)
    assert acted["code"] == "application_not_found"  # not even "not in this state"
    assert (await flow.call("GET", flow.neighbour, f"{FARMER_APPS}/{draft['id']}")).status_code == 404
    assert (await flow.call("GET", farmer, f"{FARMER_APPS}/{draft['id']}", expect=200)).json()["state"] == "draft"

    submitted = await flow.submit()
    assert submitted["id"] == draft["id"]
    seen = (await flow.call("GET", helper, f"/api/applications/{draft['id']}", expect=200)).json()
    assert seen["state"] == "verification"


async def test_notice_of_four_days_refused_and_five_accepted(flow: Flow) -> None:
    case_id = await flow.to_state("awaiting_notice")
    four = {"start_date": str(today()), "end_date": str(today() + dt.timedelta(days=4))}
    refused = await flow.step(Role.village, case_id, "notice", four, expect=409)
    assert refused["code"] == "notice_too_short" and "5" in refused["message"]
    five = {"start_date": str(today()), "end_date": str(today() + dt.timedelta(days=5))}
    assert (await flow.step(Role.village, case_id, "notice", five))["notice_end"] == five["end_date"]


async def test_an_unresolved_objection_blocks_the_end_of_notice(flow: Flow) -> None:
    case_id = await flow.to_state("in_notice")
    objection = await flow.post(
        flow.neighbour,
        f"/api/miniapp/farmer/notices/{case_id}/objections",
        {"content": "他家儿子在城里有商品房"},
    )
    await flow.backdate_notice(case_id)
    blocked = await flow.step(Role.village, case_id, "end-notice", {}, expect=409)
    assert blocked["code"] == "objection_unresolved"
    # A farmer of another village cannot object; staff see the objection and resolve it.
    staff_view = (
        await flow.call("GET", flow.world.user(Role.village), f"/api/applications/{case_id}", expect=200)
    ).json()
    assert [o["content"] for o in staff_view["objections"]] == ["他家儿子在城里有商品房"]
    await flow.step(
        Role.village,
        case_id,
        f"objections/{objection['id']}/resolve",
        {"note": "经核实，商品房属已分户的儿子，不影响认定"},
    )
    twice = await flow.step(
        Role.village, case_id, f"objections/{objection['id']}/resolve", {"note": "再次"}, expect=409
    )
    assert twice["code"] == "objection_already_resolved"
    moved = await flow.step(Role.village, case_id, "end-notice", {})
    assert moved["state"] == "township_review"
    farmer_view = (await flow.call("GET", flow.world.farmer, f"{FARMER_APPS}/{case_id}", expect=200)).json()  # type: ignore[arg-type]
    assert "他家儿子" not in str(farmer_view)  # the objector's words are not shown to the household
    assert "公示期间收到异议，村委会正在核实" in [e["text"] for e in farmer_view["timeline"]]


async def test_farmer_of_another_village_cannot_object(flow: Flow, world: World, pool, pii: Pii) -> None:
    from tests.factories import make_farmer

    case_id = await flow.to_state("in_notice")
    async with pool.acquire() as conn:
        stranger = await make_farmer(conn, world.settings, world.households["a1b"])
    refused = await flow.post(
        stranger, f"/api/miniapp/farmer/notices/{case_id}/objections", {"content": "不认识"}, expect=404
    )
    assert refused["code"] == "application_not_found"


async def test_return_for_material_and_answer_resumes_at_the_returning_step(flow: Flow) -> None:
    case_id = await flow.to_state("township_review")
    returned = await flow.step(Role.township, case_id, "return", {"reason": "请补充医院诊断证明"})
    assert returned["state"] == "returned"
    farmer = flow.world.farmer
    mine = (await flow.call("GET", farmer, f"{FARMER_APPS}/{case_id}", expect=200)).json()  # type: ignore[arg-type]
    assert mine["next_step"]["who"] == "您" and "请补充医院诊断证明" in mine["next_step"]["what"]
    assert mine["timeline"][-1]["comment"] == "请补充医院诊断证明"
    # The township cannot move it while it waits for the farmer.
    assert (await flow.step(Role.township, case_id, "township-review", {}, expect=409))[
        "code"
    ] == "action_not_allowed_in_state"
    answered = await flow.post(farmer, f"{FARMER_APPS}/{case_id}/answer", {"comment": "已上传诊断证明"})  # type: ignore[arg-type]
    assert answered["state"] == "township_review"
    assert answered["deadline_date"] == str(today() + dt.timedelta(days=15))  # the clock did not restart
    assert (await flow.step(Role.township, case_id, "township-review", {}))["state"] == "county_approval"


async def test_withdraw_before_a_decision_and_not_after(flow: Flow) -> None:
    farmer = flow.world.farmer
    case_id = await flow.to_state("in_notice")
    withdrawn = await flow.post(farmer, f"{FARMER_APPS}/{case_id}/withdraw", {"reason": "家里情况好转了"})  # type: ignore[arg-type]
    assert withdrawn["state"] == "withdrawn" and "next_step" not in withdrawn
    assert withdrawn["timeline"][-1]["comment"] == "家里情况好转了"
    tasks = (
        await flow.call("GET", flow.world.user(Role.village), "/api/applications/tasks", expect=200)
    ).json()
    assert tasks["total"] == 0
    # A new case may follow; once approved it cannot be withdrawn.
    second = await flow.to_state("county_approval")
    await flow.step(
        Role.county, second, "approve", {"monitoring_type": "marginal", "risk_types": ["illness"]}
    )
    late = await flow.post(farmer, f"{FARMER_APPS}/{second}/withdraw", {}, expect=409)  # type: ignore[arg-type]
    assert late["code"] == "action_not_allowed_in_state"


async def test_submit_is_idempotent_per_key(flow: Flow) -> None:
    first = await flow.submit(key="retry-key-0001")
    retried = await flow.call(
        "POST",
        flow.world.farmer,
        FARMER_APPS,
        SELF_REPORT,
        headers={"Idempotency-Key": "retry-key-0001"},
        expect=200,
    )  # type: ignore[arg-type]
    assert retried.json() == first
    count = await flow.pool.fetchval("SELECT count(*) FROM applications")
    assert count == 1
    changed = {**SELF_REPORT, "narrative": "换了内容"}
    reused = await flow.call(
        "POST",
        flow.world.farmer,
        FARMER_APPS,
        changed,
        headers={"Idempotency-Key": "retry-key-0001"},
        expect=422,
    )  # type: ignore[arg-type]
    assert reused.json()["code"] == "idempotency_key_reused"
    missing = await flow.call("POST", flow.world.farmer, FARMER_APPS, SELF_REPORT, expect=400)  # type: ignore[arg-type]
    assert missing.json()["code"] == "idempotency_key_required"


async def test_concurrent_retries_of_one_submit_make_one_case(flow: Flow) -> None:
    headers = {"Idempotency-Key": "same-key-at-once", **flow.world.farmer.headers}  # type: ignore[union-attr]
    responses = await asyncio.gather(
        *(flow.client.post(FARMER_APPS, json=SELF_REPORT, headers=headers) for _ in range(3))
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await flow.pool.fetchval("SELECT count(*) FROM applications") == 1


async def test_a_second_open_case_is_refused(flow: Flow) -> None:
    await flow.submit()
    again = await flow.submit(expect=409)
    assert again["code"] == "open_application_exists"
    draft = await flow.call(
        "PUT", flow.world.farmer, f"{FARMER_APPS}/draft", {"narrative": "再来一份"}, expect=409
    )  # type: ignore[arg-type]
    assert draft.json()["code"] == "open_application_exists"
    cadre = await flow.post(
        flow.world.user(Role.helper),
        "/api/applications",
        {"household_id": flow.world.households["a1a"].id, "risk_types": ["illness"], "narrative": "重复"},
        expect=409,
    )
    assert cadre["code"] == "open_application_exists"


async def test_concurrent_approvals_one_wins(flow: Flow) -> None:
    case_id = await flow.to_state("county_approval")
    county = flow.world.user(Role.county)
    seen = (await flow.call("GET", county, f"/api/applications/{case_id}", expect=200)).json()["version"]
    body = {"monitoring_type": "marginal", "risk_types": ["illness"], "version": seen}
    responses = await asyncio.gather(
        *(
            flow.client.post(f"/api/applications/{case_id}/approve", json=body, headers=county.headers)
            for _ in range(2)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    events = await flow.pool.fetchval(
        "SELECT count(*) FROM application_events WHERE application_id = $1 AND action = 'approve'", case_id
    )
    assert events == 1
    loser = next(r for r in responses if r.status_code == 409).json()
    assert loser["code"] in {"action_not_allowed_in_state", "stale_version"}


async def test_stale_version_is_refused(flow: Flow) -> None:
    case_id = await flow.to_state("village_review")
    refused = await flow.step(
        Role.village, case_id, "village-review", {"passed": True, "minutes": "通过", "version": 1}, expect=409
    )
    assert refused["code"] == "stale_version"


async def test_case_past_fifteen_days_is_flagged_overdue_everywhere(flow: Flow) -> None:
    late = await flow.to_state("township_review")
    await flow.pool.execute(
        "UPDATE applications SET discovered_at = $2::timestamptz - interval '16 days' WHERE id = $1",
        late,
        now(),
    )
    township = flow.world.user(Role.township)
    tasks = (await flow.call("GET", township, "/api/applications/tasks", expect=200)).json()
    assert [(t["id"], t["overdue"]) for t in tasks["items"]] == [(late, True)] and tasks["overdue"] == 1
    listed = (
        await flow.call("GET", flow.world.user(Role.county), "/api/applications?overdue=true", expect=200)
    ).json()
    assert [i["id"] for i in listed["items"]] == [late]
    detail = (await flow.call("GET", township, f"/api/applications/{late}", expect=200)).json()
    assert detail["overdue"] is True
    mine = (await flow.call("GET", flow.world.farmer, f"{FARMER_APPS}/{late}", expect=200)).json()  # type: ignore[arg-type]
    assert mine["overdue"] is True
    await flow.pool.execute(
        "UPDATE applications SET discovered_at = $2::timestamptz - interval '14 days' WHERE id = $1",
        late,
        now(),
    )
    listed = (
        await flow.call("GET", flow.world.user(Role.county), "/api/applications?overdue=true", expect=200)
    ).json()
    assert listed["items"] == []


async def test_task_lists_are_ordered_by_deadline_with_counts(
    flow: Flow, world: World, pool, pii: Pii
) -> None:
    from tests.factories import VILLAGE_A1A, make_household

    helper = world.user(Role.helper)
    ids = []
    async with pool.acquire() as conn:
        households = [await make_household(conn, pii, VILLAGE_A1A) for _ in range(3)]
    for household in households:
        ids.append(
            (
                await flow.post(
                    world.user(Role.grid_officer),
                    "/api/applications",
                    {"household_id": household.id, "risk_types": ["illness"], "narrative": "x"},
                )
            )["id"]
        )
    await pool.execute(
        "UPDATE applications SET discovered_at = $1::timestamptz - (id || ' days')::interval", now()
    )
    village_case = ids[0]
    await flow.post(world.user(Role.grid_officer), f"/api/applications/{village_case}/verify", VERIFICATION)
    grid_tasks = (
        await flow.call("GET", world.user(Role.grid_officer), "/api/applications/tasks", expect=200)
    ).json()
    assert [t["id"] for t in grid_tasks["items"]] == [
        ids[2],
        ids[1],
    ]  # oldest discovery, soonest deadline first
    assert grid_tasks["by_state"] == {"verification": 2}
    first_page = (
        await flow.call(
            "GET", world.user(Role.grid_officer), "/api/applications/tasks?page_size=1", expect=200
        )
    ).json()
    assert [t["id"] for t in first_page["items"]] == [ids[2]] and first_page["total"] == 2
    assert (await flow.call("GET", helper, "/api/applications/tasks", expect=200)).json()[
        "total"
    ] == 0  # assigned elsewhere
    village_tasks = (
        await flow.call("GET", world.user(Role.village), "/api/applications/tasks", expect=200)
    ).json()
    assert village_tasks["by_state"] == {"village_review": 1}
    other_village = (
        await flow.call("GET", world.other_county[Role.village], "/api/applications/tasks", expect=200)
    ).json()
    assert other_village["total"] == 0


async def test_negative_list_hit_must_be_confirmed_at_county_approval(flow: Flow, pii: Pii) -> None:
    household = flow.world.households["a1a"]
    await flow.pool.execute(
        "INSERT INTO negative_list_entries (id_number_bidx, kind, source_department, evidence) VALUES ($1, 'vehicle', '车管', $2)",
        pii.id_index(household.id_numbers[1]),
        {"plate": "桂A12345", "model": "小型轿车"},
    )
    case_id = await flow.to_state("county_approval")
    county = flow.world.user(Role.county)
    hits = (await flow.call("GET", county, f"/api/applications/{case_id}/negative-list", expect=200)).json()
    assert [(h["person_id"], h["kind"], h["kind_label"]) for h in hits] == [
        (household.member_ids[1], "vehicle", "有车辆")
    ]
    assert household.id_numbers[1] not in str(hits)
    body = {"monitoring_type": "marginal", "risk_types": ["illness"]}
    refused = await flow.step(Role.county, case_id, "approve", body, expect=409)
    assert refused["code"] == "negative_list_not_confirmed"
    confirmed = await flow.step(
        Role.county,
        case_id,
        "approve",
        {**body, "negative_list_confirmation": "车辆已于2023年报废，经核实不影响认定"},
    )
    assert confirmed["state"] == "approved"


async def test_rejection_carries_a_reason_the_farmer_reads(flow: Flow) -> None:
    case_id = await flow.to_state("county_approval")
    no_reason = await flow.step(Role.county, case_id, "reject", {"reason": ""}, expect=400)
    assert no_reason["code"] == "validation_failed"
    await flow.step(Role.county, case_id, "reject", {"reason": "家庭人均纯收入高于监测范围"})
    mine = (await flow.call("GET", flow.world.farmer, f"{FARMER_APPS}/{case_id}", expect=200)).json()  # type: ignore[arg-type]
    assert mine["state"] == "rejected" and mine["decision_reason"] == "家庭人均纯收入高于监测范围"
    assert mine["timeline"][-1]["text"] == "县乡村振兴局审定未通过，原因：家庭人均纯收入高于监测范围"


async def test_village_review_failure_needs_a_reason_and_closes_the_case(flow: Flow) -> None:
    case_id = await flow.to_state("village_review")
    missing = await flow.step(
        Role.village, case_id, "village-review", {"passed": False, "minutes": "多数反对"}, expect=422
    )
    assert missing["code"] == "rejection_reason_required"
    failed = await flow.step(
        Role.village,
        case_id,
        "village-review",
        {"passed": False, "minutes": "多数反对", "reason": "家中有稳定务工收入"},
    )
    assert failed["state"] == "rejected"
