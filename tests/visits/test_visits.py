"""Recording home visits in the mini-program and reading them as a reviewer: evidence optional,
flags for what looks wrong (the record is kept either way), and who may do what."""

from __future__ import annotations

import datetime as dt

import asyncpg

from schemas.base import Role
from tests.factories import VILLAGE_A1A, World, make_staff_user
from tests.photos.conftest import phone_photo
from tests.visits.conftest import (
    HOME,
    attach,
    call,
    checklist,
    count,
    flags_of,
    record,
    visit_body,
)


def exif_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y:%m:%d %H:%M:%S")


async def test_a_visit_with_neither_location_nor_photos_is_accepted(client, placed: World, pool) -> None:
    helper, township = placed.user(Role.helper), placed.user(Role.township)
    before = dt.datetime.now(dt.UTC)
    body = visit_body(placed.households["a1a"].id, member_count=3, net_income_fen=2_400_000,
                      rigid_expense_fen=300_000, note="家中老人身体尚可")
    visit = await record(client, helper, body)
    assert "location" not in visit and "photo_ids" not in visit  # none given, none needed
    assert dt.datetime.fromisoformat(visit["received_at"]) >= before  # the server's own time
    seen = await call(client, "GET", f"/api/visits/{visit['id']}", township)
    assert flags_of(seen) == set()
    assert seen["net_income_fen"] == 2_400_000 and seen["member_count"] == 3
    assert seen["checklist"]["food"] == {"ok": True}
    assert await count(pool, "rectification_items") == 0


async def test_a_location_beyond_the_radius_is_flagged_and_recorded(client, placed: World) -> None:
    helper, township = placed.user(Role.helper), placed.user(Role.township)
    far = {"latitude": HOME[0] + 0.03, "longitude": HOME[1], "accuracy_m": 15}
    visit = await record(client, helper, visit_body(placed.households["a1a"].id, location=far))
    assert "flags" not in visit  # the visitor's screen shows the record, not the reviewer's flags
    seen = await call(client, "GET", f"/api/visits/{visit['id']}", township)
    (flag,) = seen["flags"]
    assert flag["flag"] == "location_far" and 3000 < flag["distance_m"] < 3600
    assert seen["location"]["latitude"] == HOME[0] + 0.03

    mock = {"latitude": HOME[0], "longitude": HOME[1], "accuracy_m": 900, "mock": True}
    visit = await record(client, helper, visit_body(placed.households["a1a"].id, location=mock))
    seen = await call(client, "GET", f"/api/visits/{visit['id']}", placed.user(Role.county))
    assert flags_of(seen) == {"location_mock", "location_inaccurate"}


async def test_a_stale_or_distant_exif_photo_is_flagged(client, placed: World, process) -> None:
    helper, village = placed.user(Role.helper), placed.user(Role.village)
    visited_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    visit = await record(client, helper, visit_body(placed.households["a1a"].id, visited_at))
    stale = await attach(client, helper, visit["id"], phone_photo(seed=301, taken=exif_time(visited_at - dt.timedelta(days=9))))
    fresh = await attach(client, helper, visit["id"], phone_photo(seed=302, taken=exif_time(visited_at)))
    distant = await attach(client, helper, visit["id"], phone_photo(seed=303, taken=exif_time(visited_at),
                                                                    gps=(HOME[0] + 0.2, HOME[1])))
    for photo in (stale, fresh, distant):
        assert await process(photo["id"]) == "ready"
    seen = await call(client, "GET", f"/api/visits/{visit['id']}", village)
    assert {(f["flag"], f["photo_id"]) for f in seen["flags"]} == {
        ("photo_taken_earlier", stale["id"]), ("photo_far", distant["id"]),
    }
    assert next(f["days"] for f in seen["flags"] if f["flag"] == "photo_taken_earlier") == 9
    assert seen["photo_ids"] == [stale["id"], fresh["id"], distant["id"]]


async def test_a_reused_photo_is_flagged_on_the_later_visit(client, placed: World, process) -> None:
    helper, township = placed.user(Role.helper), placed.user(Role.township)
    household = placed.households["a1a"].id
    photo = phone_photo(seed=311, taken=exif_time(dt.datetime.now(dt.UTC)))
    first = await record(client, helper, visit_body(household))
    earlier = await attach(client, helper, first["id"], photo)
    await process(earlier["id"])
    second = await record(client, helper, visit_body(household))
    again = await attach(client, helper, second["id"], photo)
    seen = await call(client, "GET", f"/api/visits/{second['id']}", township)
    (flag,) = seen["flags"]
    assert flag["flag"] == "photo_reused" and flag["photo_id"] == again["id"]
    assert str(earlier["id"]) in flag["message"]
    assert flags_of(await call(client, "GET", f"/api/visits/{first['id']}", township)) == set()
    listed = await call(client, "GET", "/api/visits", township, household=household)
    assert [flags_of(v) for v in listed["items"]] == [{"photo_reused"}, set()]  # newest first


