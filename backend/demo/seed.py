"""Loading the demo into the database: one transaction, set-based, idempotent (every insert skips
what is already there, so a second run changes nothing)."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from backend.auth import utcnow
from backend.calendar.rules import local_date
from backend.demo import data
from backend.demo.people import demo_households
from backend.passwords import hash_password
from backend.pii import Pii
from backend.regions.rules import region_level, region_prefix
from backend.registry.importer.service import insert_households
from schemas.base import Role

# Two `fangpin up` at once must not both insert.
LOCK_SEED = "SELECT pg_advisory_xact_lock(hashtext('fangpin.demo_seed'))"

INSERT_REGIONS = """
INSERT INTO regions (code, name, level, parent_code, prefix, is_poverty_relieved_county, key_assistance)
SELECT * FROM unnest($1::char(12)[], $2::text[], $3::text[], $4::char(12)[], $5::text[],
                     $6::boolean[], $7::text[])
ON CONFLICT (code) DO NOTHING
"""

INSERT_THRESHOLDS = """
INSERT INTO monitoring_thresholds (year, province_code, per_capita_fen, note)
SELECT year, $1, fen, note FROM unnest($2::smallint[], $3::bigint[], $4::text[]) AS t (year, fen, note)
ON CONFLICT (year, province_code) DO NOTHING
"""

INSERT_UNION = """
INSERT INTO unions (name, region_code, approval_threshold_fen)
SELECT $1, $2, $3
WHERE NOT EXISTS (SELECT 1 FROM unions WHERE name = $1)
"""

GET_UNION_ID = "SELECT id FROM unions WHERE name = $1 ORDER BY id LIMIT 1"

INSERT_BUDGETS = """
INSERT INTO union_budgets (union_id, year, budget_fen, food_procurement_fen, per_member_fen, member_count)
SELECT $1, year, fen, food, $5, $6 FROM unnest($2::smallint[], $3::bigint[], $4::bigint[]) AS b (year, fen, food)
ON CONFLICT (union_id, year) DO NOTHING
"""

INSERT_SUPPLIERS = """
INSERT INTO suppliers (name, credit_code, county_code, certification_status)
SELECT name, code, county, 'certified'
FROM unnest($1::text[], $2::text[], $3::char(12)[]) AS s (name, code, county)
ON CONFLICT (credit_code) DO NOTHING
"""

GET_SUPPLIER_IDS = "SELECT credit_code, id FROM suppliers WHERE credit_code = ANY($1::char(18)[])"

INSERT_PRODUCTS = """
INSERT INTO products (supplier_id, cert_no, name, category, unit, price_fen, stock, min_order,
                      origin_county_code)
SELECT p.supplier_id, p.cert_no, p.name, p.category, p.unit, p.price_fen, p.stock, p.min_order,
       s.county_code
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::integer[],
            $8::integer[])
     AS p (supplier_id, cert_no, name, category, unit, price_fen, stock, min_order)
JOIN suppliers s ON s.id = p.supplier_id
WHERE NOT EXISTS (SELECT 1 FROM products x WHERE x.supplier_id = p.supplier_id AND x.name = p.name)
"""

LIST_TAKEN_HOUSEHOLD_NOS = "SELECT household_no FROM households WHERE household_no = ANY($1::text[])"

SET_MONITORING = """
UPDATE households h
SET monitoring_status = m.status, monitoring_type = m.kind
FROM unnest($1::text[], $2::text[], $3::text[]) AS m (household_no, status, kind)
WHERE h.household_no = m.household_no
"""

INSERT_INCOMES = """
INSERT INTO household_incomes (household_id, year, member_count, wage_fen, business_fen, property_fen,
                               transfer_fen, productive_expense_fen, medical_expense_fen)
SELECT h.id, $1, (SELECT count(*) FROM persons p WHERE p.household_id = h.id), i.wage, i.business, i.property,
       i.transfer, i.productive, i.medical
FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
     AS i (household_no, wage, business, property, transfer, productive, medical)
JOIN households h ON h.household_no = i.household_no
ON CONFLICT (household_id, year) DO NOTHING
"""

LIST_USERNAMES = "SELECT username FROM users WHERE username = ANY($1::text[])"

INSERT_STAFF = """
INSERT INTO users (role, username, password_hash, display_name, region_code, department_feeds, union_id,
                   supplier_id)
SELECT role, username, password_hash, display_name, region_code,
       CASE WHEN feed IS NULL THEN '{}'::text[] ELSE ARRAY[feed] END, union_id, supplier_id
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::char(12)[], $6::text[], $7::bigint[],
            $8::bigint[]) AS s (role, username, password_hash, display_name, region_code, feed, union_id, supplier_id)
