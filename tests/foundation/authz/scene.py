"""The authorization matrix's world: the known test world (tests/factories.py) and market
(tests/orders/conftest.py), one caller per role, and the places ("spots") an object is built at
relative to a caller (the builders are in objects.py).

A spot is where an object lives: HOME is inside every insider's scope (household a1a with the
bound farmer, union A, supplier 1, the department's own feed, county A); the others sit just
outside some role's scope — the nearest neighbour that a prefix or ownership check must refuse.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from backend.calendar.rules import local_date
from backend.pii import Pii
from backend.settings import Settings
from schemas.base import Role
from tests.factories import (
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
from tests.orders.conftest import Market


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
                "UPDATE households SET helper_user_id = $2 WHERE id = $1",
                scene.household(spot).id,
                scene.helpers[spot].id,
            )
        await conn.execute(
            "UPDATE households SET helper_user_id = $2 WHERE id = $1", neighbour.id, scene.helpers[Spot.HOME].id
        )
        # The department reads the medical feed (tests/feeds: 石门县医保局-like); education is another's.
        await conn.execute("UPDATE users SET department_feeds = '{medical}' WHERE role = 'department'")
    return scene
