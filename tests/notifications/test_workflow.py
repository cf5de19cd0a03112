"""End to end: cases moved through the workflow API reach the right people on the right channel."""

from __future__ import annotations

import msgspec
from litestar.testing import AsyncTestClient

from backend.app import create_app
from schemas.base import Role
from schemas.notifications import NotificationEvent
from tests.applications.conftest import Flow
from tests.notifications.conftest import grant, openid_of, run_workers, set_template

# One template per farmer-facing event, as an admin would configure them.
FARMER_TEMPLATES = {
    NotificationEvent.application_received: "tmpl-received",
    NotificationEvent.application_in_notice: "tmpl-in-notice",
    NotificationEvent.application_approved: "tmpl-approved",
    NotificationEvent.application_returned: "tmpl-returned",
    NotificationEvent.application_rejected: "tmpl-rejected",
}
FIELDS = {"thing1": "title", "thing2": "body", "time3": "created_at"}
FARMER_EVENTS_SENT = [
    "application_received",
    "application_in_notice",
    "application_returned",
    "application_received",
    "application_in_notice",
    "application_approved",
]
APPROVE = {"monitoring_type": "sudden_hardship", "risk_types": ["illness"]}


async def configure(flow: Flow, grants: int = 1) -> str:
    """Templates for the farmer's events, `grants` of each for the farmer; returns their openid."""
    farmer = flow.world.farmer
    async with flow.pool.acquire() as conn:
        for event, template_id in FARMER_TEMPLATES.items():
            await set_template(conn, event, template_id, FIELDS, page="")
            await grant(conn, farmer.id, grants, template_id)
        return await openid_of(conn, farmer.id)


async def inbox_events(flow: Flow, role: Role) -> list[str]:
    user = flow.user(role)
    items = (await flow.client.get("/api/inbox?page_size=100", headers=user.headers)).json()["items"]
    return sorted(n["event"] for n in items)


async def test_each_workflow_event_reaches_the_right_people(
    flow: Flow, settings, wechat_fake, empty_queue
) -> None:
    openid = await configure(flow, grants=2)
    returned_case = await flow.to_state("township_review")
    await flow.step(Role.township, returned_case, "return", {"reason": "请补充医院诊断证明"})
    await flow.post(flow.world.farmer, f"/api/miniapp/farmer/applications/{returned_case}/withdraw", {})
    approved_case = await flow.to_state("county_approval")
    await flow.step(Role.county, approved_case, "approve", APPROVE)
    await run_workers(settings)  # the jobs each step enqueued after its commit

    sent = await wechat_fake.sent()
    assert {m["touser"] for m in sent} == {openid}  # staff have no openid; the neighbour was never involved
    # Jobs run concurrently in the worker, so the order across steps is not fixed.
    assert sorted(m["template_id"] for m in sent) == sorted(
        [
            "tmpl-received",
            "tmpl-in-notice",
            "tmpl-returned",
            "tmpl-received",
            "tmpl-in-notice",
            "tmpl-approved",
        ]
    )
    by_template = {m["template_id"]: m["data"] for m in sent}
    returned = by_template["tmpl-returned"]
    assert returned["thing1"] == "需要补充材料"
    assert returned["thing2"] == "您家的申请被退回，需要补充材料：请补充…"  # cut to WeChat's 20
    assert by_template["tmpl-approved"]["thing1"] == "申请已通过"

    # Every notification is in its people's inboxes, whichever way it was also delivered.
    farmer_inbox = await inbox_events(flow, Role.farmer)
    assert farmer_inbox == sorted(FARMER_EVENTS_SENT)
    assert "case_waiting" in await inbox_events(flow, Role.helper)  # to verify; then the plan after approval
    assert "application_returned" in await inbox_events(flow, Role.helper)
    assert "case_waiting" in await inbox_events(flow, Role.county)
    assert (await flow.client.get("/api/inbox", headers=flow.neighbour.headers)).json()["items"] == []
    statuses = await flow.pool.fetch("SELECT DISTINCT delivery_status FROM notifications")
    assert {r["delivery_status"] for r in statuses} == {"sent", "inbox_only"}


async def test_rejection_reaches_the_farmer_with_its_reason(
    flow: Flow, settings, wechat_fake, empty_queue
) -> None:
    await configure(flow)
    case_id = await flow.to_state("county_approval")
    await flow.step(Role.county, case_id, "reject", {"reason": "人均收入高于监测范围"})
    await run_workers(settings)
    rejected = [m for m in await wechat_fake.sent() if m["template_id"] == "tmpl-rejected"]
    assert [m["data"]["thing2"] for m in rejected] == [
        "您家的申请未通过，原因：人均收入高于监…"
    ]  # 19 characters and the ellipsis


async def test_case_approved_while_redis_is_down_is_delivered_when_it_returns(
    flow: Flow, settings, wechat_fake, private_redis
) -> None:
    openid = await configure(flow)
    case_id = await flow.to_state("county_approval")
    local = msgspec.structs.replace(settings, redis_url=private_redis.url)
    async with AsyncTestClient(app=create_app(local, configure_logs=False)) as client:
        private_redis.stop()
        county = flow.world.user(Role.county)
        approved = await client.post(
            f"/api/applications/{case_id}/approve", json=APPROVE, headers=county.headers
        )
        assert approved.status_code == 200, approved.text  # the approval does not wait for Redis
    waiting = await flow.pool.fetchval(
        "SELECT delivery_status FROM notifications WHERE event = 'application_approved'"
    )
    assert waiting == "pending"
    private_redis.start()
    await run_workers(local)  # a fresh worker: its startup sweep finds the row
    approved_messages = [m for m in await wechat_fake.sent() if m["template_id"] == "tmpl-approved"]
    assert [m["touser"] for m in approved_messages] == [openid]
    assert (
        await flow.pool.fetchval(
            "SELECT delivery_status FROM notifications WHERE event = 'application_approved'"
        )
        == "sent"
    )
