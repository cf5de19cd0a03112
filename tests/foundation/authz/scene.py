"""The authorization matrix's world: the known test world (tests/factories.py) and market
(tests/orders/conftest.py), one caller per role, and the places ("spots") an object is built at
relative to a caller, with builders for each kind of object an operation's path names.

A spot is where an object lives: HOME is inside every insider's scope (household a1a with the
bound farmer, union A, supplier 1, the department's own feed, county A); the others sit just
outside some role's scope — the nearest neighbour that a prefix or ownership check must refuse.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from backend.calendar.rules import local_date
from backend.pii import Pii
from backend.settings import Settings
from backend.staff.importing import PASSWORDS_CONTEXT
from schemas.base import Role
from tests.elimination.conftest import CHECKLIST_OK
from tests.factories import (
    COUNTY_A,
    COUNTY_B,
    TOWNSHIP_A1,
    TOWNSHIP_B1,
    VILLAGE_A1A,
    VILLAGE_A1B,
    VILLAGE_A2A,
    VILLAGE_B1A,
    HouseholdRef,
    User,
    World,
    make_farmer,
    make_household,
    make_staff_user,
)
from tests.orders.conftest import THIS_YEAR, Market
from tests.orders.conftest import make_supplier as make_market_supplier

_serial = itertools.count(1)


class Spot(enum.StrEnum):
    HOME = "home"  # a1a and its farmer, union A, supplier 1, the department's feed, county A
    NEIGHBOUR = "neighbour"  # another household of village A1a, with its own bound farmer
    A1B = "a1b"  # another village of township A1
    A2A = "a2a"  # another township of county A
    B1A = "b1a"  # county B
    OTHER_UNION = "other_union"  # union B
    OTHER_SUPPLIER = "other_supplier"  # supplier 2, also of county A
    OTHER_DEPARTMENT = "other_department"  # a feed of another line department of county A
    DRAFT = "draft"  # the bound farmer's unsubmitted case: theirs alone, whatever a staff scope covers


# Spots no scope reaches, an admin's included (backend/applications/rules.PRIVATE_STATES).
PRIVATE_SPOTS = frozenset({Spot.DRAFT})


Spots = Mapping[Role, tuple[Spot, ...]]
_NO_REGION = {Role.union_buyer: (Spot.HOME,), Role.union_approver: (Spot.HOME,), Role.supplier: (Spot.HOME,)}

# Where the object outside each role's scope sits, for objects of a household (cases, alerts,
# visits, plans, photos of cases, regions). Roles without a region (unions, suppliers) meet the
# HOME object: it exists and others may reach it, so only the role check can refuse them.
HOUSEHOLD: Spots = MappingProxyType(
    {
        Role.farmer: (Spot.NEIGHBOUR,),
        Role.helper: (Spot.A1B,),
        Role.grid_officer: (Spot.A1B,),
        Role.village: (Spot.A1B,),
        Role.township: (Spot.A2A,),
        Role.county: (Spot.B1A,),
        # A line department reads nothing of households (README "Roles"), its own county's neither.
        Role.department: (Spot.B1A, Spot.HOME),
        Role.admin: (Spot.HOME,),  # used only where admins may not act at all (Op.admin_acts)
        **_NO_REGION,
    }
)


def spots(**outside: tuple[Spot, ...]) -> Spots:
    """Every role meets the HOME object but those named, who meet theirs."""
    return MappingProxyType({role: outside.get(role.value, (Spot.HOME,)) for role in Role})


# Work assigned to one helper (verifying a case, an alert, a plan, a rectification item): the
# neighbour's, whose helper is another of the same village, is outside the world's helper's too.
ASSIGNED: Spots = MappingProxyType({**HOUSEHOLD, Role.helper: (Spot.A1B, Spot.NEIGHBOUR)})
# Cases: staff meet the farmer's draft besides the case outside their region.
STAFF = (Role.helper, Role.grid_officer, Role.village, Role.township, Role.county, Role.department, Role.admin)
CASE: Spots = MappingProxyType({**HOUSEHOLD, **{r: (*HOUSEHOLD[r], Spot.DRAFT) for r in STAFF}})
ASSIGNED_CASE: Spots = MappingProxyType({**CASE, Role.helper: (*ASSIGNED[Role.helper], Spot.DRAFT)})
# Regions are every region role's to read within its region (a department's too).
REGION = MappingProxyType({**HOUSEHOLD, Role.department: (Spot.B1A,)})


# Orders: the union's own, the supplier's own; county staff those of their county's suppliers.
ORDER = spots(
    union_buyer=(Spot.OTHER_UNION,),
    union_approver=(Spot.OTHER_UNION,),
    supplier=(Spot.OTHER_SUPPLIER,),
    county=(Spot.B1A,),
)
# Suppliers and their products: the supplier itself; county staff their county's.
SUPPLIER = spots(supplier=(Spot.OTHER_SUPPLIER,), county=(Spot.B1A,))
# Feed batches: a department sees its own feeds in its region.
FEED = spots(department=(Spot.B1A, Spot.OTHER_DEPARTMENT), county=(Spot.B1A,))
# Objects of a county (imports): county staff of the other county.
COUNTY = spots(county=(Spot.B1A,))
# Staff accounts: the other county's, and its own county's line department (a county bureau
# manages the cadres below it, backend/staff/rules.MANAGED_ROLES).
ACCOUNT = spots(county=(Spot.B1A, Spot.OTHER_DEPARTMENT))
# Someone else's own thing (an inbox entry, a photo link): everybody meets the neighbour's.
PERSONAL = spots(**{role.value: (Spot.NEIGHBOUR,) for role in Role})
# System-wide objects (calendar, templates, rules, budgets): only admins act; everybody else meets them.
GLOBAL = spots()

HOUSEHOLD_KEY = {Spot.HOME: "a1a", Spot.A1B: "a1b", Spot.A2A: "a2a", Spot.B1A: "b1a"}
VILLAGE = {
    Spot.HOME: VILLAGE_A1A,
    Spot.NEIGHBOUR: VILLAGE_A1A,
    Spot.A1B: VILLAGE_A1B,
    Spot.A2A: VILLAGE_A2A,
    Spot.B1A: VILLAGE_B1A,
}


@dataclass
class Scene:
    pool: asyncpg.Pool
    pii: Pii
    settings: Settings
    world: World
    market: Market
    neighbour: HouseholdRef
    neighbour_farmer: User
    # A helper per place who is not the world's helper: for HOME a second helper of village A1a.
    helpers: dict[Spot, User] = field(default_factory=dict)
    client: AsyncTestClient | None = None  # for objects only the API makes (a served photo)
    worker_ctx: dict[str, Any] = field(default_factory=dict)  # the photo job's, tests/photos/conftest.py
    made: dict[str, Any] = field(default_factory=dict)  # objects two spots share, made once

    def caller(self, role: Role) -> User:
        if role is Role.farmer:
            assert self.world.farmer is not None
            return self.world.farmer
        org = {Role.union_buyer: "buyer_a", Role.union_approver: "approver_a", Role.supplier: "supplier_1"}
        return self.market.users[org[role]] if role in org else self.world.user(role)

    def household(self, spot: Spot) -> HouseholdRef:
        return self.neighbour if spot is Spot.NEIGHBOUR else self.world.households[HOUSEHOLD_KEY.get(spot, "a1a")]

    def verifier(self, spot: Spot) -> User:
        """Who works the household's cases, alerts and visits: its helper (the world's at home)."""
        if spot in (Spot.HOME, Spot.DRAFT):
            return self.world.user(Role.helper)
        return self.helpers[Spot.HOME if spot is Spot.NEIGHBOUR else spot]

    def county_user(self, spot: Spot) -> User:
        return self.world.other_county[Role.county] if spot is Spot.B1A else self.world.user(Role.county)

    def today(self) -> dt.date:
        return local_date(dt.datetime.now(dt.UTC))


async def make_scene(pool: asyncpg.Pool, pii: Pii, settings: Settings, world: World, market: Market) -> Scene:
    async with pool.acquire() as conn, conn.transaction():
        neighbour = await make_household(conn, pii, VILLAGE_A1A)
        scene = Scene(pool, pii, settings, world, market, neighbour, await make_farmer(conn, settings, neighbour))
        scene.helpers[Spot.HOME] = await make_staff_user(conn, settings, Role.helper, VILLAGE_A1A)
        scene.helpers[Spot.A1B] = await make_staff_user(conn, settings, Role.helper, VILLAGE_A1B)
        scene.helpers[Spot.A2A] = await make_staff_user(conn, settings, Role.helper, VILLAGE_A2A)
        scene.helpers[Spot.B1A] = world.other_county[Role.helper]
        for spot in (Spot.A1B, Spot.A2A, Spot.B1A):
            await conn.execute(
                "UPDATE households SET helper_user_id = $2 WHERE id = $1", scene.household(spot).id, scene.helpers[spot].id
            )
        await conn.execute(
            "UPDATE households SET helper_user_id = $2 WHERE id = $1", neighbour.id, scene.helpers[Spot.HOME].id
        )
        # The department reads the medical feed (tests/feeds: 石门县医保局-like); education is another's.
        await conn.execute("UPDATE users SET department_feeds = '{medical}' WHERE role = 'department'")
    return scene


# ---- objects of a household ----


async def monitor(scene: Scene, spot: Spot) -> int:
    """The spot's household, monitored (监测中): assistance works only on those."""
    household_id = scene.household(spot).id
    await scene.pool.execute(
        "UPDATE households SET monitoring_status = 'monitoring', monitoring_type = 'marginal' WHERE id = $1",
        household_id,
    )
    return household_id


