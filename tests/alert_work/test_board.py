"""What the county reads and keeps: the exemption list (豁免清单), the board per township with its
XLSX, negative-list hits on self-applications, and the helper's photos as evidence on an alert."""

from __future__ import annotations

import datetime as dt
import io

import asyncpg
import openpyxl

from backend.auth import utcnow
from backend.calendar.rules import local_date
from backend.settings import Settings
from schemas.base import Role
from schemas.feeds import FeedCode
from tests.alert_work.conftest import (
    CONFIRM,
    DISMISS,
    assign,
    call,
    housing,
    raise_red,
    raise_yellow,
)
from tests.alerts.conftest import Feeds
from tests.applications.conftest import Flow, clock, flow  # noqa: F401  (fixtures)
from tests.factories import TOWNSHIP_A1, TOWNSHIP_A2, VILLAGE_A2A, make_staff_user
from tests.photos.conftest import phone_photo, upload_files

REASON = "该户2025年已完成危房改造并验收，住建数据尚未更新"


async def test_an_exemption_keeps_exactly_that_person_and_rule_quiet_until_it_ends(
    client, feeds: Feeds, pool: asyncpg.Pool
) -> None:
    world = feeds.world
    county, a1a = world.user(Role.county), world.households["a1a"]
    exempted, neighbour = a1a.member_ids[2], a1a.member_ids[0]
    body = {"person_id": exempted, "rule_code": "ZJ-01", "reason": REASON, "ends_on": "2027-06-30"}
    made = await call(client, "POST", "/api/alert-exemptions", county, body, status=201)
    assert (made["rule_code"], made["reason"], made["ends_on"]) == ("ZJ-01", REASON, "2027-06-30")
    assert a1a.id_numbers[2] not in str(made) and made["id_number_masked"].count("*") >= 8
    again = await call(client, "POST", "/api/alert-exemptions", county, body, status=409)
    assert again["code"] == "exemption_exists"

    batch, raised = await feeds.batch(FeedCode.housing, [housing(a1a.id_numbers[2]), housing(a1a.id_numbers[0])])
    assert raised == 1
    assert [a["person_id"] for a in await feeds.alerts(rule_code="ZJ-01")] == [neighbour]
    assert await pool.fetchval("SELECT alerts_exempted FROM feed_batches WHERE id = $1", batch.id) == 1
    # Another rule still speaks for the exempted person.
    await raise_yellow(feeds, "a1a", member=2)

    # Once the end date has passed, the rule raises for the person again.
    await pool.execute("UPDATE alert_exemptions SET ends_on = $2 WHERE id = $1", made["id"],
                       local_date(utcnow()) - dt.timedelta(days=1))
    assert await call(client, "GET", "/api/alert-exemptions", county) == []
    ended = await call(client, "GET", "/api/alert-exemptions", county, current="false")
    assert [e["id"] for e in ended] == [made["id"]]
    later = dt.date(2026, 11, 1)
    _, raised = await feeds.batch(FeedCode.housing, [housing(a1a.id_numbers[2])], period=later)
    assert raised == 1 and len(await feeds.alerts(person_id=exempted, rule_code="ZJ-01", period=later)) == 1

    audited = await pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE actor_user_id = $1 AND action LIKE '%exemption%'", county.id
    )
    assert audited >= 1


async def test_an_exemption_is_made_and_revoked_only_by_the_county_of_the_person(
    client, feeds: Feeds, pool: asyncpg.Pool
) -> None:
    world = feeds.world
    a1a = world.households["a1a"]
    body = {"person_id": a1a.member_ids[0], "rule_code": "ZJ-01", "reason": REASON, "ends_on": "2027-01-31"}
    away = await call(client, "POST", "/api/alert-exemptions", world.other_county[Role.county], body, status=404)
    assert away["code"] == "person_not_found"
    await call(client, "POST", "/api/alert-exemptions", world.user(Role.township), body, status=403)
    past = await call(client, "POST", "/api/alert-exemptions", world.user(Role.county),
                      {**body, "ends_on": "2020-01-01"}, status=422)
    assert past["code"] == "exemption_end_in_past"
    assert await pool.fetchval("SELECT count(*) FROM alert_exemptions") == 0

    made = await call(client, "POST", "/api/alert-exemptions", world.user(Role.county), body, status=201)
    assert await call(client, "GET", "/api/alert-exemptions", world.other_county[Role.county]) == []
    await call(client, "DELETE", f"/api/alert-exemptions/{made['id']}", world.other_county[Role.county], status=404)
    await call(client, "DELETE", f"/api/alert-exemptions/{made['id']}", world.user(Role.county), status=204)
    await raise_red(feeds, "a1a")  # revoked: the rule raises again


