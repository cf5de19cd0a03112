"""What staff read: alert lists and details in scope, the household's traffic light and open alerts,
counts per light per village; departments and other regions see nothing; the helper is told."""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.base import Role
from schemas.feeds import FeedCode
from tests.alerts.conftest import Feeds
from tests.factories import COUNTY_A, COUNTY_B, VILLAGE_A1A, VILLAGE_A1B, VILLAGE_A2A, make_household, make_staff_user


def dropout(id_number: str, status: str = "dropout") -> dict[str, object]:
    return {"id_number": id_number, "stage": "compulsory", "status": status, "event_date": dt.date(2026, 9, 20)}


@pytest.fixture
async def raised(feeds: Feeds) -> dict[str, int]:
    """One red alert in each of a1a, a1b, a2a, b1a, plus a yellow one in a1a."""
    hh = feeds.world.households
    await feeds.batch(FeedCode.education, [dropout(hh[k].id_numbers[2]) for k in ("a1a", "a1b", "a2a")])
    await feeds.batch(FeedCode.education, [dropout(hh["a1a"].id_numbers[1], "suspended")])
    await feeds.batch(FeedCode.education, [dropout(hh["b1a"].id_numbers[2])], region=COUNTY_B)
    return {a["household_id"]: a["id"] for a in await feeds.alerts(level="red")}


async def listed(client, user, **params: object) -> list[dict[str, object]]:
    response = await client.get("/api/alerts", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        (Role.county, {"a1a", "a1b", "a2a"}),
        (Role.township, {"a1a", "a1b"}),
        (Role.village, {"a1a"}),
        (Role.helper, {"a1a"}),
        (Role.grid_officer, {"a1a"}),
        (Role.admin, {"a1a", "a1b", "a2a", "b1a"}),
    ],
)
async def test_each_role_lists_the_alerts_of_its_region(client, feeds: Feeds, raised, role: Role, visible) -> None:
    ids = {feeds.world.households[k].id: k for k in feeds.world.households}
    items = await listed(client, feeds.world.user(role))
    assert {ids[i["household_id"]] for i in items} == visible


