"""Department uploads through the API with the real arq worker: batches, progress, reject reports,
the one-batch-per-file rule, failures that leave nothing, who sees what, and where the clear ID
number never goes."""

from __future__ import annotations

import csv
import io
import logging

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.settings import Settings
from schemas.base import Role
from tests.factories import COUNTY_B, World, make_id_number
from tests.feeds.conftest import (
    PERIOD,
    csv_file,
    medical_rows,
    run_worker,
    staging_count,
    stored_feed_files,
    upload,
)

pytestmark = pytest.mark.usefixtures("redis")


def bad_checksum(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def county_a_file(world: World) -> tuple[bytes, list[str]]:
    """Six rows: two members of county A households (one with a large bill), a county B member,
    someone not in the registry, a wrong ID number and a bad amount. Returns the clear numbers."""
    a1a, a1b, b1a = (world.households[k] for k in ("a1a", "a1b", "b1a"))
    stranger = make_id_number("19900101")
    wrong = bad_checksum(make_id_number("19920202"))
    rows = medical_rows(
        [a1a.id_numbers[0], a1b.id_numbers[0], b1a.id_numbers[0], stranger, wrong, a1a.id_numbers[1]],
        ["30000", "100", "50000", "20000", "100", "abc"],
    )
    numbers = [a1a.id_numbers[0], a1b.id_numbers[0], b1a.id_numbers[0], stranger, wrong, a1a.id_numbers[1]]
    return csv_file(rows), numbers


async def test_a_department_upload_is_read_matched_and_explained(
    client: AsyncTestClient, pool: asyncpg.Pool, settings: Settings, world: World, department
) -> None:
    content, _ = county_a_file(world)
    response = await upload(client, department, content)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert response.headers["location"] == f"/api/feeds/batches/{batch['id']}"
    assert (batch["status"], batch["region_code"], batch["period"]) == ("queued", "450102000000", PERIOD)
    assert batch["progress_percent"] == 0 and batch["source"] == "upload"

    await run_worker(settings)
    done = (await client.get(f"/api/feeds/batches/{batch['id']}", headers=department.headers)).json()
    assert done["status"] == "done" and done["progress_percent"] == 100
    counts = {k: done[k] for k in ("rows_read", "rows_rejected", "rows_loaded", "rows_matched")}
    # The county B member and the stranger are loaded but not matched: outside the batch's region.
    assert counts == {"rows_read": 6, "rows_rejected": 2, "rows_loaded": 4, "rows_matched": 2}
    assert done["encoding"] == "utf-8" and done["header_row"] == 1
    alerts = await pool.fetch("SELECT household_id, level FROM alerts WHERE batch_id = $1", batch["id"])
    assert done["alerts_raised"] == len(alerts) > 0
    assert {a["household_id"] for a in alerts} == {world.households["a1a"].id}
    light = await pool.fetchval("SELECT traffic_light FROM households WHERE id = $1", world.households["a1a"].id)
    assert light == "red"  # 30,000 yuan is over twice the line for a lifted household
    assert await staging_count(pool) == 0  # staging rows go when the batch ends
    assert stored_feed_files(settings) == []  # and so does the file, with its clear ID numbers


async def test_the_reject_report_opens_in_excel_with_masked_values(
    client: AsyncTestClient, settings: Settings, world: World, department
) -> None:
    content, numbers = county_a_file(world)
    batch_id = (await upload(client, department, content)).json()["id"]
    await run_worker(settings)
    response = await client.get(f"/api/feeds/batches/{batch_id}/rejects.csv", headers=department.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["行号", "列", "值", "原因"]
    wrong = numbers[4]
    assert (
        sorted(tuple(r[:3]) for r in rows[1:])
        == [  # the header is row 1; each bad cell once
            ("6", "身份证号", f"{wrong[:6]}********{wrong[-4:]}"),
            ("7", "个人自付", "abc"),
            ("7", "总费用", "abc"),
        ]
    )
    assert all(r[3] for r in rows[1:])  # a reason in Chinese for each
    assert not any(n in response.text for n in numbers)


async def test_the_same_file_twice_is_one_batch(
    client: AsyncTestClient, pool: asyncpg.Pool, settings: Settings, world: World, department
) -> None:
    content, _ = county_a_file(world)
    first = await upload(client, department, content)
    again = await upload(client, department, content, file_name="又一次.csv")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    await run_worker(settings)
    after_done = await upload(client, department, content)
    assert after_done.status_code == 200 and after_done.json()["status"] == "done"
    assert await pool.fetchval("SELECT count(*) FROM feed_batches") == 1
    other_month = await upload(client, department, content, period="2026-09")
    assert other_month.status_code == 201  # the same bytes for another month are another batch


async def test_a_file_with_the_wrong_columns_fails_and_leaves_nothing(
    client: AsyncTestClient, pool: asyncpg.Pool, settings: Settings, world: World, department
) -> None:
    content = csv_file([("x", "1")], header=("身份证号", "备注"))
    batch_id = (await upload(client, department, content)).json()["id"]
    await run_worker(settings)
    failed = (await client.get(f"/api/feeds/batches/{batch_id}", headers=department.headers)).json()
    assert failed["status"] == "failed"
    assert failed["failure_code"].startswith("feed_")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in failed["failure_message"])
    assert failed["rows_loaded"] == failed["rows_rejected"] == failed["alerts_raised"] == 0
    assert await staging_count(pool) == 0
    assert await pool.fetchval("SELECT count(*) FROM feed_rejects") == 0
    assert await pool.fetchval("SELECT count(*) FROM alerts") == 0
    assert stored_feed_files(settings) == []
    # Sent again (the same bytes), a failed batch starts over rather than answering "failed".
    again = await upload(client, department, content)
    assert again.status_code == 200 and again.json()["status"] == "queued"
    assert len(stored_feed_files(settings)) == 1


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"period": "2026-13"}, 422, "feed_period_invalid"),
        ({"period": "202610"}, 422, "feed_period_invalid"),
        ({"period": "2099-01"}, 422, "feed_period_in_future"),
        ({"period": "2013-12"}, 422, "feed_period_too_early"),
        ({"feed": "bank"}, 422, "feed_type_unknown"),
        ({"feed": "education"}, 403, "feed_type_not_allowed"),
        ({"region_code": COUNTY_B}, 403, "feed_region_out_of_scope"),
        ({"region_code": "4501"}, 422, "feed_region_invalid"),
        ({"region_code": "450102999000"}, 422, "feed_region_not_found"),
        ({"colour": "red"}, 400, "feed_form_invalid"),
    ],
)
async def test_a_wrong_form_is_refused_naming_what_was_sent(
    client: AsyncTestClient, pool: asyncpg.Pool, world: World, department, fields, status, code
) -> None:
    content, _ = county_a_file(world)
    response = await upload(client, department, content, **fields)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.json()["message"]
    assert await pool.fetchval("SELECT count(*) FROM feed_batches") == 0


