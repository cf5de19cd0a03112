import pytest

from backend.pii import mask_id_number
from schemas.base import Role
from tests.factories import VILLAGE_A1A, VILLAGE_B1A, World, make_id_number


async def test_healthz_reports_both_servers(client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}
    assert response.headers["x-request-id"]


async def test_farmer_reads_own_household_masked(client, world: World) -> None:
    response = await client.get("/api/miniapp/farmer/household", headers=world.farmer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == world.households["a1a"].id
    numbers = world.households["a1a"].id_numbers
    assert [m["id_number_masked"] for m in body["members"]] == [mask_id_number(n) for n in numbers]
    assert not any(n in response.text for n in numbers)


async def test_township_cannot_read_household_in_other_township(client, world: World) -> None:
    township = world.user(Role.township)
    inside = await client.get(f"/api/households/{world.households['a1b'].id}", headers=township.headers)
    outside = await client.get(f"/api/households/{world.households['a2a'].id}", headers=township.headers)
    assert inside.status_code == 200
    assert outside.status_code == 404
    assert outside.json()["code"] == "household_not_found"
    assert outside.json()["message"]


async def test_create_household_validates_id_checksum(client, world: World) -> None:
    county = world.user(Role.county)
    good = make_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = await client.post(
        "/api/households",
        headers=county.headers,
        json={
            "household_no": "NEW0001",
            "village_code": VILLAGE_A1A,
            "category": "ordinary",
            "members": [{"name": "张三", "id_number": bad, "relation": "head"}],
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "members[0].id_number"
    outside = await client.post(
        "/api/households",
        headers=county.headers,
        json={
            "household_no": "NEW0002",
            "village_code": VILLAGE_B1A,
            "category": "ordinary",
            "members": [{"name": "张三", "id_number": good, "relation": "head"}],
        },
    )
    assert outside.status_code == 403



@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("head_phone", "1３９００００１１１１"),  # full-width: WeChat's phone is ASCII, it could never bind
        ("village_code", "٤٥٠١٠٢٠٠١٠٠١"),  # Arabic-Indic digits
        ("household_no", "NEW0003\n"),  # Python's `$` matches before a final newline
    ],
)
async def test_codes_and_numbers_take_ascii_digits_on_one_line(client, world: World, pool, field: str, value: str) -> None:
    before = await pool.fetchval("SELECT count(*) FROM households")
    household = {
        "household_no": "NEW0003",
        "village_code": VILLAGE_A1A,
        "category": "ordinary",
        "members": [{"name": "张三", "id_number": make_id_number(), "relation": "head"}],
    }
    response = await client.post(
        "/api/households", headers=world.user(Role.county).headers, json={**household, field: value}
    )
    assert response.status_code == 400, response.text
    assert response.json()["detail"][0]["field"] == field
    assert await pool.fetchval("SELECT count(*) FROM households") == before
