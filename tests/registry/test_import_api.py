"""Bulk import through the upload endpoint and the CLI function, against the real database."""

from __future__ import annotations

import asyncio

import asyncpg

from backend.pii import Pii
from backend.registry import importer
from backend.registry.importer.cli import run_import_cli
from schemas.base import Role
from schemas.registry_imports import ImportSource
from tests.factories import (
    COUNTY_A,
    VILLAGE_A1A,
    VILLAGE_A1B,
    VILLAGE_A2A,
    VILLAGE_B1A,
    World,
    make_id_number,
)
from tests.registry.importfiles import csv_bytes, legacy_15


def bad_checksum(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def mixed_file(world: World) -> tuple[bytes, dict[str, list[str]]]:
    """Two good households among bad ones; returns the file and each household's ID numbers."""
    ids = {
        key: [make_id_number(), make_id_number("20100101")]
        for key in ("good", "legacy", "badsum", "unknown", "outside", "nohead", "dup1", "dup2")
    }
    legacy = make_id_number("19850315")
    ids["legacy"][0] = legacy
    ids["dup2"][1] = ids["dup1"][1]
    registered = world.households["a1a"].id_numbers[0]
    rows = [
        (
            "G0001",
            VILLAGE_A1A,
            "lifted",
            "一组1号",
            "13900001111",
            "王大",
            ids["good"][0],
            "head",
            "normal",
            "healthy",
        ),  # 2
        ("G0001", "", "", "", "", "王小", ids["good"][1], "child", "none", "healthy"),  # 3
        ("G0002", VILLAGE_A2A, "一般农户", "", "", "赵大", legacy_15(legacy), "户主", "", ""),  # 4
        ("G0002", VILLAGE_A2A, "一般农户", "", "", "赵小", ids["legacy"][1], "之女", "", "残疾"),  # 5
        ("B0001", VILLAGE_A1B, "lifted", "", "", "钱大", ids["badsum"][0], "head", "", ""),  # 6
        (
            "B0001",
            VILLAGE_A1B,
            "lifted",
            "",
            "",
            "钱小",
            bad_checksum(ids["badsum"][1]),
            "child",
            "",
            "",
        ),  # 7
        ("B0002", "450102001099", "lifted", "", "", "孙大", ids["unknown"][0], "head", "", ""),  # 8
        ("B0003", VILLAGE_B1A, "lifted", "", "", "李大", ids["outside"][0], "head", "", ""),  # 9
        ("B0004", VILLAGE_A1A, "lifted", "", "", "周大", ids["nohead"][0], "spouse", "", ""),  # 10
        ("B0004", VILLAGE_A1A, "lifted", "", "", "周小", ids["nohead"][1], "child", "", ""),  # 11
        ("B0005", VILLAGE_A1A, "lifted", "", "", "吴大", ids["dup1"][0], "head", "", ""),  # 12
        ("B0005", VILLAGE_A1A, "lifted", "", "", "吴小", ids["dup1"][1], "child", "", ""),  # 13
        ("B0006", VILLAGE_A1A, "lifted", "", "", "郑大", ids["dup2"][0], "head", "", ""),  # 14
        ("B0006", VILLAGE_A1A, "lifted", "", "", "郑小", ids["dup2"][1], "child", "", ""),  # 15
        ("B0007", VILLAGE_A1A, "lifted", "", "", "冯大", registered, "head", "", ""),  # 16
    ]
    return csv_bytes(rows), ids


async def upload(client, user, data: bytes, name: str = "households.csv"):
    return await client.post(
        "/api/registry/imports", headers=user.headers, files={"file": (name, data, "text/csv")}
    )


async def household_nos(pool: asyncpg.Pool) -> set[str]:
    return {r["household_no"] for r in await pool.fetch("SELECT household_no FROM households")}


async def test_good_households_go_in_and_bad_rows_are_reported(client, world: World, pool, pii: Pii) -> None:
    data, ids = mixed_file(world)
    before = await household_nos(pool)
    persons_before = await pool.fetchval("SELECT count(*) FROM persons")
    response = await upload(client, world.user(Role.county), data)
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["households_imported"], report["persons_imported"]) == (2, 4)
    assert (report["rows_total"], report["rows_rejected"], report["households_rejected"]) == (15, 11, 7)
    assert report["encoding"] == "utf-8" and report["source"] == "upload"
    problems = {(r["row"], r["column"]) for r in report["rejects"]}
    assert {
        (7, "id_number"),
        (8, "village_code"),
        (9, "village_code"),
        (10, "relation"),
        (13, "id_number"),
        (15, "id_number"),
        (16, "id_number"),
    } <= problems
    assert (6, "household_no") in problems  # the good head of a rejected household is reported too

    assert await household_nos(pool) - before == {"G0001", "G0002"}
    assert await pool.fetchval("SELECT count(*) FROM persons") == persons_before + 4
    rejected_ids = [n for key, numbers in ids.items() if key not in ("good", "legacy") for n in numbers]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM persons WHERE id_number_bidx = ANY($1::bytea[])",
            [pii.id_index(n) for n in rejected_ids],
        )
        == 0
    )
    # the legacy 15-digit number was stored as its 18-digit form, found by the blind index
    found = await client.get(
        f"/api/households?id_number={ids['legacy'][0]}", headers=world.user(Role.county).headers
    )
    assert [h["household_no"] for h in found.json()["items"]] == ["G0002"]
    assert not any(n in response.text for numbers in ids.values() for n in numbers)