async def test_the_board_counts_each_township_and_its_xlsx_holds_the_same_numbers(
    client, feeds: Feeds, pool: asyncpg.Pool, settings: Settings
) -> None:
    world = feeds.world
    county, helper = world.user(Role.county), world.user(Role.helper)
    async with pool.acquire() as conn:
        grid_a2 = await make_staff_user(conn, settings, Role.grid_officer, VILLAGE_A2A)
    dismissed = await raise_red(feeds, "a1a")
    waiting = await raise_yellow(feeds, "a1a")
    late = await raise_red(feeds, "a1a", member=1)
    converted = await raise_red(feeds, "a2a")
    untouched = await raise_yellow(feeds, "a2a")
    await assign(client, county, [dismissed, waiting, late])
    await assign(client, county, [converted], assignee_user_id=grid_a2.id)
    await call(client, "POST", f"/api/miniapp/helper/alerts/{dismissed}/dismiss", helper, DISMISS)
    await call(client, "POST", f"/api/alerts/{dismissed}/confirm-dismissal", county, {"note": "同意"})
    await call(client, "POST", f"/api/miniapp/helper/alerts/{converted}/confirm", grid_a2, CONFIRM)
    await pool.execute("UPDATE alerts SET due_date = $2 WHERE id = $1", late, local_date(utcnow()) - dt.timedelta(days=2))
    # Verified two days after assignment: the median days to verify.
    await pool.execute(
        "UPDATE alerts SET assigned_at = verified_at - interval '2 days' WHERE id = ANY($1::bigint[])",
        [dismissed, converted],
    )

    board = await call(client, "GET", "/api/alerts/board", county)
    rows = {(r["township_code"], r["rule_code"]): r for r in board["rows"]}
    figures = {key: (r["open"], r["overdue"], r["converted"], r["dismissed"]) for key, r in rows.items()}
    assert figures == {
        (TOWNSHIP_A1, None): (2, 1, 0, 1),
        (TOWNSHIP_A1, "ZJ-01"): (1, 1, 0, 1),
        (TOWNSHIP_A1, "JY-02"): (1, 0, 0, 0),
        (TOWNSHIP_A2, None): (1, 0, 1, 0),
        (TOWNSHIP_A2, "ZJ-01"): (0, 0, 1, 0),
        (TOWNSHIP_A2, "JY-02"): (1, 0, 0, 0),
    }
    assert rows[(TOWNSHIP_A1, None)]["median_verify_days"] == 2.0
    assert rows[(TOWNSHIP_A2, None)]["township_name"] == "甲二镇"
    assert untouched  # open, never assigned: counted as open in 甲二镇

    township = await call(client, "GET", "/api/alerts/board", world.user(Role.township))
    assert {r["township_code"] for r in township["rows"]} == {TOWNSHIP_A1}
    await call(client, "GET", "/api/alerts/board", world.user(Role.township), status=404, region=TOWNSHIP_A2)
    await call(client, "GET", "/api/alerts/board", world.user(Role.helper), status=403)

    export = await client.get("/api/alerts/board.xlsx", headers=county.headers)
    assert export.status_code == 200 and "filename*=UTF-8''" in export.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(export.content), read_only=True).worksheets[0]
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert len(header) == 8
    in_sheet = {(line[0], None if line[2] == "合计" else line[2]): tuple(line[3:7]) for line in lines}
    assert in_sheet == figures

    workload = {w["user_id"]: (w["open"], w["overdue"]) for w in await call(client, "GET", "/api/alerts/workload", county)}
    assert workload[helper.id] == (2, 1)


async def test_a_negative_list_hit_on_a_self_application_is_shown_at_every_step_and_counted(
    flow: Flow, pii
) -> None:
    world = flow.world
    household = world.households["a1a"]
    await flow.pool.execute(
        "INSERT INTO negative_list_entries (id_number_bidx, kind, source_department) VALUES ($1, 'commercial_housing', '不动产')",
        pii.id_index(household.id_numbers[0]),
    )
    case_id = await flow.to_state("verification")
    for role in (Role.helper, Role.village, Role.township, Role.county):
        case = (await flow.call("GET", world.user(role), f"/api/applications/{case_id}", expect=200)).json()
        assert [h["kind"] for h in case["negative_list_hits"]] == ["commercial_housing"], role
    board = (await flow.call("GET", world.user(Role.county), "/api/alerts/board", expect=200)).json()
    assert board["negative_list_cases"] == {TOWNSHIP_A1: 1}
    mine = (await flow.call("GET", world.farmer, f"/api/miniapp/farmer/applications/{case_id}", expect=200)).json()
    assert "negative_list_hits" not in mine


async def test_the_assignee_keeps_photos_on_the_alert_and_nobody_outside_sees_them(
    client, feeds: Feeds, pool: asyncpg.Pool
) -> None:
    world = feeds.world
    county, helper = world.user(Role.county), world.user(Role.helper)
    red = await raise_red(feeds, "a1a")
    await assign(client, county, [red])
    url = f"/api/alerts/{red}/photos"
    uploaded = await client.post(url, headers=helper.headers, **upload_files(phone_photo(seed=5)))
    assert uploaded.status_code == 201, uploaded.text
    photo_id = uploaded.json()["id"]
    outsider = await client.post(url, headers=world.other_county[Role.helper].headers,
                                 **upload_files(phone_photo(seed=6)))
    assert outsider.status_code in (403, 404)
    farmer = await client.post(url, headers=world.farmer.headers, **upload_files(phone_photo(seed=7)))
    assert farmer.status_code in (403, 404)
    assert await pool.fetchval("SELECT count(*) FROM photos WHERE owner_kind = 'alert'") == 1

    done = await call(client, "POST", f"/api/miniapp/helper/alerts/{red}/dismiss", helper,
                      {**DISMISS, "photo_ids": [photo_id]})
    assert done["events"][-1]["photo_ids"] == [photo_id]
    listed = await call(client, "GET", url, county)
    assert [p["id"] for p in listed["items"]] == [photo_id]
    hidden = await client.get(f"/api/photos/{photo_id}", headers=world.other_county[Role.county].headers)
    assert hidden.status_code == 404