async def case(scene: Scene, spot: Spot, state: str, *, kind: str = "identification", **columns: object) -> int:
    """A case of the spot's household in `state`, written as the workflow leaves it there; the
    household's verifier is its assignee. At DRAFT: the home farmer's draft, whatever `state`."""
    if spot is Spot.DRAFT:
        assert scene.world.farmer is not None
        return await scene.pool.fetchval(
            "INSERT INTO applications (household_id, source, state, created_by) "
            "VALUES ($1, 'self_report', 'draft', $2) RETURNING id",
            scene.household(spot).id,
            scene.world.farmer.id,
        )
    names = ["kind", "household_id", "source", "state", "created_by", "assignee_user_id", "discovered_at", *columns]
    values = [
        kind,
        scene.household(spot).id,
        "cadre_screening" if kind == "identification" else None,
        state,
        scene.verifier(spot).id,
        scene.verifier(spot).id,
        dt.datetime.now(dt.UTC),
        *columns.values(),
    ]
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    return await scene.pool.fetchval(
        f"INSERT INTO applications ({', '.join(names)}) VALUES ({placeholders}) RETURNING id", *values
    )


async def case_in_notice(scene: Scene, spot: Spot, *, over: bool = False) -> int:
    """On public notice since a week ago, ending today (still running) or yesterday (`over`)."""
    end = scene.today() - dt.timedelta(days=1 if over else 0)
    return await case(scene, spot, "in_notice", notice_start=end - dt.timedelta(days=6), notice_end=end)


