"""Who sees a photo: every role against every owner kind that is ready, through the owner's list,
the single photo and its signed links. Whoever may read the owner sees its photos, nobody else:
a line department sees no case, and a draft case is its farmer's alone until submitted."""

from __future__ import annotations

import asyncpg
import pytest

from backend.auth import Principal
from backend.settings import Settings
from schemas.base import Role
from tests.factories import COUNTY_A, User, make_farmer, token_for
from tests.photos.conftest import Owners, make_application, phone_photo, upload_files

CALLERS = (
    "farmer",
    "other_farmer",
    "helper",
    "grid_officer",
    "village",
    "township",
    "county",
    "department",
    "union_buyer",
    "union_approver",
    "supplier",
    "admin",
)
# Who may see each owner, written out: the test of the rule, not a copy of it.
SEES = {
    "case": {"farmer", "helper", "grid_officer", "village", "township", "county", "admin"},
    "draft": {"farmer"},
    "product": {"supplier", "union_buyer", "union_approver", "county", "admin"},
}


async def make_union_user(conn: asyncpg.Connection, settings: Settings, role: Role, union_id: int) -> User:
    user_id = await conn.fetchval(
        "INSERT INTO users (role, username, union_id) VALUES ($1, $2, $3) RETURNING id",
        role.value,
        f"{role.value}-{union_id}",
        union_id,
    )
    principal = Principal(user_id=user_id, role=role, union_id=union_id)
    return User(user_id, role, principal, token_for(settings, principal))


@pytest.fixture
async def callers(owners: Owners, pool: asyncpg.Pool, settings: Settings) -> dict[str, User]:
    world = owners.world
    assert world.farmer is not None
    async with pool.acquire() as conn:
        union_id = await conn.fetchval(
            "INSERT INTO unions (name, region_code) VALUES ('测试工会', $1) RETURNING id", COUNTY_A
        )
        unions = {role: await make_union_user(conn, settings, role, union_id) for role in (Role.union_buyer, Role.union_approver)}
        neighbour = await make_farmer(conn, settings, world.households["a1b"])  # same township
    staff = {role.value: world.user(role) for role in world.users}
    return {
        **staff,
        "farmer": world.farmer,
        "other_farmer": neighbour,
        "union_buyer": unions[Role.union_buyer],
        "union_approver": unions[Role.union_approver],
        "supplier": owners.supplier,
    }


async def owner_with_a_ready_photo(client, owners: Owners, pool, process, owner: str) -> tuple[str, int]:
    """(the owner's photo list URL, its ready photo's id), uploaded by the owner's own people."""
    if owner == "product":
        url, uploader = f"/api/products/{owners.product_id}/photos", owners.supplier
    else:
        case_id = owners.application_id
        if owner == "draft":
            async with pool.acquire() as conn:
                case_id = await make_application(conn, owners.world.households["a1a"].id, owners.world.farmer.id, "draft")
        url, uploader = f"/api/applications/{case_id}/photos", owners.world.farmer
    created = await client.post(url, headers=uploader.headers, **upload_files(phone_photo(seed=81)))
    assert created.status_code == 201, created.text
    assert await process(created.json()["id"]) == "ready"
    return url, created.json()["id"]


@pytest.mark.parametrize("owner", sorted(SEES))
async def test_every_role_sees_exactly_the_photos_of_owners_it_may_read(
    client, owners: Owners, callers: dict[str, User], pool, process, owner: str
) -> None:
    url, photo_id = await owner_with_a_ready_photo(client, owners, pool, process, owner)
    seen = set()
    for name in CALLERS:
        caller = callers[name]
        listed = await client.get(url, headers=caller.headers)
        single = await client.get(f"/api/photos/{photo_id}", headers=caller.headers)
        if listed.status_code == 200:
            seen.add(name)
            assert single.status_code == 200, name
            [item] = listed.json()["items"]
            for links in (item["links"], single.json()["links"]):
                served = await client.get(links["thumb_url"])  # the link is the credential
                assert served.status_code == 200, name
                assert served.headers["content-type"] == "image/jpeg"
            assert ("exif" in item) is (name in {"helper", "grid_officer", "village", "township", "county", "admin"})
        else:
            assert (listed.status_code, single.status_code) == (404, 404), name  # as if absent
            assert listed.json()["code"] == "photo_owner_not_found"
            assert single.json()["code"] == "photo_not_found"
            for body in (listed.text, single.text):
                assert "sig=" not in body and "latitude" not in body  # no link, no place
    assert seen == SEES[owner]


async def test_who_reads_the_case_is_who_sees_its_photos(client, owners: Owners, callers: dict[str, User], pool) -> None:
    """The photo rule is the case's own: for every role, the case read and the photo list agree."""
    async with pool.acquire() as conn:
        draft_id = await make_application(conn, owners.world.households["a1a"].id, owners.world.farmer.id, "draft")
    for case_id, readers in ((owners.application_id, SEES["case"]), (draft_id, SEES["draft"])):
        for name in CALLERS:
            caller = callers[name]
            base = "/api/miniapp/farmer" if caller.role is Role.farmer else "/api"
            case = await client.get(f"{base}/applications/{case_id}", headers=caller.headers)
            photos = await client.get(f"/api/applications/{case_id}/photos", headers=caller.headers)
            assert (case.status_code == 200) is (photos.status_code == 200) is (name in readers), (name, case_id)


async def test_staff_cannot_attach_photos_to_a_draft(client, owners: Owners, pool) -> None:
    async with pool.acquire() as conn:
        draft_id = await make_application(conn, owners.world.households["a1a"].id, owners.world.farmer.id, "draft")
    url = f"/api/applications/{draft_id}/photos"
    for role in (Role.helper, Role.village, Role.county):
        refused = await client.post(url, headers=owners.world.user(role).headers, **upload_files(phone_photo(seed=82)))
        assert refused.status_code == 404, role
        assert refused.json()["code"] == "photo_owner_not_found"
    mine = await client.post(url, headers=owners.world.farmer.headers, **upload_files(phone_photo(seed=82)))
    assert mine.status_code == 201
    assert await pool.fetchval("SELECT count(*) FROM photos") == 1
