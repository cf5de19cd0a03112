"""Registry reads: every staff role sees exactly its scope, search by ID number (blind index), name
and household number, and ID numbers appear masked everywhere except the audited reveal."""

from __future__ import annotations

import re

import pytest

from backend.auth import Principal
from schemas.base import Role
from tests.factories import VILLAGE_A1A, World, make_id_number, token_for

MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
MASKED_PHONE = re.compile(r"^1\d{2}\*{4}\d{4}$")

# Which of the world's households ("a1a" …) each staff user sees.
VISIBLE = {
    Role.helper: {"a1a"},
    Role.grid_officer: {"a1a"},
    Role.village: {"a1a"},
    Role.township: {"a1a", "a1b"},
    Role.county: {"a1a", "a1b", "a2a"},
    Role.admin: {"a1a", "a1b", "a2a", "b1a"},
}
VISIBLE_TO_OTHER_COUNTY = {"b1a"}


def all_numbers(world: World) -> list[str]:
    return [n for h in world.households.values() for n in h.id_numbers]


def assert_masked(world: World, text: str, members: list[dict]) -> None:
    assert not any(n in text for n in all_numbers(world))
    assert members and all(MASKED_ID.match(m["id_number_masked"]) for m in members)


@pytest.mark.parametrize("role", list(VISIBLE))
async def test_each_role_reads_exactly_its_scope(client, world: World, role: Role) -> None:
    for users, visible in ((world.users, VISIBLE[role]), (world.other_county, VISIBLE_TO_OTHER_COUNTY)):
        if role not in users:
            continue  # one admin only
        user = users[role]
        listed = await client.get("/api/households", headers=user.headers)
        assert listed.status_code == 200, listed.text
        assert {i["household_no"] for i in listed.json()["items"]} == {
            world.households[k].household_no for k in visible
        }
        for key, household in world.households.items():
            response = await client.get(f"/api/households/{household.id}", headers=user.headers)
            assert response.status_code == (200 if key in visible else 404), (role, key)
            if response.status_code == 200:
                assert_masked(world, response.text, response.json()["members"])
                assert MASKED_PHONE.match(response.json()["head_phone_masked"])


@pytest.mark.parametrize("role", [Role.department, Role.union_buyer, Role.supplier, Role.farmer])
async def test_non_registry_roles_cannot_browse_households(client, world: World, role: Role) -> None:
    if role is Role.department:
        headers = world.user(role).headers
    elif role is Role.farmer:
        headers = world.farmer.headers
    else:
        headers = {"Authorization": f"Bearer {token_for(world.settings, Principal(user_id=999, role=role))}"}
    assert (await client.get("/api/households", headers=headers)).status_code == 403
    household = world.households["a1a"]
    assert (await client.get(f"/api/households/{household.id}", headers=headers)).status_code == 403


async def test_writes_outside_scope_are_not_found(client, world: World) -> None:
    township = world.user(Role.township)
    outside = world.households["a2a"]
    income = {"year": 2024, "member_count": 3, "wage_fen": 1_000_000}
    response = await client.put(
        f"/api/households/{outside.id}/incomes", headers=township.headers, json=income
    )
    assert response.status_code == 404
    inside = world.households["a1b"]
    response = await client.put(f"/api/households/{inside.id}/incomes", headers=township.headers, json=income)
    assert response.json() == {"per_capita_net_income_fen": 333_333}


async def test_search_by_id_number_uses_the_blind_index(client, world: World) -> None:
    county = world.user(Role.county)
    target = world.households["a1b"]
    found = await client.get(f"/api/households?id_number={target.id_numbers[1]}", headers=county.headers)
    assert [h["id"] for h in found.json()["items"]] == [target.id]
    assert target.id_numbers[1] not in found.text
    lower_x = target.id_numbers[1].lower()  # typed with a lower-case x or spaces still matches
    assert (await client.get(f"/api/households?id_number= {lower_x}", headers=county.headers)).json()["meta"][
        "total"
    ] == 1
    township = world.user(Role.township)
    other = world.households["a2a"].id_numbers[0]
    hidden = await client.get(f"/api/households?id_number={other}", headers=township.headers)
    assert hidden.json()["items"] == []
    bad = await client.get("/api/households?id_number=123", headers=county.headers)
    assert bad.status_code == 422 and bad.json()["code"] == "id_number_invalid"
    assert bad.json()["detail"][0]["field"] == "id_number"


async def test_search_by_name_and_household_number(client, world: World) -> None:
    county = world.user(Role.county)
    target = world.households["a2a"]
    by_name = await client.get(f"/api/households?name={target.names[1]}", headers=county.headers)
    assert [h["id"] for h in by_name.json()["items"]] == [target.id]
    by_no = await client.get(
        f"/api/households?household_no={target.household_no[:-2]}", headers=county.headers
    )
    assert target.id in [h["id"] for h in by_no.json()["items"]]
    assert all(h["household_no"].startswith(target.household_no[:-2]) for h in by_no.json()["items"])
    head = by_name.json()["items"][0]
    assert head["head_name"] == target.names[0] and head["member_count"] == 3


async def test_farmer_and_create_responses_are_masked(client, world: World) -> None:
    mine = await client.get("/api/miniapp/farmer/household", headers=world.farmer.headers)
    assert_masked(world, mine.text, mine.json()["members"])
    number = make_id_number()
    created = await client.post(
        "/api/households",
        headers=world.user(Role.county).headers,
        json={
            "household_no": "NEWM0001",
            "village_code": VILLAGE_A1A,
            "category": "ordinary",
            "head_phone": "13912345678",
            "members": [{"name": "马一", "id_number": number, "relation": "head"}],
        },
    )
    assert created.status_code == 201, created.text
    assert number not in created.text and "13912345678" not in created.text
    assert created.json()["members"][0]["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert created.json()["head_phone_masked"] == "139****5678"


async def test_full_number_only_through_the_audited_reveal(client, world: World, pool) -> None:
    person_id = world.households["a1a"].member_ids[0]
    county = world.user(Role.county)
    response = await client.get(f"/api/persons/{person_id}/id-number", headers=county.headers)
    assert response.json()["id_number"] == world.households["a1a"].id_numbers[0]
    audit = await pool.fetch(
        "SELECT actor_user_id FROM audit_log WHERE action = 'person.id_number.read' AND object_id = $1",
        str(person_id),
    )
    assert [a["actor_user_id"] for a in audit] == [county.id]
    assert (
        await client.get(f"/api/persons/{person_id}/id-number", headers=world.user(Role.township).headers)
    ).status_code == 403
    other = world.other_county[Role.county]
    assert (await client.get(f"/api/persons/{person_id}/id-number", headers=other.headers)).status_code == 404