async def objection(scene: Scene, case_id: int, spot: Spot) -> int:
    farmer = scene.neighbour_farmer if spot is Spot.HOME else scene.caller(Role.farmer)
    return await scene.pool.fetchval(
        "INSERT INTO application_objections (application_id, raised_by, content) VALUES ($1, $2, '邻居反映有车') RETURNING id",
        case_id,
        farmer.id,
    )


async def alert(scene: Scene, spot: Spot, status: str = "assigned", level: str = "red") -> int:
    household = scene.household(spot)
    return await scene.pool.fetchval(
        "INSERT INTO alerts (household_id, person_id, rule_code, period, risk_type, level, evidence, why, status, "
        "assignee_user_id, assigned_at, due_date) "
        "VALUES ($1, $2, 'ZJ-01', $3, 'housing_unsafe', $4, '{}', '住房鉴定为D级', $5, $6, now(), $7) RETURNING id",
        household.id,
        household.member_ids[0],
        scene.today().replace(day=1),
        level,
        status,
        scene.verifier(spot).id,
        scene.today() + dt.timedelta(days=10),
    )


async def exemption(scene: Scene, spot: Spot) -> int:
    household = scene.household(spot)
    return await scene.pool.fetchval(
        "INSERT INTO alert_exemptions (id_number_bidx, person_id, rule_code, reason, ends_on, region_code, created_by) "
        "VALUES ($1, $2, 'ZJ-01', '已落实危房改造', $3, $4, $5) RETURNING id",
        scene.pii.id_index(household.id_numbers[0]),
        household.member_ids[0],
        scene.today() + dt.timedelta(days=90),
        COUNTY_B if spot is Spot.B1A else COUNTY_A,
        scene.county_user(spot).id,
    )


