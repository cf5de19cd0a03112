"""Who may make and manage which staff account, and where (DOMAIN §1, §2). Pure: the database's
answers arrive as StaffFacts."""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from backend.auth import Principal
from backend.pii import normalize_phone
from backend.regions.rules import RegionLevel
from schemas.base import Role
from schemas.feeds import FeedCode

# Roles each manager may create, list, deactivate and reset. A county bureau onboards the people
# who work below it; everything else (county, department, union, supplier, admin accounts) is the
# operator's. Nobody creates farmers: they come through WeChat and bind to the registry.
MANAGED_ROLES: dict[Role, frozenset[Role]] = {
    Role.admin: frozenset(Role) - {Role.farmer},
    Role.county: frozenset({Role.helper, Role.grid_officer, Role.village, Role.township}),
}
STAFF_MANAGERS = frozenset(MANAGED_ROLES)

# The region level a role's scope sits at (DOMAIN §1). A helper (帮扶责任人) is a village's cadre
# or a township cadre paired with households in several villages; a line department is a county
# bureau (石门县医保局) or the city's or province's. Union and supplier staff have no region:
# their organisation is their scope.
ROLE_REGION_LEVELS: dict[Role, frozenset[RegionLevel]] = {
    Role.helper: frozenset({RegionLevel.village, RegionLevel.township}),
    Role.grid_officer: frozenset({RegionLevel.village}),
    Role.village: frozenset({RegionLevel.village}),
    Role.township: frozenset({RegionLevel.township}),
    Role.county: frozenset({RegionLevel.county}),
    Role.department: frozenset({RegionLevel.county, RegionLevel.city, RegionLevel.province}),
    Role.admin: frozenset({RegionLevel.province}),
    Role.union_buyer: frozenset(),
    Role.union_approver: frozenset(),
    Role.supplier: frozenset(),
}
UNION_ROLES = frozenset({Role.union_buyer, Role.union_approver})
LEVEL_WORDS = {
    RegionLevel.province: "省级",
    RegionLevel.city: "市级",
    RegionLevel.county: "县级",
    RegionLevel.township: "乡镇级",
    RegionLevel.village: "村级",
}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
REGION_CODE = re.compile(r"^[0-9]{12}$")  # ASCII digits only
MAX_DISPLAY_NAME_CHARS = 50


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    """A staff account to be made, from the API or from a row of an import file."""

    username: str
    display_name: str
    role: Role
    region_code: str | None = None
    union_id: int | None = None
    supplier_id: int | None = None
    department_feeds: tuple[FeedCode, ...] = ()
    phone: str | None = None


class StaffFacts(msgspec.Struct, frozen=True):
    """What the database says about candidates' keys, looked up in bulk."""

    region_levels: dict[str, str]  # code → level, for codes that exist
    taken_usernames: frozenset[str]
    union_ids: frozenset[int] = frozenset()
    supplier_ids: frozenset[int] = frozenset()


class Problem(msgspec.Struct, frozen=True):
    field: str
    reason: str
    forbidden: bool = False  # the caller may not do this at all (403), rather than a fixable value


def managed_roles(caller: Principal) -> frozenset[Role]:
    return MANAGED_ROLES.get(caller.role, frozenset())


def may_manage(caller: Principal, role: Role, region_code: str | None) -> bool:
    """The caller may see and change an account of this role and region."""
    if role not in managed_roles(caller):
        return False
    return caller.role is Role.admin or (region_code is not None and caller.covers_region(region_code))


def scope_like(caller: Principal) -> str:
    """LIKE pattern for the accounts a manager sees; admins see accounts without a region too."""
    return "%" if caller.role is Role.admin else caller.region_like


def candidate_problems(caller: Principal, candidate: Candidate, facts: StaffFacts) -> list[Problem]:
    """Everything wrong with making this account, by the field to fix; empty when it may be made."""
    role = candidate.role
    if role not in managed_roles(caller):
        return [Problem("role", "您不能创建该角色的账号", forbidden=True)]
    problems: list[Problem] = []
    if not USERNAME.match(candidate.username):
        problems.append(Problem("username", "用户名应为3–32位小写字母、数字、下划线、点或连字符，以字母或数字开头"))
    elif candidate.username in facts.taken_usernames:
        problems.append(Problem("username", "用户名已被使用"))
    if not 1 <= len(candidate.display_name) <= MAX_DISPLAY_NAME_CHARS:
        problems.append(Problem("display_name", f"姓名应为1–{MAX_DISPLAY_NAME_CHARS}个字"))
    problems += _region_problems(caller, candidate, facts)
    problems += _organisation_problems(candidate, facts)
    if role is Role.department and not candidate.department_feeds:
        problems.append(Problem("department_feeds", "行业部门账号须注明可上传的数据类型"))
    if role is not Role.department and candidate.department_feeds:
        problems.append(Problem("department_feeds", "只有行业部门账号可以上传部门数据"))
    if candidate.phone is not None:
        try:
            normalize_phone(candidate.phone)
        except ValueError as exc:
            problems.append(Problem("phone", str(exc)))
    return problems


def _region_problems(caller: Principal, candidate: Candidate, facts: StaffFacts) -> list[Problem]:
    levels = ROLE_REGION_LEVELS[candidate.role]
    code = candidate.region_code
    if not levels:
        return [Problem("region_code", "工会和供应商账号不设地区")] if code else []
    if not code:
        return [Problem("region_code", "请填写区划代码")]
    if not REGION_CODE.match(code) or code not in facts.region_levels:
        return [Problem("region_code", "区划代码不存在（应为已登记的12位区划代码）")]
    if not caller.covers_region(code):
        return [Problem("region_code", "该地区不在您的管辖范围内", forbidden=True)]
    level = RegionLevel(facts.region_levels[code])
    if level not in levels:
        wanted = "或".join(LEVEL_WORDS[lv] for lv in sorted(levels, key=list(RegionLevel).index))
        return [Problem("region_code", f"该角色的地区应为{wanted}区划，填写的是{LEVEL_WORDS[level]}")]
    return []


def _organisation_problems(candidate: Candidate, facts: StaffFacts) -> list[Problem]:
    problems: list[Problem] = []
    if candidate.role in UNION_ROLES:
        if candidate.union_id is None or candidate.union_id not in facts.union_ids:
            problems.append(Problem("union_id", "请选择已登记的工会"))
    elif candidate.union_id is not None:
        problems.append(Problem("union_id", "只有工会账号属于工会"))
    if candidate.role is Role.supplier:
        if candidate.supplier_id is None or candidate.supplier_id not in facts.supplier_ids:
            problems.append(Problem("supplier_id", "请选择已登记的供应商"))
    elif candidate.supplier_id is not None:
        problems.append(Problem("supplier_id", "只有供应商账号属于供应商"))
    return problems


def region_codes(candidates: Iterable[Candidate]) -> list[str]:
    return sorted({c.region_code for c in candidates if c.region_code})



# The one-time passwords of an import wait for the importer this long (a working day and a night),
# then are dropped: whoever lost them resets the accounts' passwords instead.
IMPORT_PASSWORDS_TTL_S = 24 * 3600
