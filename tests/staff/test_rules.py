"""Who may make which account where, and the staff list's cells, without a database."""

from __future__ import annotations

import pytest

from backend.auth import Principal
from backend.staff import columns, rules
from backend.tabular import RawRow
from schemas.base import Role
from schemas.feeds import FeedCode
from tests.factories import (
    CITY,
    COUNTY_A,
    COUNTY_B,
    PROVINCE,
    TOWNSHIP_A1,
    TOWNSHIP_B1,
    VILLAGE_A1A,
    VILLAGE_B1A,
)

COUNTY = Principal(user_id=1, role=Role.county, region_code=COUNTY_A)
ADMIN = Principal(user_id=2, role=Role.admin, region_code=PROVINCE)
LEVELS = {
    PROVINCE: "province",
    CITY: "city",
    COUNTY_A: "county",
    COUNTY_B: "county",
    TOWNSHIP_A1: "township",
    TOWNSHIP_B1: "township",
    VILLAGE_A1A: "village",
    VILLAGE_B1A: "village",
}
FACTS = rules.StaffFacts(region_levels=LEVELS, taken_usernames=frozenset({"taken"}), union_ids=frozenset({5}))


def problems(caller: Principal, **fields: object) -> list[tuple[str, str, bool]]:
    candidate = rules.Candidate(**{"username": "zhang.san", "display_name": "张三", **fields})  # type: ignore[arg-type]
    return [(p.field, p.reason, p.forbidden) for p in rules.candidate_problems(caller, candidate, FACTS)]


@pytest.mark.parametrize(
    ("role", "region"),
    [
        (Role.helper, VILLAGE_A1A),
        (Role.helper, TOWNSHIP_A1),
        (Role.grid_officer, VILLAGE_A1A),
        (Role.village, VILLAGE_A1A),
        (Role.township, TOWNSHIP_A1),
    ],
)
def test_a_county_makes_the_roles_below_it_at_their_level_in_its_county(role: Role, region: str) -> None:
    assert problems(COUNTY, role=role, region_code=region) == []
    assert rules.may_manage(COUNTY, role, region)


@pytest.mark.parametrize(
    "role",
    [Role.county, Role.admin, Role.department, Role.union_buyer, Role.union_approver, Role.supplier, Role.farmer],
)
def test_a_county_never_makes_its_peers_the_operators_or_farmers(role: Role) -> None:
    assert problems(COUNTY, role=role, region_code=COUNTY_A) == [("role", "您不能创建该角色的账号", True)]
    assert not rules.may_manage(COUNTY, role, COUNTY_A)


def test_another_county_is_out_of_scope() -> None:
    assert problems(COUNTY, role=Role.helper, region_code=VILLAGE_B1A) == [
        ("region_code", "该地区不在您的管辖范围内", True)
    ]
    assert not rules.may_manage(COUNTY, Role.helper, VILLAGE_B1A)
    assert not rules.may_manage(COUNTY, Role.helper, None)


@pytest.mark.parametrize("role", [Role.township, Role.village, Role.helper, Role.department, Role.union_buyer, Role.farmer])
def test_nobody_else_manages_accounts(role: Role) -> None:
    caller = Principal(user_id=3, role=role, region_code=TOWNSHIP_A1)
    assert rules.managed_roles(caller) == frozenset()
    assert problems(caller, role=Role.helper, region_code=VILLAGE_A1A)[0][2]


@pytest.mark.parametrize(
    ("role", "region", "reason"),
    [
        (Role.helper, COUNTY_A, "该角色的地区应为乡镇级或村级区划，填写的是县级"),
        (Role.grid_officer, TOWNSHIP_A1, "该角色的地区应为村级区划，填写的是乡镇级"),
        (Role.village, TOWNSHIP_A1, "该角色的地区应为村级区划，填写的是乡镇级"),
        (Role.township, VILLAGE_A1A, "该角色的地区应为乡镇级区划，填写的是村级"),
        (Role.helper, None, "请填写区划代码"),
        (Role.helper, "450102009009", "区划代码不存在（应为已登记的12位区划代码）"),
        (Role.helper, "４50102001001", "区划代码不存在（应为已登记的12位区划代码）"),
    ],
)
def test_the_region_must_be_at_the_roles_level(role: Role, region: str | None, reason: str) -> None:
    assert problems(COUNTY, role=role, region_code=region) == [("region_code", reason, False)]


def test_admin_makes_any_staff_role_with_its_scope() -> None:
    assert problems(ADMIN, role=Role.county, region_code=COUNTY_B) == []
    assert problems(ADMIN, role=Role.department, region_code=CITY, department_feeds=(FeedCode.medical,)) == []
    assert problems(ADMIN, role=Role.union_buyer, union_id=5) == []
    assert problems(ADMIN, role=Role.farmer) == [("role", "您不能创建该角色的账号", True)]
    assert problems(ADMIN, role=Role.department, region_code=COUNTY_A) == [
        ("department_feeds", "行业部门账号须注明可上传的数据类型", False)
    ]
    assert problems(ADMIN, role=Role.helper, region_code=VILLAGE_A1A, department_feeds=(FeedCode.medical,)) == [
        ("department_feeds", "只有行业部门账号可以上传部门数据", False)
    ]
    assert problems(ADMIN, role=Role.union_approver, union_id=6, region_code=COUNTY_A) == [
        ("region_code", "工会和供应商账号不设地区", False),
        ("union_id", "请选择已登记的工会", False),
    ]
    assert problems(ADMIN, role=Role.supplier) == [("supplier_id", "请选择已登记的供应商", False)]


def test_username_name_and_phone_are_checked() -> None:
    assert problems(COUNTY, role=Role.helper, region_code=VILLAGE_A1A, username="taken") == [
        ("username", "用户名已被使用", False)
    ]
    assert problems(COUNTY, role=Role.helper, region_code=VILLAGE_A1A, username="Zhang San", phone="12345")[0][0] == "username"
    assert problems(COUNTY, role=Role.helper, region_code=VILLAGE_A1A, phone="12345") == [
        ("phone", "手机号码应为11位数字", False)
    ]
    assert problems(COUNTY, role=Role.helper, region_code=VILLAGE_A1A, display_name="长" * 51)[0][0] == "display_name"


def test_a_staff_list_row_takes_chinese_words() -> None:
    parsed = columns.parse_row(
        RawRow(2, {"username": "li", "display_name": "李四", "role": "行业部门", "region_code": COUNTY_A, "phone": "", "department_feeds": "医保、民政,medical"})
    )
    assert parsed.problems == []
    assert parsed.candidate == rules.Candidate(
        username="li",
        display_name="李四",
        role=Role.department,
        region_code=COUNTY_A,
        department_feeds=(FeedCode.medical, FeedCode.welfare),
    )
    bad = columns.parse_row(RawRow(3, {"username": "", "display_name": "王五", "role": "工会采购员", "department_feeds": "财政"}))
    assert bad.candidate is None
    assert [(p.column, p.reason[:6]) for p in bad.problems] == [
        ("username", "必填项为空"),
        ("role", "无法识别「工"),
        ("department_feeds", "无法识别数据"),
    ]
    assert columns.parse_row(RawRow(4, {"username": "x", "display_name": "x", "role": "supplier"})).problems[0].reason == (
        "工会、供应商和农户账号不能批量导入"
    )