async def test_reimporting_the_same_file_adds_nothing(client, world: World, pool) -> None:
    data, _ = mixed_file(world)
    county = world.user(Role.county)
    await upload(client, county, data)
    counts = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM households) h, (SELECT count(*) FROM persons) p"
    )
    again = await upload(client, county, data)
    assert again.status_code == 201
    assert again.json()["households_imported"] == 0
    assert (
        await pool.fetchrow("SELECT (SELECT count(*) FROM households) h, (SELECT count(*) FROM persons) p")
        == counts
    )
    reasons = {r["row"]: r["reason"] for r in again.json()["rejects"] if r["column"] == "household_no"}
    assert "已登记" in reasons[2]


async def test_concurrent_imports_of_one_file_import_it_once(world: World, pool, pii: Pii) -> None:
    data = csv_bytes([("C0001", VILLAGE_A1A, "lifted", "", "", "陈大", make_id_number(), "head", "", "")])

    async def run() -> int:
        async with pool.acquire() as conn:
            report = await importer.import_registry(
                conn,
                pii,
                data=data,
                file_name="a.csv",
                region_code=COUNTY_A,
                source=ImportSource.cli,
                actor_user_id=None,
            )
            return report.households_imported

    assert sorted(await asyncio.gather(run(), run())) == [0, 1]
    assert await pool.fetchval("SELECT count(*) FROM households WHERE household_no = 'C0001'") == 1


async def test_out_of_scope_county_imports_nothing(client, world: World, pool) -> None:
    rows = [
        ("G0001", VILLAGE_A1A, "lifted", "", "", "王大", make_id_number(), "head", "", ""),
        ("G0002", VILLAGE_A2A, "lifted", "", "", "赵大", make_id_number(), "head", "", ""),
    ]
    before = await pool.fetchval("SELECT count(*) FROM persons")
    response = await upload(client, world.other_county[Role.county], csv_bytes(rows))
    assert response.status_code == 201
    assert response.json()["households_imported"] == 0
    assert {r["reason"] for r in response.json()["rejects"]} == {"该村不在您的管辖范围内"}
    assert await pool.fetchval("SELECT count(*) FROM persons") == before


async def test_only_county_and_admin_may_import(client, world: World) -> None:
    data, _ = mixed_file(world)
    for role in (Role.township, Role.village, Role.helper):
        response = await upload(client, world.user(role), data)
        assert response.status_code == 403, role


async def test_a_bad_header_refuses_the_file_and_records_nothing(client, world: World, pool) -> None:
    response = await upload(client, world.user(Role.county), b"household_no,name\nX0001,Li\n")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "import_file_invalid"
    assert {d["field"] for d in body["detail"]} >= {"village_code", "id_number"}
    assert await pool.fetchval("SELECT count(*) FROM registry_imports") == 0


async def test_gbk_upload_is_read(client, world: World, pool) -> None:
    rows = [
        ("K0001", VILLAGE_A1A, "脱贫户", "三组", "", "黄大", make_id_number(), "户主", "弱劳动力", "大病")
    ]
    response = await upload(client, world.user(Role.county), csv_bytes(rows, encoding="gbk"))
    assert response.json()["encoding"] == "gbk"
    assert response.json()["households_imported"] == 1
    row = await pool.fetchrow("SELECT address, category FROM households WHERE household_no = 'K0001'")
    assert (row["address"], row["category"]) == ("三组", "lifted")