async def test_a_problem_opens_one_rectification_item(client, placed: World, pool) -> None:
    helper = placed.user(Role.helper)
    household = placed.households["a1a"].id
    body = visit_body(household, checklist=checklist(housing="西屋墙体开裂", drinking_water="自来水停供一周"))
    visit = await record(client, helper, body)
    assert len(visit["rectification_ids"]) == 2
    again = await record(client, helper, visit_body(household, checklist=checklist(housing="墙体仍开裂")))
    assert "rectification_ids" not in again  # the housing item is still open: the same problem
    items = await call(client, "GET", "/api/miniapp/helper/rectifications", helper)
    assert [(i["item"], i["description"], i["owner_user_id"]) for i in items["items"]] == [
        ("housing", "西屋墙体开裂", helper.id), ("drinking_water", "自来水停供一周", helper.id),
    ]
    assert await count(pool, "rectification_items") == 2


async def test_refused_input_stores_nothing(client, placed: World, pool) -> None:
    helper = placed.user(Role.helper)
    household = placed.households["a1a"].id
    now = dt.datetime.now(dt.UTC)
    future = await record(client, helper, visit_body(household, now + dt.timedelta(hours=2)), status=422)
    assert future["code"] == "visit_time_in_future"
    old = await record(client, helper, visit_body(household, now - dt.timedelta(days=60)), status=422)
    assert old["code"] == "visit_time_too_old"
    silent = await record(client, helper, visit_body(household, checklist=checklist(food="")), status=422)
    assert silent["code"] == "problem_needs_note" and silent["detail"][0]["field"] == "checklist.food.note"
    naive = visit_body(household) | {"visited_at": "2026-12-01T10:00:00"}
    assert (await record(client, helper, naive, status=400))["code"] == "validation_failed"
    assert await count(pool, "visits") == 0


async def test_only_the_responsible_helper_or_a_village_grid_officer_records(
    client, placed: World, pool: asyncpg.Pool, settings
) -> None:
    household = placed.households["a1a"].id
    async with pool.acquire() as conn:
        neighbour = await make_staff_user(conn, settings, Role.helper, VILLAGE_A1A)
    refused = await record(client, neighbour, visit_body(household), status=403)
    assert refused["code"] == "not_responsible_helper"
    outsider = await record(client, placed.other_county[Role.helper], visit_body(household), status=404)
    assert outsider["code"] == "household_not_found"
    far_grid = await record(client, placed.other_county[Role.grid_officer], visit_body(household), status=404)
    assert far_grid["code"] == "household_not_found"
    for role in (Role.township, Role.county, Role.farmer):
        user = placed.farmer if role is Role.farmer else placed.user(role)
        assert user is not None
        await record(client, user, visit_body(household), status=403)
    assert await count(pool, "visits") == 0
    grid = await record(client, placed.user(Role.grid_officer), visit_body(household))
    assert grid["visitor_user_id"] == placed.user(Role.grid_officer).id


async def test_visits_and_their_photos_stay_in_scope(client, placed: World, settings, pool) -> None:
    helper = placed.user(Role.helper)
    visit = await record(client, helper, visit_body(placed.households["a1a"].id))
    path = f"/api/visits/{visit['id']}"
    for outsider in (placed.other_county[Role.township], placed.other_county[Role.county]):
        assert (await call(client, "GET", path, outsider, status=404))["code"] == "visit_not_found"
    await call(client, "GET", path, placed.user(Role.department), status=403)
    async with pool.acquire() as conn:
        neighbour = await make_staff_user(conn, settings, Role.helper, VILLAGE_A1A)
    await call(client, "GET", f"/api/miniapp/helper/visits/{visit['id']}", neighbour, status=404)
    assert (await call(client, "GET", "/api/miniapp/helper/visits", neighbour))["items"] == []
    mine = await call(client, "GET", "/api/miniapp/helper/visits", helper)
    assert [v["id"] for v in mine["items"]] == [visit["id"]]

    photo = phone_photo(seed=321)
    stranger = placed.other_county[Role.helper]
    response = await client.post(f"{path}/photos", headers=stranger.headers, files={"file": ("p.jpg", photo, "image/jpeg")})
    assert response.status_code == 404
    response = await client.post(f"{path}/photos", headers=neighbour.headers, files={"file": ("p.jpg", photo, "image/jpeg")})
    assert response.status_code == 404
    assert await count(pool, "photos") == 0
    attached = await attach(client, helper, visit["id"], photo)
    assert (await client.get(f"/api/photos/{attached['id']}", headers=placed.user(Role.township).headers)).status_code == 200
    assert (await client.get(f"/api/photos/{attached['id']}", headers=stranger.headers)).status_code == 404


async def test_a_helper_sees_only_their_households(client, placed: World, pool: asyncpg.Pool) -> None:
    helper = placed.user(Role.helper)
    listed = await call(client, "GET", "/api/miniapp/helper/to-visit", helper)
    (only,) = listed["items"]
    assert only["household_id"] == placed.households["a1a"].id
    assert only["cadence"] == "monthly" and only["plan_missing"] is True
    assert only["status"] in ("due", "overdue")
    assert listed["plan_missing"] == 1
    others = await call(client, "GET", "/api/miniapp/helper/to-visit", placed.other_county[Role.helper], all="true")
    assert others["items"] == []
    await record(client, helper, visit_body(placed.households["a1a"].id))
    after = await call(client, "GET", "/api/miniapp/helper/to-visit", helper)
    assert after["items"][0]["status"] == "visited" and after["due"] == 0 and after["overdue"] == 0
    await call(client, "GET", "/api/miniapp/helper/to-visit", placed.user(Role.grid_officer), status=403)