async def visit(scene: Scene, spot: Spot) -> int:
    return await scene.pool.fetchval(
        "INSERT INTO visits (household_id, visitor_user_id, visited_at, checklist) "
        "VALUES ($1, $2, now() - interval '1 hour', $3) RETURNING id",
        scene.household(spot).id,
        scene.verifier(spot).id,
        CHECKLIST_OK,
    )


async def rectification(scene: Scene, spot: Spot) -> int:
    visit_id = await visit(scene, spot)
    return await scene.pool.fetchval(
        "INSERT INTO rectification_items (household_id, visit_id, item, description, found_on, owner_user_id) "
        "VALUES ($1, $2, 'housing', '屋顶漏雨', $3, $4) RETURNING id",
        scene.household(spot).id,
        visit_id,
        scene.today(),
        scene.verifier(spot).id,
    )


async def measure(scene: Scene, spot: Spot) -> int:
    household_id = await monitor(scene, spot)
    return await scene.pool.fetchval(
        "INSERT INTO plan_measures (household_id, measure_type, owner_department, start_date, created_by) "
        "VALUES ($1, 'industry', '县农业农村局', $2, $3) RETURNING id",
        household_id,
        scene.today(),
        scene.verifier(spot).id,
    )


async def photo(scene: Scene, owner_kind: str, owner_id: int, household_id: int | None, uploader: User) -> int:
    """A photo row as an upload leaves it (its blob shared: the matrix never serves these)."""
    sha = hashlib.sha256(f"authz-photo-{next(_serial)}".encode()).digest()
    await scene.pool.execute(
        "INSERT INTO photo_blobs (sha256, format, size_bytes, width, height) VALUES ($1, 'jpeg', 1000, 40, 30)", sha
    )
    return await scene.pool.fetchval(
        "INSERT INTO photos (owner_kind, owner_id, household_id, uploaded_by, sha256) VALUES ($1, $2, $3, $4, $5) "
        "RETURNING id",
        owner_kind,
        owner_id,
        household_id,
        uploader.id,
        sha,
    )


async def notification(scene: Scene, spot: Spot) -> int:
    user = scene.neighbour_farmer if spot is Spot.NEIGHBOUR else scene.caller(Role.farmer)
    return await scene.pool.fetchval(
        "INSERT INTO notifications (user_id, event, title, body) "
        "VALUES ($1, 'application_received', '申请已受理', '您的申请已受理') RETURNING id",
        user.id,
    )


# ---- objects of a county ----


async def feed_batch(scene: Scene, spot: Spot) -> int:
    feed = "education" if spot is Spot.OTHER_DEPARTMENT else "medical"
    n = next(_serial)
    return await scene.pool.fetchval(
        "INSERT INTO feed_batches (feed, region_code, period, source, file_name, file_sha256, size_bytes, "
        "storage_key, status) VALUES ($1, $2, $3, 'cli', $4, $5, 0, $4, 'done') RETURNING id",
        feed,
        COUNTY_B if spot is Spot.B1A else COUNTY_A,
        scene.today().replace(day=1),
        f"{feed}-{n}.csv",
        hashlib.sha256(f"authz-feed-{n}".encode()).digest(),
    )


async def registry_import(scene: Scene, spot: Spot) -> int:
    n = next(_serial)
    return await scene.pool.fetchval(
        "INSERT INTO registry_imports (imported_by, source, region_code, file_name, file_sha256, encoding, rows_total, "
        "rows_rejected, households_imported, persons_imported, households_rejected) "
        "VALUES ($1, 'upload', $2, $3, $4, 'utf-8', 1, 0, 1, 1, 0) RETURNING id",
        scene.county_user(spot).id,
        COUNTY_B if spot is Spot.B1A else COUNTY_A,
        f"households-{n}.csv",
        hashlib.sha256(f"authz-import-{n}".encode()).digest(),
    )