ON CONFLICT (username) DO NOTHING
"""

ASSIGN_HELPER = """
UPDATE households
SET helper_user_id = (SELECT id FROM users WHERE username = $1)
WHERE village_code = $2
  AND helper_user_id IS NULL
"""

# The demo farmer is the head of the village's first household, under the openid the WeChat fake
# gives DEMO_FARMER_JS_CODE; a head an older demo bound under an openid no code produces takes it.
INSERT_FARMER = """
INSERT INTO users (role, openid, display_name, person_id, household_id)
SELECT 'farmer', $1, p.name, p.id, h.id
FROM households h
JOIN persons p ON p.household_id = h.id AND p.relation = 'head'
WHERE h.household_no = $2
ON CONFLICT (person_id) DO UPDATE
SET openid = EXCLUDED.openid
WHERE users.openid IS DISTINCT FROM EXCLUDED.openid
"""

INSERT_TEMPLATES = """
INSERT INTO notification_templates (event, template_id, page, fields, sms_fallback, enabled)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::boolean[], $6::boolean[])
ON CONFLICT (event) DO NOTHING
"""

# The demo farmer accepted each template once (wx.requestSubscribeMessage), so a case moved on a
# laptop reaches the WeChat fake; a grant spent stays spent on the next seed.
INSERT_FARMER_GRANTS = """
INSERT INTO subscribe_grants (user_id, template_id, remaining)
SELECT u.id, t.template_id, 1
FROM users u
CROSS JOIN unnest($2::text[]) AS t (template_id)
WHERE u.openid = $1
ON CONFLICT (user_id, template_id) DO NOTHING
"""

COUNTS = """
SELECT (SELECT count(*) FROM regions) AS regions,
       (SELECT count(*) FROM households) AS households,
       (SELECT count(*) FROM persons) AS persons,
       (SELECT count(*) FROM users) AS users,
       (SELECT count(*) FROM suppliers) AS suppliers,
       (SELECT count(*) FROM products) AS products,
       (SELECT count(*) FROM monitoring_thresholds) AS thresholds
"""

GET_FARMER = """
SELECT u.id AS user_id, u.household_id, h.household_no, u.display_name
FROM users u JOIN households h ON h.id = u.household_id
WHERE u.openid = $1
"""


class DemoLogin(msgspec.Struct, frozen=True):
    role: str
    username: str
    password: str
    region: str  # "code name", or the organisation for union and supplier staff


class DemoFarmer(msgspec.Struct, frozen=True):
    user_id: int
    household_id: int
    household_no: str
    name: str
    openid: str
    js_code: str  # what wx.login must return (the WeChat fake's code) to log in as this farmer


class DemoSeed(msgspec.Struct, frozen=True):
    logins: list[DemoLogin]
    farmer: DemoFarmer
    counts: dict[str, int]
    households_added: int


async def seed_demo(conn: asyncpg.Connection, pii: Pii, today: dt.date | None = None) -> DemoSeed:
    """Loads the demo (regions, ~200 households, staff, a farmer, a union, suppliers, products,
    thresholds, WeChat templates with the farmer's grants), dated relative to `today` (China's local
    date by default): budgets for this year and the two before, thresholds up to this year, incomes
    for last year. Safe to run again: rows already present are left as they are, so a later year's
    run adds that year's rows."""
    year = (today or local_date(utcnow())).year
    async with conn.transaction():
        await conn.execute(LOCK_SEED)
        await _insert_regions(conn)
        thresholds = data.thresholds_fen(year)
        await conn.execute(INSERT_THRESHOLDS, data.PROVINCE, *map(list, zip(*thresholds, strict=True)))
        union_id = await _insert_union(conn, year)
        supplier_ids = await _insert_suppliers_and_products(conn)
        added = await _insert_households(conn, pii, income_year=year - 1)
        await _insert_staff(conn, union_id, supplier_ids[0])
        helper = next(s for s in data.STAFF if s[0] is Role.helper)
        await conn.execute(ASSIGN_HELPER, helper[1], helper[3])
        first_household_no = f"{data.VILLAGE_SHIMEN}001"
        await conn.execute(INSERT_FARMER, data.DEMO_FARMER_OPENID, first_household_no)
        await _insert_templates(conn)
        farmer = await conn.fetchrow(GET_FARMER, data.DEMO_FARMER_OPENID)
        counts = dict(await conn.fetchrow(COUNTS))
    return DemoSeed(
        logins=[_login(s) for s in data.STAFF],
        farmer=DemoFarmer(
            user_id=farmer["user_id"],
            household_id=farmer["household_id"],
            household_no=farmer["household_no"],
            name=farmer["display_name"],
            openid=data.DEMO_FARMER_OPENID,
            js_code=data.DEMO_FARMER_JS_CODE,
        ),
        counts=counts,
        households_added=added,
    )


