"""The demo's WeChat templates: seeded once, accepted by the admin's own validation, and a case the
demo farmer submits reaches the WeChat fake."""

from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from backend.auth import Principal
from backend.demo import data, seed_demo
from backend.pii import Pii
from backend.settings import Settings
from backend.wechat.fake import FakeControl
from schemas.base import Role
from schemas.notifications import NotificationEvent
from tests.factories import token_for
from tests.notifications.conftest import empty_queue, redis, run_workers  # noqa: F401  (fixtures)

# DOMAIN §9: what a farmer is told about.
FARMER_EVENTS = {
    NotificationEvent.application_received,
    NotificationEvent.application_returned,
    NotificationEvent.application_in_notice,
    NotificationEvent.application_approved,
    NotificationEvent.application_rejected,
    NotificationEvent.risk_eliminated,
    NotificationEvent.helper_assigned,
    NotificationEvent.due_date_changed,  # 办理期限调整: a provisional plan due date moved
}
TEMPLATE_ROWS = "SELECT event, template_id, page, fields, sms_fallback, enabled, updated_at FROM notification_templates ORDER BY event"
GRANT_ROWS = "SELECT user_id, template_id, remaining, updated_at FROM subscribe_grants ORDER BY 1, 2"


async def seed(pool: asyncpg.Pool, pii: Pii):
    async with pool.acquire() as conn:
        return await seed_demo(conn, pii)


async def test_every_farmer_event_gets_a_template_and_a_grant_once(pool: asyncpg.Pool, pii: Pii) -> None:
    result = await seed(pool, pii)
    templates = await pool.fetch(TEMPLATE_ROWS)
    assert {r["event"] for r in templates} == {e.value for e in FARMER_EVENTS}
    assert all(r["enabled"] and not r["page"].startswith("/") for r in templates)
    grants = await pool.fetch(GRANT_ROWS)
    assert {(g["user_id"], g["template_id"], g["remaining"]) for g in grants} == {
        (result.farmer.user_id, r["template_id"], 1) for r in templates
    }

    await pool.execute("UPDATE subscribe_grants SET remaining = 0")  # the farmer spent them
    spent = await pool.fetch(GRANT_ROWS)
    await seed(pool, pii)
    assert await pool.fetch(TEMPLATE_ROWS) == templates
    assert await pool.fetch(GRANT_ROWS) == spent  # a second seed hands out no new grants


async def test_every_seeded_template_passes_the_admins_validation(
    client: AsyncTestClient, pool: asyncpg.Pool, pii: Pii
) -> None:
    await seed(pool, pii)
    admin = next(s for s in data.STAFF if s[0] is Role.admin)
    login = await client.post("/api/auth/login", json={"username": admin[1], "password": admin[2]})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    seeded = (await client.get("/api/notifications/templates", headers=headers)).json()
    assert len(seeded) == len(FARMER_EVENTS)
    for template in seeded:
        body = {k: template[k] for k in ("template_id", "fields", "page", "sms_fallback", "enabled")}
        saved = await client.put(
            f"/api/notifications/templates/{template['event']}", json=body, headers=headers
        )
        assert saved.status_code == 200, (template["event"], saved.text)
        assert {k: saved.json()[k] for k in body} == body


async def test_a_demo_farmers_application_reaches_the_wechat_fake(
    client: AsyncTestClient,
    pool: asyncpg.Pool,
    pii: Pii,
    settings: Settings,
    wechat_fake: FakeControl,
    empty_queue: None,  # noqa: F811
) -> None:
    farmer = (await seed(pool, pii)).farmer
    await pool.execute(
        "UPDATE households SET monitoring_status = 'none', monitoring_type = NULL WHERE id = $1",
        farmer.household_id,
    )  # whatever the demo drew for this household, it may apply
    principal = Principal(user_id=farmer.user_id, role=Role.farmer, household_id=farmer.household_id)
    submitted = await client.post(
        "/api/miniapp/farmer/applications",
        json={"risk_types": ["illness"], "narrative": "老伴住院做手术，花了六万多。"},
        headers={"Authorization": f"Bearer {token_for(settings, principal)}", "Idempotency-Key": "demo-0001"},
    )
    assert submitted.status_code == 201, submitted.text
    case_id = submitted.json()["id"]
    await run_workers(settings)

    [message] = await wechat_fake.sent()
    received = data.TEMPLATES[NotificationEvent.application_received]
    assert (message["touser"], message["template_id"]) == (data.DEMO_FARMER_OPENID, received.template_id)
    assert message["page"] == f"pages/application/detail?id={case_id}"
    assert message["data"]["thing1"] == "防返贫监测申请" and message["data"]["phrase2"] == "已受理"
    assert message["data"]["character_string5"] == str(case_id)
    assert message["data"]["thing4"].startswith("您家的监测申请已受理")
    rows = await pool.fetch("SELECT user_id, event, delivery_status, channel FROM notifications ORDER BY id")
    statuses = {(r["event"], r["delivery_status"], r["channel"]) for r in rows}
    # The helper's task has no template (staff are not on the mini-program's templates): inbox only.
    assert statuses == {("application_received", "sent", "wechat"), ("case_waiting", "inbox_only", None)}
    left = await pool.fetchval(
        "SELECT remaining FROM subscribe_grants WHERE user_id = $1 AND template_id = $2",
        farmer.user_id,
        received.template_id,
    )
    assert left == 0