async def staff_import(scene: Scene, spot: Spot) -> int:
    """An import of the spot's county bureau, its one-time passwords not yet taken."""
    n = next(_serial)
    passwords = scene.pii.encrypt("username,password\r\nhelper-x,Yi-ci-mi-ma-2024\r\n", context=PASSWORDS_CONTEXT)
    return await scene.pool.fetchval(
        "INSERT INTO staff_imports (imported_by, region_code, file_name, file_sha256, encoding, rows_total, "
        "rows_rejected, users_created, passwords_enc) VALUES ($1, $2, $3, $4, 'utf-8', 1, 0, 1, $5) RETURNING id",
        scene.county_user(spot).id,
        COUNTY_B if spot is Spot.B1A else COUNTY_A,
        f"staff-{n}.csv",
        hashlib.sha256(f"authz-staff-{n}".encode()).digest(),
        passwords,
    )


async def staff_account(scene: Scene, spot: Spot, *, active: bool = True) -> int:
    """A township cadre's account in the spot's county, which its county bureau manages; at
    OTHER_DEPARTMENT a line department's account of county A, which it does not."""
    if spot is Spot.OTHER_DEPARTMENT:
        role, region = Role.department, COUNTY_A
    else:
        role, region = Role.township, TOWNSHIP_B1 if spot is Spot.B1A else TOWNSHIP_A1
    async with scene.pool.acquire() as conn:
        user = await make_staff_user(conn, scene.settings, role, region)
        await conn.execute("UPDATE users SET active = $2 WHERE id = $1", user.id, active)
    return user.id


# ---- the market ----

_ORDER_PARTIES = {  # spot → (union, supplier, product, buyer)
    Spot.HOME: ("union_a", "supplier_1", "rice", "buyer_a"),
    Spot.OTHER_UNION: ("union_b", "supplier_1", "rice", "buyer_b"),
    Spot.OTHER_SUPPLIER: ("union_a", "supplier_2", "honey", "buyer_a"),
    Spot.B1A: ("union_a", "supplier_b", "nuts", "buyer_a"),
}


def supplier_of(scene: Scene, spot: Spot) -> int:
    return getattr(scene.market, {Spot.OTHER_SUPPLIER: "supplier_2", Spot.B1A: "supplier_b"}.get(spot, "supplier_1"))


def product_of(scene: Scene, spot: Spot) -> int:
    return scene.market.products[{Spot.OTHER_SUPPLIER: "honey", Spot.B1A: "nuts"}.get(spot, "rice")]


async def pending_supplier(scene: Scene, spot: Spot) -> int:
    """A supplier that applied and waits for its county's recommendation."""
    async with scene.pool.acquire() as conn:
        return await make_market_supplier(conn, "待推荐合作社", COUNTY_B if spot is Spot.B1A else COUNTY_A, "pending")


async def order(scene: Scene, spot: Spot, state: str, *, needs_approval: bool = False) -> int:
    """Two of a product ordered, stock and budget committed as a submission leaves them."""
    union_key, supplier_key, product_key, buyer_key = _ORDER_PARTIES[spot]
    union_id, supplier_id = getattr(scene.market, union_key), getattr(scene.market, supplier_key)
    product_id = scene.market.products[product_key]
    order_no = next(_serial)
    async with scene.pool.acquire() as conn, conn.transaction():
        price = await conn.fetchval("UPDATE products SET stock = stock - 2 WHERE id = $1 RETURNING price_fen", product_id)
        order_id = await conn.fetchval(
            "INSERT INTO orders (union_id, supplier_id, state, budget_year, total_fen, needs_approval, submitted_by, "
            "submitted_at, updated_at, ship_by, carrier, tracking_no) VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now(), $8, "
            "$9, $10) RETURNING id",
            union_id,
            supplier_id,
            state,
            THIS_YEAR,
            2 * price,
            needs_approval,
            scene.market.users[buyer_key].id,
            scene.today() + dt.timedelta(days=7),
            *(("中国邮政", f"YZ{order_no:010d}") if state in ("shipped", "received", "settled") else (None, None)),
        )
        await conn.execute(
            "INSERT INTO order_lines (order_id, product_id, quantity, price_fen) VALUES ($1, $2, 2, $3)",
            order_id,
            product_id,
            price,
        )
        await conn.execute(
            "UPDATE union_budgets SET committed_fen = committed_fen + $3 WHERE union_id = $1 AND year = $2",
            union_id,
            THIS_YEAR,
            2 * price,
        )
    return order_id