async def test_the_region_may_be_a_six_digit_county_code(client: AsyncTestClient, world: World, department) -> None:
    content, _ = county_a_file(world)
    response = await upload(client, department, content, region_code="450102")
    assert response.status_code == 201 and response.json()["region_code"] == "450102000000"


async def test_a_file_or_form_missing_is_refused(client: AsyncTestClient, world: World, department) -> None:
    empty = await upload(client, department, b"")
    assert (empty.status_code, empty.json()["code"]) == (422, "feed_file_missing")
    not_multipart = await client.post("/api/feeds/batches", json={"feed": "medical"}, headers=department.headers)
    assert (not_multipart.status_code, not_multipart.json()["code"]) == (400, "feed_form_invalid")


async def test_a_file_over_the_cap_is_refused_while_it_is_read(
    settings: Settings, pool: asyncpg.Pool, world: World, department
) -> None:
    small = msgspec.structs.replace(settings, feed_max_bytes=10_000)
    async with AsyncTestClient(app=create_app(small, configure_logs=False)) as capped:
        response = await upload(capped, department, b"id_number\r\n" + b"1" * 20_000)
    assert (response.status_code, response.json()["code"]) == (413, "feed_too_large")
    assert "MB" in response.json()["message"]
    assert await pool.fetchval("SELECT count(*) FROM feed_batches") == 0