async def test_another_county_sees_only_its_own(client, feeds: Feeds, raised) -> None:
    other = feeds.world.other_county[Role.county]
    b1a = feeds.world.households["b1a"].id
    assert [i["household_id"] for i in await listed(client, other)] == [b1a]
    a1a_alert = raised[feeds.world.households["a1a"].id]
    response = await client.get(f"/api/alerts/{a1a_alert}", headers=other.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "alert_not_found"
    summary = await client.get("/api/alerts/summary", params={"region": COUNTY_A}, headers=other.headers)
    assert summary.status_code == 404


async def test_departments_get_403_everywhere(client, feeds: Feeds, raised) -> None:
    department = feeds.world.user(Role.department)
    alert_id = next(iter(raised.values()))
    for path in ("/api/alerts", f"/api/alerts/{alert_id}", "/api/alerts/summary", "/api/alert-rules"):
        response = await client.get(path, headers=department.headers)
        assert response.status_code == 403, path
    household = feeds.world.households["a1a"].id
    assert (await client.get(f"/api/households/{household}", headers=department.headers)).status_code == 403


async def test_filters(client, feeds: Feeds, raised) -> None:
    county = feeds.world.user(Role.county)
    assert {i["level"] for i in await listed(client, county, level="yellow")} == {"yellow"}
    assert len(await listed(client, county, rule="JY-01")) == 3
    assert len(await listed(client, county, rule="JY-02")) == 1
    in_a1b = await listed(client, county, village=VILLAGE_A1B)
    assert [i["village_code"] for i in in_a1b] == [VILLAGE_A1B]
    assert len(await listed(client, county, status="open")) == 4
    page = await client.get("/api/alerts", params={"page_size": 2, "page": 2}, headers=county.headers)
    assert page.json()["meta"] == {"total": 4, "page": 2, "page_size": 2}
    assert len(page.json()["items"]) == 2
    bad = await client.get("/api/alerts", params={"rule": "yb-1"}, headers=county.headers)
    assert bad.status_code == 400


async def test_an_alert_explains_itself(client, feeds: Feeds, raised) -> None:
    household = feeds.world.households["a1a"]
    response = await client.get(f"/api/alerts/{raised[household.id]}", headers=feeds.world.user(Role.helper).headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rule_code"] == "JY-01"
    assert body["rule_title"] == "义务教育阶段辍学"
    assert body["why"] == "义务教育阶段学生于 2026-09-20 辍学"
    assert body["status"] == "open"
    assert body["person_name"] == household.names[2]
    assert body["evidence"]["status"] == "dropout"
    assert body["id_number_masked"].count("*") == 8
    assert household.id_numbers[2] not in response.text
    assert "threshold" not in body  # a flag rule has none


async def test_the_household_view_shows_light_and_open_alerts(client, feeds: Feeds, raised) -> None:
    household = feeds.world.households["a1a"]
    await feeds.batch(
        FeedCode.civil_registry,
        [{"id_number": household.id_numbers[1], "event": "moved_out", "event_date": dt.date(2026, 10, 2)}],
    )
    response = await client.get(f"/api/households/{household.id}", headers=feeds.world.user(Role.township).headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["traffic_light"] == "red"
    assert [(a["rule_code"], a["level"]) for a in body["open_alerts"]] == [("JY-01", "red"), ("JY-02", "yellow")]
    assert body["registry_flags"] == [
        {"person_id": household.member_ids[1], "reason": "moved_out", "event_date": "2026-10-02"}
    ]
    quiet = feeds.world.households["a1b"]
    await feeds.pool.execute("UPDATE alerts SET level = 'yellow' WHERE household_id = $1", quiet.id)
    async with feeds.pool.acquire() as conn:
        from backend.alerts.service import refresh_traffic_lights

        await refresh_traffic_lights(conn, [quiet.id])
    view = (await client.get(f"/api/households/{quiet.id}", headers=feeds.world.user(Role.county).headers)).json()
    assert view["traffic_light"] == "yellow"


async def test_a_household_without_alerts_is_green_and_farmers_see_no_light(client, feeds: Feeds, raised) -> None:
    async with feeds.pool.acquire() as conn:
        calm = await make_household(conn, feeds.pii, VILLAGE_A1A)
    body = (await client.get(f"/api/households/{calm.id}", headers=feeds.world.user(Role.county).headers)).json()
    assert (body["traffic_light"], body["open_alerts"], body["registry_flags"]) == ("green", [], [])
    farmer = await client.get("/api/miniapp/farmer/household", headers=feeds.world.farmer.headers)
    assert farmer.status_code == 200
    assert "traffic_light" not in farmer.json() and "open_alerts" not in farmer.json()


async def test_counts_per_light_per_village(client, feeds: Feeds, raised) -> None:
    async with feeds.pool.acquire() as conn:
        await make_household(conn, feeds.pii, VILLAGE_A2A)
    county = feeds.world.user(Role.county)
    response = await client.get("/api/alerts/summary", params={"region": COUNTY_A}, headers=county.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(v["village_code"], v["red"], v["yellow"], v["green"]) for v in body["villages"]] == [
        (VILLAGE_A1A, 1, 0, 0),
        (VILLAGE_A1B, 1, 0, 0),
        (VILLAGE_A2A, 1, 0, 1),
    ]
    assert (body["red"], body["yellow"], body["green"]) == (3, 0, 1)
    default = await client.get("/api/alerts/summary", headers=county.headers)
    assert default.json() == body
    township = await client.get("/api/alerts/summary", headers=feeds.world.user(Role.township).headers)
    assert [v["village_code"] for v in township.json()["villages"]] == [VILLAGE_A1A, VILLAGE_A1B]
    beyond = await client.get(
        "/api/alerts/summary", params={"region": COUNTY_A}, headers=feeds.world.user(Role.township).headers
    )
    assert beyond.status_code == 404


async def test_the_helper_is_told_once_per_batch(feeds: Feeds) -> None:
    helper = feeds.world.user(Role.helper)  # responsible for a1a
    hh = feeds.world.households
    _, count = await feeds.batch(
        FeedCode.education, [dropout(hh["a1a"].id_numbers[2]), dropout(hh["a1a"].id_numbers[1], "suspended")]
    )
    assert count == 2
    rows = await feeds.pool.fetch("SELECT user_id, event, title, body, data FROM notifications")
    assert [(r["user_id"], r["event"]) for r in rows] == [(helper.id, "alert_raised")]
    assert rows[0]["body"] == "您负责的 1 户有 2 条新预警（其中红色 1 条），请尽快入户核实。"


async def test_without_a_helper_the_village_grid_officers_are_told(feeds: Feeds) -> None:
    async with feeds.pool.acquire() as conn:
        lonely = await make_household(conn, feeds.pii, VILLAGE_A1A)
        second = await make_staff_user(conn, feeds.world.settings, Role.grid_officer, VILLAGE_A1A)
        await make_staff_user(conn, feeds.world.settings, Role.grid_officer, VILLAGE_A1B)
    await feeds.batch(FeedCode.education, [dropout(lonely.id_numbers[2])])
    recipients = {r["user_id"] for r in await feeds.pool.fetch("SELECT user_id FROM notifications")}
    assert recipients == {feeds.world.user(Role.grid_officer).id, second.id}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/alerts", {"village": "45010200100"}),
        ("/api/alerts", {"village": "45010200100a"}),
        ("/api/alerts/summary", {"region": "4501020000"}),
    ],
)
async def test_region_codes_are_checked(client, feeds: Feeds, path: str, params: dict[str, str]) -> None:
    response = await client.get(path, params=params, headers=feeds.world.user(Role.county).headers)
    assert response.status_code == 400