async def test_batches_are_listed_in_scope_and_reject_report_downloads(client, world: World) -> None:
    data, ids = mixed_file(world)
    county = world.user(Role.county)
    batch_id = (await upload(client, county, data)).json()["id"]
    listed = await client.get("/api/registry/imports", headers=county.headers)
    assert [b["id"] for b in listed.json()] == [batch_id]
    assert listed.json()[0]["imported_by"] == county.id
    detail = await client.get(f"/api/registry/imports/{batch_id}", headers=county.headers)
    assert len(detail.json()["rejects"]) == 11

    csv_response = await client.get(f"/api/registry/imports/{batch_id}/rejects.csv", headers=county.headers)
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    text = csv_response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "行号,列,列名,原因"
    assert len(lines) == 12
    assert "7,id_number,身份证号," in text
    assert not any(n in text for numbers in ids.values() for n in numbers)

    other = world.other_county[Role.county]
    assert (await client.get("/api/registry/imports", headers=other.headers)).json() == []
    hidden = await client.get(f"/api/registry/imports/{batch_id}/rejects.csv", headers=other.headers)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "import_not_found"


async def test_cli_imports_and_writes_the_reject_report(
    world: World, settings, pool, tmp_path, capsys
) -> None:
    clean = tmp_path / "clean.csv"
    clean.write_bytes(
        csv_bytes([("L0001", VILLAGE_A1A, "lifted", "", "", "林大", make_id_number(), "head", "", "")])
    )
    assert await run_import_cli(settings, str(clean), COUNTY_A) is True
    assert "导入 1 户 1 人" in capsys.readouterr().out

    data, _ = mixed_file(world)
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(data)
    assert await run_import_cli(settings, str(mixed), COUNTY_A) is False
    assert (
        (tmp_path / "mixed.csv.rejects.csv").read_text(encoding="utf-8-sig").startswith("行号,列,列名,原因")
    )
    batch = await pool.fetchrow(
        "SELECT source, imported_by, households_imported FROM registry_imports ORDER BY id DESC LIMIT 1"
    )
    assert (batch["source"], batch["imported_by"], batch["households_imported"]) == ("cli", None, 2)
    assert await run_import_cli(settings, str(mixed), "459999000000") is False  # no such region


async def test_control_characters_and_non_ascii_digits_in_cells_reject_the_household(
    client, world: World, pool
) -> None:
    rows = [
        ("C0001", VILLAGE_A1A, "lifted", "", "", "王\x00大", make_id_number(), "head", "", ""),  # 2
        ("C\x000002", VILLAGE_A1A, "lifted", "", "", "李大", make_id_number(), "head", "", ""),  # 3
        ("C0003", VILLAGE_A1A, "lifted", "", "1３９００００１１１１", "赵大", make_id_number(), "head", "", ""),  # 4
        ("C0004", "٤٥٠١٠٢٠٠١٠٠١", "lifted", "", "", "钱大", make_id_number(), "head", "", ""),  # 5
        ("C0005", VILLAGE_A1A, "lifted", "", "13900001111", "孙大", make_id_number(), "head", "", ""),  # 6
    ]
    before = await household_nos(pool)
    response = await upload(client, world.user(Role.county), csv_bytes(rows))
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["households_imported"] == 1
    problems = {(r["row"], r["column"]): r["reason"] for r in report["rejects"]}
    assert "U+0000" in problems[(2, "name")] and "U+0000" in problems[(3, "household_no")]
    assert (4, "head_phone") in problems and (5, "village_code") in problems
    assert await household_nos(pool) - before == {"C0005"}


def multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, dict[str, str]]:
    """A form written by hand: clients escape what this test must send raw."""
    body = b""
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += b"--xx\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n" + value + b"\r\n"
    return body + b"--xx--\r\n", {"Content-Type": "multipart/form-data; boundary=xx"}


async def test_form_without_a_file_part_is_refused_not_crashed(client, world: World, pool) -> None:
    body, headers = multipart([("note", None, b"x")])
    anonymous = await client.post("/api/registry/imports", content=body, headers=headers)
    assert anonymous.status_code == 401
    county = await client.post("/api/registry/imports", content=body, headers={**headers, **world.user(Role.county).headers})
    assert county.status_code == 400 and county.json()["code"] == "validation_failed"
    assert await pool.fetchval("SELECT count(*) FROM registry_imports") == 0


async def test_file_name_with_a_nul_is_refused(client, world: World, pool) -> None:
    good = csv_bytes([("N0001", VILLAGE_A1A, "lifted", "", "", "王大", make_id_number(), "head", "", "")])
    before = await household_nos(pool)
    body, headers = multipart([("file", "a\x00b.csv", good)])
    response = await client.post("/api/registry/imports", content=body, headers={**headers, **world.user(Role.county).headers})
    assert response.status_code == 400 and response.json()["code"] == "input_has_control_character"
    assert await pool.fetchval("SELECT count(*) FROM registry_imports") == 0
    assert await household_nos(pool) == before
