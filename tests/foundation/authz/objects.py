"""Builders of the objects an operation's path names, at a spot (scene.py): written as the app
leaves them in the state the operation acts on, with the spot's people as their owners."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

from backend.staff.importing import PASSWORDS_CONTEXT
from schemas.base import Role
from tests.elimination.conftest import CHECKLIST_OK
from tests.factories import COUNTY_A, COUNTY_B, TOWNSHIP_A1, TOWNSHIP_B1, User, make_staff_user
from tests.foundation.authz.scene import Scene, Spot
from tests.orders.conftest import THIS_YEAR
from tests.orders.conftest import make_supplier as make_market_supplier

_serial = itertools.count(1)


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
        "INSERT INTO application_objections (application_id, raised_by, content) "
        "VALUES ($1, $2, '邻居反映有车') RETURNING id",
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
        price = await conn.fetchval(
            "UPDATE products SET stock = stock - 2 WHERE id = $1 RETURNING price_fen", product_id
        )
        order_id = await conn.fetchval(
            "INSERT INTO orders (union_id, supplier_id, state, budget_year, total_fen, needs_approval, submitted_by, "
            "submitted_at, updated_at, ship_by, carrier, tracking_no) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now(), $8, $9, $10) RETURNING id",
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