async def test_county_staff_and_admins_upload_too_others_may_not(client: AsyncTestClient, world: World) -> None:
    content, _ = county_a_file(world)
    assert (await upload(client, world.user(Role.county), content)).status_code == 201
    admin = await upload(client, world.user(Role.admin), content, region_code="450102", period="2026-09")
    assert admin.status_code == 201
    for role in (Role.township, Role.village, Role.helper):
        refused = await upload(client, world.user(role), content)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert (await upload(client, world.farmer, content)).status_code == 403


async def test_who_sees_which_batches(
    client: AsyncTestClient,
    world: World,
    department,
    education_department,
    other_county_department,
) -> None:
    content, _ = county_a_file(world)
    mine = (await upload(client, department, content)).json()["id"]
    theirs = (await upload(client, other_county_department, content)).json()["id"]

    def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
        assert response.status_code == 200, response.text
        return [b["id"] for b in response.json()["items"]]

    assert ids(await client.get("/api/feeds/batches", headers=department.headers)) == [mine]
    assert ids(await client.get("/api/feeds/batches", headers=other_county_department.headers)) == [theirs]
    # Another department of the same county sees nothing of the medical feed.
    assert ids(await client.get("/api/feeds/batches", headers=education_department.headers)) == []
    assert (await client.get(f"/api/feeds/batches/{mine}", headers=education_department.headers)).status_code == 404
    assert (await client.get(f"/api/feeds/batches/{theirs}", headers=department.headers)).status_code == 404
    rejects = await client.get(f"/api/feeds/batches/{theirs}/rejects.csv", headers=department.headers)
    assert rejects.status_code == 404
    assert ids(await client.get("/api/feeds/batches", headers=world.user(Role.county).headers)) == [mine]
    assert ids(await client.get("/api/feeds/batches", headers=world.user(Role.admin).headers)) == [theirs, mine]
    page = (await client.get("/api/feeds/batches?page=2&page_size=1", headers=world.user(Role.admin).headers)).json()
    assert [b["id"] for b in page["items"]] == [mine] and page["meta"]["total"] == 2
    for role in (Role.township, Role.village, Role.helper):
        assert (await client.get("/api/feeds/batches", headers=world.user(role).headers)).status_code == 403
        assert (await client.get(f"/api/feeds/batches/{mine}", headers=world.user(role).headers)).status_code == 403


async def test_a_department_reads_no_households_or_persons(client: AsyncTestClient, world: World, department) -> None:
    household = world.households["a1a"]
    for path in (
        "/api/households",
        f"/api/households/{household.id}",
        f"/api/persons/{household.member_ids[0]}/id-number",
        "/api/registry/imports",
    ):
        response = await client.get(path, headers=department.headers)
        assert response.status_code == 403, path


async def test_the_clear_id_number_is_in_no_table_log_or_report(
    client: AsyncTestClient,
    pool: asyncpg.Pool,
    settings: Settings,
    world: World,
    department,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    content, numbers = county_a_file(world)
    legacy = numbers[3][:6] + numbers[3][8:17]  # the stranger's 15-digit form, converted by the reader
    content += csv_file(medical_rows([legacy], ["10"]), header=None)
    batch_id = (await upload(client, department, content)).json()["id"]
    await run_worker(settings)
    report = (await client.get(f"/api/feeds/batches/{batch_id}/rejects.csv", headers=department.headers)).text
    batch = (await client.get(f"/api/feeds/batches/{batch_id}", headers=department.headers)).text
    assert '"status":"done"' in batch

    tables = [
        r["t"]
        for r in await pool.fetch("SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public'")
    ]
    dumps = {t: "\n".join(r["row"] for r in await pool.fetch(f"SELECT {t}::text AS row FROM {t}")) for t in tables}
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "feeds.batch.done" in logged  # the worker's own log lines were captured
    for number in [*numbers, legacy]:
        for where, text in [*dumps.items(), ("log", logged), ("report", report), ("batch", batch)]:
            assert number not in text, f"a clear ID number in {where}"
