"""The audit trail is queryable by the system operator and by no one else, and cannot be edited."""

from schemas.base import Role
from tests.factories import World


async def test_admin_finds_who_read_a_full_id_number_and_under_which_request(client, world: World) -> None:
    county = world.user(Role.county)
    person_id = world.households["a1a"].member_ids[0]
    reveal = await client.get(f"/api/persons/{person_id}/id-number", headers=county.headers)
    assert reveal.status_code == 200

    admin = world.user(Role.admin).headers
    found = await client.get("/api/audit", params={"action": "person."}, headers=admin)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["meta"]["total"] == 1
    entry = body["items"][0]
    assert entry["action"] == "person.id_number.read"
    assert entry["actor_user_id"] == county.id and entry["actor_role"] == "county"
    assert entry["object_id"] == str(person_id)
    assert entry["request_id"] == reveal.headers["x-request-id"]
    # the audit row itself never holds the number it records a read of
    assert world.households["a1a"].id_numbers[0] not in found.text

    by_other_actor = await client.get(
        "/api/audit", params={"actor_user_id": world.user(Role.township).id}, headers=admin
    )
    assert by_other_actor.json()["meta"]["total"] == 0


async def test_only_the_admin_reads_the_audit_trail(client, world: World) -> None:
    for role in (Role.county, Role.township, Role.helper):
        response = await client.get("/api/audit", headers=world.user(role).headers)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert world.farmer is not None
    assert (await client.get("/api/audit", headers=world.farmer.headers)).status_code == 403


async def test_audit_rows_cannot_be_changed_or_deleted(client, world: World, pool) -> None:
    person_id = world.households["a1a"].member_ids[0]
    await client.get(f"/api/persons/{person_id}/id-number", headers=world.user(Role.county).headers)
    await pool.execute("UPDATE audit_log SET action = 'nothing.happened'")
    await pool.execute("DELETE FROM audit_log")
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'person.id_number.read'") == 1
