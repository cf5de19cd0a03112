"""A small known world for tests: regions, one staff user per role, households with members.

    province 450000000000 测试省
      city   450100000000
        county A 450102000000 (national key assistance, poverty-relieved)
          township A1 450102001000: villages A1a 450102001001, A1b 450102001002
          township A2 450102002000: village  A2a 450102002001
        county B 450103000000
          township B1 450103001000: village  B1a 450103001001
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field

import asyncpg
import openpyxl
from stdnum.cn import ric

from backend.auth import Principal, issue_access_token
from backend.pii import Pii
from backend.registry import rules as registry_rules
from backend.registry.service import insert_members
from backend.settings import Settings
from schemas.base import Role
from schemas.registry import PersonCreate, Relation

PROVINCE = "450000000000"
CITY = "450100000000"
COUNTY_A = "450102000000"
COUNTY_B = "450103000000"
TOWNSHIP_A1 = "450102001000"
TOWNSHIP_A2 = "450102002000"
TOWNSHIP_B1 = "450103001000"
VILLAGE_A1A = "450102001001"
VILLAGE_A1B = "450102001002"
VILLAGE_A2A = "450102002001"
VILLAGE_B1A = "450103001001"

REGIONS = [
    (PROVINCE, "测试省", "province", None, "45", False, None),
    (CITY, "测试市", "city", PROVINCE, "4501", False, None),
    (COUNTY_A, "甲县", "county", CITY, "450102", True, "national"),
    (COUNTY_B, "乙县", "county", CITY, "450103", False, None),
    (TOWNSHIP_A1, "甲一镇", "township", COUNTY_A, "450102001", False, None),
    (TOWNSHIP_A2, "甲二镇", "township", COUNTY_A, "450102002", False, None),
    (TOWNSHIP_B1, "乙一镇", "township", COUNTY_B, "450103001", False, None),
    (VILLAGE_A1A, "甲一村", "village", TOWNSHIP_A1, VILLAGE_A1A, False, None),
    (VILLAGE_A1B, "甲二村", "village", TOWNSHIP_A1, VILLAGE_A1B, False, None),
    (VILLAGE_A2A, "甲三村", "village", TOWNSHIP_A2, VILLAGE_A2A, False, None),
    (VILLAGE_B1A, "乙一村", "village", TOWNSHIP_B1, VILLAGE_B1A, False, None),
]

# Where each staff role sits in the world (the "A" users); "other" users sit in county B.
STAFF_REGION = {
    Role.helper: VILLAGE_A1A,
    Role.grid_officer: VILLAGE_A1A,
    Role.village: VILLAGE_A1A,
    Role.township: TOWNSHIP_A1,
    Role.county: COUNTY_A,
    Role.department: COUNTY_A,
    Role.admin: PROVINCE,
}

_serial = itertools.count(1)


def make_id_number(birth: str = "19850315", region: str = "450102") -> str:
    """A fresh resident ID number with a valid GB 11643 checksum."""
    body = f"{region}{birth}{next(_serial) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass
class User:
    id: int
    role: Role
    principal: Principal
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class HouseholdRef:
    id: int
    household_no: str
    village_code: str
    member_ids: list[int]
    id_numbers: list[str]
    names: list[str]


@dataclass
class World:
    settings: Settings
    users: dict[Role, User] = field(default_factory=dict)
    other_county: dict[Role, User] = field(default_factory=dict)  # same roles, county B
    households: dict[str, HouseholdRef] = field(default_factory=dict)  # "a1a", "a1b", "a2a", "b1a"
    farmer: User | None = None  # bound to households["a1a"]

    def user(self, role: Role) -> User:
        return self.users[role]


def token_for(settings: Settings, principal: Principal) -> str:
    return issue_access_token(settings, principal)


async def insert_regions(conn: asyncpg.Connection) -> None:
    await conn.executemany(
        "INSERT INTO regions (code, name, level, parent_code, prefix, is_poverty_relieved_county, key_assistance) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        REGIONS,
    )


async def make_household(
    conn: asyncpg.Connection,
    pii: Pii,
    village_code: str,
    *,
    household_no: str | None = None,
    members: int = 3,
    category: str = "lifted",
    phone: str | None = None,
    id_numbers: list[str] | None = None,  # the members' own, else fresh ones
) -> HouseholdRef:
    household_no = household_no or f"H{village_code[-6:]}{next(_serial):05d}"
    from backend.pii import mask_phone

    household_id = await conn.fetchval(
        "INSERT INTO households (household_no, village_code, category, address, head_phone_enc, "
        "head_phone_bidx, head_phone_masked) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        household_no,
        village_code,
        category,
        "测试地址",
        pii.encrypt(phone) if phone else None,
        pii.phone_index(phone) if phone else None,
        mask_phone(phone) if phone else None,
    )
    relations = [Relation.head, Relation.spouse, Relation.child, Relation.parent, Relation.other]
    people = [
        PersonCreate(
            name=f"成员{next(_serial)}",
            id_number=(
                id_numbers[i] if id_numbers else make_id_number("19850315" if i < 2 else "20100101", village_code[:6])
            ),
            relation=relations[min(i, len(relations) - 1)],
        )
        for i in range(members)
    ]
    valid, problems = registry_rules.validate_members(people)
    assert not problems, problems
    await insert_members(conn, pii, household_id, valid)
    ids = [r["id"] for r in await conn.fetch("SELECT id FROM persons WHERE household_id = $1 ORDER BY id", household_id)]
    return HouseholdRef(
        household_id, household_no, village_code, ids, [m.id_number for m in valid], [p.name for p in people]
    )


async def make_staff_user(
    conn: asyncpg.Connection, settings: Settings, role: Role, region_code: str | None, *, username: str | None = None
) -> User:
    user_id = await conn.fetchval(
        "INSERT INTO users (role, username, display_name, region_code) VALUES ($1, $2, $3, $4) RETURNING id",
        role.value,
        username or f"{role.value}-{next(_serial)}",
        f"{role.value} 测试",
        region_code,
    )
    principal = Principal(user_id=user_id, role=role, region_code=region_code)
    return User(user_id, role, principal, token_for(settings, principal))


async def make_farmer(conn: asyncpg.Connection, settings: Settings, household: HouseholdRef) -> User:
    user_id = await conn.fetchval(
        "INSERT INTO users (role, openid, person_id, household_id, display_name) "
        "VALUES ('farmer', $1, $2, $3, '农户') RETURNING id",
        f"openid-{next(_serial)}",
        household.member_ids[0],
        household.id,
    )
    principal = Principal(user_id=user_id, role=Role.farmer, household_id=household.id)
    return User(user_id, Role.farmer, principal, token_for(settings, principal))


async def make_world(pool: asyncpg.Pool, pii: Pii, settings: Settings) -> World:
    world = World(settings=settings)
    async with pool.acquire() as conn, conn.transaction():
        await insert_regions(conn)
        for role, region in STAFF_REGION.items():
            world.users[role] = await make_staff_user(conn, settings, role, region)
            if role is not Role.admin:
                other = VILLAGE_B1A if len(region.rstrip("0")) > 9 else (TOWNSHIP_B1 if region.endswith("000") and not region.endswith("000000") else COUNTY_B)
                world.other_county[role] = await make_staff_user(conn, settings, role, other)
        for key, village in (("a1a", VILLAGE_A1A), ("a1b", VILLAGE_A1B), ("a2a", VILLAGE_A2A), ("b1a", VILLAGE_B1A)):
            world.households[key] = await make_household(conn, pii, village, phone=f"1380000{next(_serial):04d}")
        await conn.execute(
            "UPDATE households SET helper_user_id = $1 WHERE id = $2",
            world.users[Role.helper].id,
            world.households["a1a"].id,
        )
        world.farmer = await make_farmer(conn, settings, world.households["a1a"])
    return world


def xlsx(rows: list[list[object]], *, more_sheets: dict[str, list[list[object]]] | None = None) -> bytes:
    """An XLSX workbook whose first sheet holds these rows (and further sheets by name), as
    Excel would save it."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    for title, sheet_rows in (more_sheets or {}).items():
        sheet = book.create_sheet(title)
        for row in sheet_rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def table_digests(pool: asyncpg.Pool) -> dict[str, str]:
    """md5 of each public table's rows in a stable order, in one round trip: equal before and after
    a refused request, nothing was written."""
    tables = await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    query = " UNION ALL ".join(
        f"SELECT '{t}' AS t, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x"
        for (t,) in tables
    )
    return {r[0]: r[1] for r in await pool.fetch(query)}
