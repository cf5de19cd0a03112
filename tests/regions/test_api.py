from schemas.base import Role
from tests.factories import (
    CITY,
    COUNTY_A,
    COUNTY_B,
    PROVINCE,
    TOWNSHIP_A1,
    TOWNSHIP_A2,
    VILLAGE_A1A,
    VILLAGE_A1B,
    World,
)


def codes(node_list: list[dict]) -> list[str]:
    return [n["code"] for n in node_list]


async def test_county_reads_itself_with_flags_and_children(client, world: World) -> None:
    county = world.user(Role.county)
    response = await client.get(f"/api/regions/{COUNTY_A}", headers=county.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "code": COUNTY_A,
        "name": "甲县",
        "level": "county",
        "parent_code": CITY,
        "is_poverty_relieved_county": True,
        "key_assistance": "national",
    }
    children = await client.get(f"/api/regions/{COUNTY_A}/children", headers=county.headers)
    assert codes(children.json()) == [TOWNSHIP_A1, TOWNSHIP_A2]


async def test_township_tree_is_its_own_subtree(client, world: World) -> None:
    township = world.user(Role.township)
    response = await client.get("/api/regions/tree", headers=township.headers)
    assert response.status_code == 200, response.text
    (root,) = response.json()
    assert root["code"] == TOWNSHIP_A1
    assert codes(root["children"]) == [VILLAGE_A1A, VILLAGE_A1B]
    shallow = await client.get("/api/regions/tree?depth=0", headers=township.headers)
    assert "children" not in shallow.json()[0] or shallow.json()[0]["children"] == []


async def test_regions_outside_scope_are_not_found(client, world: World) -> None:
    township = world.user(Role.township)
    for path in (
        f"/api/regions/{COUNTY_A}",  # its own county is above its scope
        f"/api/regions/{TOWNSHIP_A2}",
        f"/api/regions/{TOWNSHIP_A2}/children",
        f"/api/regions/tree?root={COUNTY_B}",
    ):
        response = await client.get(path, headers=township.headers)
        assert response.status_code == 404, path
        assert response.json()["code"] == "region_not_found"
    listed = await client.get("/api/regions?level=village", headers=township.headers)
    assert codes(listed.json()) == [VILLAGE_A1A, VILLAGE_A1B]


async def test_non_staff_cannot_read_regions(client, world: World) -> None:
    response = await client.get(f"/api/regions/{VILLAGE_A1A}", headers=world.farmer.headers)
    assert response.status_code == 403


async def test_admin_tree_and_county_flag_filter(client, world: World) -> None:
    admin = world.user(Role.admin)
    tree = (await client.get("/api/regions/tree?depth=2", headers=admin.headers)).json()
    assert codes(tree) == [PROVINCE]
    assert codes(tree[0]["children"][0]["children"]) == [COUNTY_A, COUNTY_B]
    assert "children" not in tree[0]["children"][0]["children"][0]  # depth 2 stops at counties
    national = await client.get("/api/regions?level=county&key_assistance=national", headers=admin.headers)
    assert codes(national.json()) == [COUNTY_A]


async def test_admin_creates_region_under_existing_parent(client, world: World) -> None:
    admin = world.user(Role.admin)
    created = await client.post(
        "/api/regions", headers=admin.headers, json={"code": "450102001003", "name": "甲四村"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["parent_code"] == TOWNSHIP_A1
    assert created.json()["level"] == "village"
    township = world.user(Role.township)
    children = await client.get(f"/api/regions/{TOWNSHIP_A1}/children", headers=township.headers)
    assert "450102001003" in codes(children.json())

    again = await client.post(
        "/api/regions", headers=admin.headers, json={"code": "450102001003", "name": "重复"}
    )
    assert again.status_code == 409
    orphan = await client.post(
        "/api/regions", headers=admin.headers, json={"code": "450102009001", "name": "无乡村"}
    )
    assert orphan.status_code == 422
    assert orphan.json()["code"] == "parent_region_not_found"
    gap = await client.post(
        "/api/regions", headers=admin.headers, json={"code": "450100001000", "name": "缺县"}
    )
    assert gap.json()["code"] == "invalid_region_code"
    flagged_village = await client.post(
        "/api/regions",
        headers=admin.headers,
        json={"code": "450102001004", "name": "甲五村", "is_poverty_relieved_county": True},
    )
    assert flagged_village.json()["code"] == "county_flags_only_for_counties"


async def test_only_admin_changes_regions(client, world: World) -> None:
    county = world.user(Role.county)
    denied = await client.post(
        "/api/regions", headers=county.headers, json={"code": "450102001003", "name": "甲四村"}
    )
    assert denied.status_code == 403
    denied_patch = await client.patch(
        f"/api/regions/{COUNTY_A}", headers=county.headers, json={"key_assistance": None}
    )
    assert denied_patch.status_code == 403


async def test_admin_sets_county_flags(client, world: World) -> None:
    admin = world.user(Role.admin)
    response = await client.patch(
        f"/api/regions/{COUNTY_B}",
        headers=admin.headers,
        json={"is_poverty_relieved_county": True, "key_assistance": "provincial"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["key_assistance"] == "provincial"
    assert response.json()["name"] == "乙县"  # untouched
    cleared = await client.patch(
        f"/api/regions/{COUNTY_B}", headers=admin.headers, json={"key_assistance": None}
    )
    assert cleared.json()["key_assistance"] is None
    assert cleared.json()["is_poverty_relieved_county"] is True
    township_flag = await client.patch(
        f"/api/regions/{TOWNSHIP_A1}", headers=admin.headers, json={"key_assistance": "national"}
    )
    assert township_flag.status_code == 422


async def test_region_codes_with_other_scripts_digits_are_refused(client, world: World, pool) -> None:
    admin = world.user(Role.admin)
    arabic_indic = "٤٥٠١٠٢٠٠١٠٠٤"  # 450102001004 in Arabic-Indic digits
    before = await pool.fetchval("SELECT count(*) FROM regions")
    created = await client.post("/api/regions", headers=admin.headers, json={"code": arabic_indic, "name": "甲五村"})
    assert created.status_code == 400 and created.json()["detail"][0]["field"] == "code"
    read = await client.get(f"/api/regions/{arabic_indic}", headers=admin.headers)
    assert read.status_code in (400, 404) and set(read.json()) >= {"code", "message", "request_id"}
    tree = await client.get("/api/regions/tree", params={"root": "４５０１０２０００００００"}, headers=admin.headers)
    assert 400 <= tree.status_code < 500
    assert await pool.fetchval("SELECT count(*) FROM regions") == before
