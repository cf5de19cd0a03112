"""Staff list import through HTTP: XLSX and CSV, row-by-row rejects, one-time passwords taken once."""

from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from schemas.base import Role
from tests.factories import COUNTY_A, TOWNSHIP_A1, VILLAGE_A1A, VILLAGE_A1B, VILLAGE_B1A, World, xlsx

IMPORTS = "/api/staff/imports"



STAFF_LIST = [
    ["序号", "用户名", "姓名", "角色", "区划代码", "手机号"],
    [1, "wang.a1a", "王帮扶", "帮扶干部", VILLAGE_A1A, 13800002222],
    [2, "a1b.cunwei", "甲二村两委", "村两委", VILLAGE_A1B, None],
    [3, "li.b", "李外县", "帮扶干部", VILLAGE_B1A, None],
    [4, "dup", "重复甲", "信息员", VILLAGE_A1A, None],
    [5, "dup", "重复乙", "信息员", VILLAGE_A1A, None],
    [6, "zhao.county", "赵县局", "县乡村振兴局", COUNTY_A, None],
    [7, "sun.grid", "孙信息员", "网格员", TOWNSHIP_A1, None],
]


async def upload(client: AsyncTestClient, user, data: bytes, name: str = "staff.xlsx"):
    return await client.post(IMPORTS, files={"data": (name, data)}, headers=user.headers)


async def test_a_county_imports_its_staff_list_and_takes_the_passwords_once(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool
) -> None:
    county = world.user(Role.county)
    response = await upload(client, county, xlsx(STAFF_LIST))
    assert response.status_code == 201, response.text
    report = response.json()
    assert response.headers["location"] == f"{IMPORTS}/{report['id']}"
    assert (report["rows_total"], report["users_created"], report["rows_rejected"]) == (7, 2, 5)
    assert report["encoding"] == "xlsx" and report["passwords_available"] is True
    assert [(r["row"], r["column"], r["reason"]) for r in report["rejects"]] == [
        (4, "region_code", "该地区不在您的管辖范围内"),
        (5, "username", "用户名在文件中重复出现（第 5、6 行）"),
        (6, "username", "用户名在文件中重复出现（第 5、6 行）"),
        (7, "role", "您不能创建该角色的账号"),
        (8, "region_code", "该角色的地区应为村级区划，填写的是乡镇级"),
    ]
    made = await pool.fetch("SELECT username, role, must_change_password, phone_masked FROM users WHERE created_by = $1 ORDER BY id", county.id)
    assert [tuple(r) for r in made] == [("wang.a1a", "helper", True, "138****2222"), ("a1b.cunwei", "village", True, None)]
    audit = await pool.fetchrow("SELECT detail FROM audit_log WHERE action = 'staff.import'")
    assert len(audit["detail"]["user_ids"]) == 2

    rejects = await client.get(f"{IMPORTS}/{report['id']}/rejects.csv", headers=county.headers)
    assert rejects.status_code == 200 and rejects.headers["content-type"] == "text/csv; charset=utf-8"
    assert rejects.content.startswith(b"\xef\xbb\xbf")
    assert rejects.content.decode("utf-8-sig").splitlines()[1] == "4,region_code,区划代码,该地区不在您的管辖范围内"

    admin_try = await client.post(f"{IMPORTS}/{report['id']}/passwords.csv", headers=world.user(Role.admin).headers)
    assert admin_try.status_code == 404
    taken = await client.post(f"{IMPORTS}/{report['id']}/passwords.csv", headers=county.headers)
    assert taken.status_code == 200 and taken.content.startswith(b"\xef\xbb\xbf")
    lines = taken.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "用户名,姓名,角色,区划代码,初始密码"
    username, _, role, region, password = lines[1].split(",")
    assert (username, role, region) == ("wang.a1a", "帮扶干部", VILLAGE_A1A)
    login = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200 and login.json()["must_change_password"] is True

    again = await client.post(f"{IMPORTS}/{report['id']}/passwords.csv", headers=county.headers)
    assert again.status_code == 410 and again.json()["code"] == "passwords_gone"
    assert (await client.get(f"{IMPORTS}/{report['id']}", headers=county.headers)).json()["passwords_available"] is False
    assert await pool.fetchval("SELECT passwords_enc FROM staff_imports") is None
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'staff.import_passwords_taken'") == 1


async def test_a_gbk_csv_with_english_headers_imports_and_a_taken_username_is_rejected(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool
) -> None:
    taken = await pool.fetchval("SELECT username FROM users WHERE id = $1", world.user(Role.helper).id)
    text = f"username,display_name,role,region_code\r\nzhou.a1,周干部,helper,{TOWNSHIP_A1}\r\n{taken},重名,helper,{VILLAGE_A1A}\r\n"
    response = await upload(client, world.user(Role.county), text.encode("gbk"), "staff.csv")
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["encoding"], report["users_created"]) == ("gbk", 1)
    assert report["rejects"] == [{"row": 3, "column": "username", "reason": "用户名已被使用"}]


async def test_a_bad_header_refuses_the_file_and_records_nothing(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool
) -> None:
    response = await upload(client, world.user(Role.county), xlsx([["用户名", "姓名", "身高"], ["a", "b", "c"]]))
    assert response.status_code == 422 and response.json()["code"] == "import_file_invalid"
    assert {d["field"] for d in response.json()["detail"]} == {"身高", "role"}
    assert await pool.fetchval("SELECT count(*) FROM staff_imports") == 0


async def test_a_form_without_the_file_is_refused_not_a_server_error(
    client: AsyncTestClient, world: World, pool: asyncpg.Pool
) -> None:
    response = await client.post(IMPORTS, files={"note": (None, "名单")}, headers=world.user(Role.county).headers)
    assert response.status_code == 400 and response.json()["code"] == "validation_failed"
    assert await pool.fetchval("SELECT count(*) FROM staff_imports") == 0


async def test_imports_are_the_importers_and_others_cannot_import(client: AsyncTestClient, world: World) -> None:
    report = (await upload(client, world.user(Role.county), xlsx(STAFF_LIST[:2]))).json()
    for role in (Role.county, Role.township):
        other = world.other_county[role]
        assert (await client.get(f"{IMPORTS}/{report['id']}", headers=other.headers)).status_code in (403, 404)
        assert (await client.post(f"{IMPORTS}/{report['id']}/passwords.csv", headers=other.headers)).status_code in (403, 404)
    assert (await client.get(f"{IMPORTS}/{report['id']}", headers=world.user(Role.admin).headers)).status_code == 200
    for role in (Role.township, Role.department, Role.helper):
        assert (await upload(client, world.user(role), xlsx(STAFF_LIST))).status_code == 403
