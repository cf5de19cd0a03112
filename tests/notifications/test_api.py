"""Inbox, templates and subscribe grants through the HTTP API."""

from schemas.base import Role
from schemas.notifications import NotificationEvent
from tests.factories import World
from tests.notifications.conftest import TEMPLATE_ID, approve_note, remaining_grants, set_template


async def test_inbox_pages_counts_and_marks_read(client, pool, world: World) -> None:
    headers = world.farmer.headers
    async with pool.acquire() as conn:
        ids = [i for n in range(5) for i in await approve_note(conn, [world.farmer.id], ref=f"R{n}")]
        await approve_note(conn, [world.user(Role.helper).id])  # someone else's
    first = await client.get("/api/inbox?page=1&page_size=2", headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [n["id"] for n in body["items"]] == [ids[4], ids[3]]  # newest first
    assert body["meta"] == {"total": 5, "page": 1, "page_size": 2} and body["unread"] == 5
    assert body["items"][0]["data"] == {"ref": "R4"} and "read_at" not in body["items"][0]
    third = await client.get("/api/inbox?page=3&page_size=2", headers=headers)
    assert [n["id"] for n in third.json()["items"]] == [ids[0]]

    read = await client.post(f"/api/inbox/{ids[0]}/read", headers=headers)
    assert read.status_code == 200 and read.json()["read_at"]
    again = await client.post(f"/api/inbox/{ids[0]}/read", headers=headers)
    assert again.json()["read_at"] == read.json()["read_at"]
    assert (await client.get("/api/inbox/unread-count", headers=headers)).json() == {"unread": 4}
    unread = await client.get("/api/inbox?unread_only=true", headers=headers)
    assert ids[0] not in [n["id"] for n in unread.json()["items"]] and unread.json()["meta"]["total"] == 4

    assert (await client.post("/api/inbox/read-all", headers=headers)).json() == {"marked": 4}
    assert (await client.get("/api/inbox/unread-count", headers=headers)).json() == {"unread": 0}
    helper = await client.get("/api/inbox/unread-count", headers=world.user(Role.helper).headers)
    assert helper.json() == {"unread": 1}  # marking all read touched only the farmer's


async def test_nobody_reads_or_marks_another_users_notification(client, pool, world: World) -> None:
    async with pool.acquire() as conn:
        [helpers] = await approve_note(conn, [world.user(Role.helper).id])
    response = await client.post(f"/api/inbox/{helpers}/read", headers=world.farmer.headers)
    assert response.status_code == 404 and response.json()["code"] == "notification_not_found"
    assert (await client.get("/api/inbox", headers=world.farmer.headers)).json()["items"] == []
    admin = await client.get("/api/inbox", headers=world.user(Role.admin).headers)
    assert admin.json()["items"] == []  # the inbox is personal, even for an admin
    assert (await client.get("/api/inbox")).status_code == 401


async def test_admin_edits_templates_and_bad_fields_are_named(client, world: World) -> None:
    admin = world.user(Role.admin).headers
    template = {
        "template_id": "tmpl-returned",
        "page": "pages/case/detail?id={application_id}",
        "fields": {"thing1": "title", "thing2": "data.reason", "time3": "created_at"},
    }
    created = await client.put(
        "/api/notifications/templates/application_returned", json=template, headers=admin
    )
    assert created.status_code == 200, created.text
    assert created.json()["enabled"] is True and created.json()["sms_fallback"] is False
    changed = await client.put(
        "/api/notifications/templates/application_returned",
        json={**template, "template_id": "tmpl-returned-v2", "sms_fallback": True},
        headers=admin,
    )
    assert changed.json()["template_id"] == "tmpl-returned-v2"
    listed = await client.get("/api/notifications/templates", headers=admin)
    assert [(t["event"], t["template_id"]) for t in listed.json()] == [
        ("application_returned", "tmpl-returned-v2")
    ]

    bad = await client.put(
        "/api/notifications/templates/application_approved",
        json={"template_id": "t", "fields": {"thing1": "title", "colour2": "body", "phrase3": "mood"}},
        headers=admin,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_template_fields"
    assert {d["field"] for d in bad.json()["detail"]} == {"fields.colour2", "fields.phrase3"}
    unknown = await client.put("/api/notifications/templates/party_time", json=template, headers=admin)
    assert unknown.status_code == 400

    assert (
        await client.delete("/api/notifications/templates/application_returned", headers=admin)
    ).status_code == 204
    gone = await client.delete("/api/notifications/templates/application_returned", headers=admin)
    assert gone.status_code == 404 and gone.json()["code"] == "template_not_found"


async def test_only_admins_manage_templates_and_the_outbox(client, world: World) -> None:
    county = world.user(Role.county).headers
    assert (await client.get("/api/notifications/templates", headers=county)).status_code == 403
    assert (await client.get("/api/notifications/deliveries", headers=county)).status_code == 403
    retry = await client.post("/api/notifications/deliveries/retry", json={}, headers=world.farmer.headers)
    assert retry.status_code == 403


async def test_mini_program_records_accepted_templates_as_grants(client, pool, world: World) -> None:
    async with pool.acquire() as conn:
        await set_template(conn)
        await set_template(conn, NotificationEvent.application_returned, "tmpl-returned")
    headers = world.farmer.headers
    before = await client.get("/api/miniapp/subscriptions", headers=headers)
    assert {t["template_id"]: t["remaining"] for t in before.json()["items"]} == {
        TEMPLATE_ID: 0,
        "tmpl-returned": 0,
    }
    for _ in range(2):
        reported = await client.post(
            "/api/miniapp/subscriptions",
            json={"results": {TEMPLATE_ID: "accept", "tmpl-returned": "reject", "tmpl-unknown": "accept"}},
            headers=headers,
        )
        assert reported.status_code == 200, reported.text
    assert {t["template_id"]: t["remaining"] for t in reported.json()["items"]} == {
        TEMPLATE_ID: 2,
        "tmpl-returned": 0,
    }
    async with pool.acquire() as conn:
        assert await remaining_grants(conn, world.farmer.id) == 2
        assert await remaining_grants(conn, world.farmer.id, "tmpl-unknown") == 0
    bad = await client.post(
        "/api/miniapp/subscriptions", json={"results": {TEMPLATE_ID: "maybe"}}, headers=headers
    )
    assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"