def _login(staff: tuple) -> DemoLogin:  # type: ignore[type-arg]
    role, username, password, region, display_name, _ = staff
    where = f"{region} {data.REGION_NAMES[region]}" if region else display_name
    return DemoLogin(role=role.value, username=username, password=password, region=where)


async def _insert_regions(conn: asyncpg.Connection) -> None:
    rows = [
        (code, name, region_level(code).value, parent, region_prefix(code), relieved, key)
        for code, name, parent, relieved, key in data.REGIONS
    ]
    await conn.execute(INSERT_REGIONS, *map(list, zip(*rows, strict=True)))


async def _insert_templates(conn: asyncpg.Connection) -> None:
    events, templates = list(data.TEMPLATES), list(data.TEMPLATES.values())
    await conn.execute(
        INSERT_TEMPLATES,
        [event.value for event in events],
        [t.template_id for t in templates],
        [t.page for t in templates],
        [t.fields for t in templates],
        [t.sms_fallback for t in templates],
        [t.enabled for t in templates],
    )
    await conn.execute(INSERT_FARMER_GRANTS, data.DEMO_FARMER_OPENID, [t.template_id for t in templates])


async def _insert_union(conn: asyncpg.Connection, year: int) -> int:
    await conn.execute(INSERT_UNION, data.UNION_NAME, data.CITY, data.UNION_APPROVAL_THRESHOLD_FEN)
    union_id = await conn.fetchval(GET_UNION_ID, data.UNION_NAME)
    budgets = data.union_budgets_fen(year)
    await conn.execute(
        INSERT_BUDGETS, union_id, *map(list, zip(*budgets, strict=True)), data.UNION_PER_MEMBER_FEN, data.UNION_MEMBERS
    )
    return union_id


async def _insert_suppliers_and_products(conn: asyncpg.Connection) -> list[int]:
    await conn.execute(INSERT_SUPPLIERS, *map(list, zip(*data.SUPPLIERS, strict=True)))
    codes = [code for _, code, _ in data.SUPPLIERS]
    ids = {r["credit_code"]: r["id"] for r in await conn.fetch(GET_SUPPLIER_IDS, codes)}
    supplier_ids = [ids[code] for code in codes]
    products = [(supplier_ids[index], *rest) for index, *rest in data.PRODUCTS]
    await conn.execute(INSERT_PRODUCTS, *map(list, zip(*products, strict=True)))
    return supplier_ids


async def _insert_households(conn: asyncpg.Connection, pii: Pii, income_year: int) -> int:
    demo = demo_households()
    numbers = [d.household.household_no for d in demo]
    taken = {r["household_no"] for r in await conn.fetch(LIST_TAKEN_HOUSEHOLD_NOS, numbers)}
    new = [d for d in demo if d.household.household_no not in taken]
    if not new:
        return 0
    await insert_households(conn, pii, None, [d.household for d in new])
    monitored = [d for d in new if d.monitoring_status != "none"]
    await conn.execute(
        SET_MONITORING,
        [d.household.household_no for d in monitored],
        [d.monitoring_status.value for d in monitored],
        [d.monitoring_type.value if d.monitoring_type else None for d in monitored],
    )
    await conn.execute(
        INSERT_INCOMES,
        income_year,
        [d.household.household_no for d in new],
        *map(list, zip(*(d.income for d in new), strict=True)),
    )
    return len(new)


async def _insert_staff(conn: asyncpg.Connection, union_id: int, supplier_id: int) -> None:
    usernames = [s[1] for s in data.STAFF]
    present = {r["username"] for r in await conn.fetch(LIST_USERNAMES, usernames)}
    missing = [s for s in data.STAFF if s[1] not in present]
    if not missing:
        return
    union_roles = {Role.union_buyer, Role.union_approver}
    rows = [
        (
            role.value,
            username,
            hash_password(password),  # argon2 is slow on purpose: only for accounts not yet there
            display_name,
            region,
            department,
            union_id if role in union_roles else None,
            supplier_id if role is Role.supplier else None,
        )
        for role, username, password, region, display_name, department in missing
    ]
    await conn.execute(INSERT_STAFF, *map(list, zip(*rows, strict=True)))
