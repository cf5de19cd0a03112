"""The matrix rows of references: a query parameter or body property that names an object (a list
filter's household, a new case's household, a bulk assignment's alerts, the photos a step attaches).
Each builds the object the reference names at the spot, and whatever the path names at HOME.

A list filter naming an object outside the caller's scope lists nothing (as for an object that does
not exist); a write naming one is refused, 403/404 or the 422 that also refuses an unknown id."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from backend import audit
from schemas.base import Role
from tests.alert_work.conftest import CONFIRM, DISMISS
from tests.applications.conftest import SELF_REPORT, VERIFICATION
from tests.elimination.conftest import CHECKLIST_OK, EVIDENCE, make_monitored
from tests.factories import COUNTY_A, COUNTY_B, TOWNSHIP_A1, TOWNSHIP_A2, TOWNSHIP_B1, make_id_number
from tests.foundation.authz.matrix_cases import ANSWER, RETURNED
from tests.foundation.authz.objects import (
    alert,
    case,
    measure,
    monitor,
    notification,
    order,
    photo,
    product_of,
    rectification,
    supplier_of,
)
from tests.foundation.authz.objects import visit as make_visit
from tests.foundation.authz.op import Build, Op, one
from tests.foundation.authz.scene import (
    ASSIGNED,
    COUNTY,
    GLOBAL,
    ORDER,
    PERSONAL,
    REGION,
    SUPPLIER,
    VILLAGE,
    Scene,
    Spot,
    spots,
)
from tests.orders.conftest import THIS_YEAR, credit_code

Make = Callable[[Scene, Spot], Awaitable[Any]]
# A supplier links households of its own county: another county's is not found.
SUPPLIER_LINKS = spots(supplier=(Spot.B1A,))


async def at_home(scene: Scene, path: Build | None) -> dict[str, Any]:
    """The object the path names, at HOME: one for every spot (a household has one case open)."""
    if path is None:
        return {}
    if "path" not in scene.made:
        scene.made["path"] = await path(scene, Spot.HOME)
    return dict(scene.made["path"])


def ref(name: str, make: Make, *, path: Build | None = None) -> Build:
    """The spot's object under `name`, the object the path names (or the request's other part) at HOME."""

    async def build(scene: Scene, spot: Spot) -> dict[str, Any]:
        return {**await at_home(scene, path), name: await make(scene, spot)}

    return build


def attaching(kind: str, owner: Build | None, make: Make) -> Build:
    """Under photo_ids a photo of a `kind` object: at HOME of the object the path names (`owner`;
    without one, of `make`'s HOME object), which the step attaches; elsewhere of `make`'s object
    at the spot."""

    async def build(scene: Scene, spot: Spot) -> dict[str, Any]:
        target = await at_home(scene, owner)
        owner_id = next(iter(target.values())) if target and spot is Spot.HOME else await make(scene, spot)
        if kind == "order":
            target["photo_ids"] = [await photo(scene, kind, owner_id, None, scene.caller(Role.union_buyer))]
        else:
            household_id = scene.household(spot).id
            target["photo_ids"] = [await photo(scene, kind, owner_id, household_id, scene.verifier(spot))]
        return target

    return build


# ---- what the references name ----


async def _household(scene: Scene, spot: Spot) -> int:
    return scene.household(spot).id


async def _household_no(scene: Scene, spot: Spot) -> str:
    return scene.household(spot).household_no


async def _id_number(scene: Scene, spot: Spot) -> str:
    return scene.household(spot).id_numbers[0]


async def _linkable_no(scene: Scene, spot: Spot) -> str:
    await monitor(scene, spot)
    return scene.household(spot).household_no


async def _visited(scene: Scene, spot: Spot) -> int:
    await make_visit(scene, spot)
    return scene.household(spot).id


async def _assignee(scene: Scene, spot: Spot) -> int:
    await alert(scene, spot)
    return scene.verifier(spot).id


async def _proposable(scene: Scene, spot: Spot) -> int:
    """Monitored for a year by its helper: its risk elimination may be proposed."""
    household_id = scene.household(spot).id
    a_year_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    await make_monitored(scene.pool, household_id, a_year_ago, scene.verifier(spot).id)
    return household_id


async def _person(scene: Scene, spot: Spot) -> int:
    return scene.household(spot).member_ids[0]


async def _open_alerts(scene: Scene, spot: Spot) -> list[int]:
    return [await alert(scene, spot, "open")]


async def _helper(scene: Scene, spot: Spot) -> int:
    """A helper of the spot's village (at home the second helper of village A1a)."""
    return scene.helpers[Spot.HOME if spot is Spot.NEIGHBOUR else spot].id


async def _kept_helper(scene: Scene, spot: Spot) -> dict[str, Any]:
    return {"household_id": await monitor(scene, spot)}


async def _supplier(scene: Scene, spot: Spot) -> int:
    return supplier_of(scene, spot)


async def _union(scene: Scene, spot: Spot) -> int:
    return scene.market.union_a


async def _lines(scene: Scene, spot: Spot) -> list[dict[str, int]]:
    return [{"product_id": product_of(scene, spot), "quantity": 2}]


async def _farmer(scene: Scene, spot: Spot) -> int:
    """The farmer, with one delivery (a notification) to list."""
    await notification(scene, spot)
    return scene.caller(Role.farmer).id


async def _failed_delivery(scene: Scene, spot: Spot) -> list[int]:
    notification_id = await notification(scene, spot)
    await scene.pool.execute("UPDATE notifications SET delivery_status = 'failed' WHERE id = $1", notification_id)
    return [notification_id]


async def _audited(scene: Scene, spot: Spot) -> dict[str, Any]:
    """An audit row of the county bureau's reading a household."""
    county = scene.caller(Role.county)
    async with scene.pool.acquire() as conn:
        await audit.record(conn, county.id, "household.read", "household", scene.household(spot).id)
    return {"actor_user_id": county.id, "object_id": str(scene.household(spot).id)}


async def _actor(scene: Scene, spot: Spot) -> int:
    return (await _audited(scene, spot))["actor_user_id"]


async def _audited_object(scene: Scene, spot: Spot) -> str:
    return (await _audited(scene, spot))["object_id"]


# ---- regions: the spot's village, township or county, with something in it to count ----

TOWNSHIP_OF = {**dict.fromkeys(VILLAGE, TOWNSHIP_A1), Spot.A2A: TOWNSHIP_A2, Spot.B1A: TOWNSHIP_B1}
COUNTY_OF = {**dict.fromkeys(VILLAGE, COUNTY_A), Spot.B1A: COUNTY_B}


def region_of(codes: dict[Spot, str], *made: Make) -> Make:
    """The spot's region code (VILLAGE, TOWNSHIP_OF, COUNTY_OF), once `made` built there."""

    async def make(scene: Scene, spot: Spot) -> str:
        for each in made:
            await each(scene, spot)
        return codes[spot]

    return make


async def _measure_under_way(scene: Scene, spot: Spot) -> None:
    """A plan measure in progress: the outcome report counts those."""
    measure_id = await measure(scene, spot)
    await scene.pool.execute("UPDATE plan_measures SET status = 'in_progress' WHERE id = $1", measure_id)


async def _stationed(scene: Scene, spot: Spot) -> None:
    """A day of the spot's helper in the village (三在村), this month."""
    await scene.pool.execute(
        "INSERT INTO cadre_work_logs (user_id, work_date, village_code, in_village) VALUES ($1, $2, $3, true)",
        scene.verifier(spot).id,
        scene.today(),
        VILLAGE[spot],
    )


# ---- the objects the paths name, at HOME ----


async def _case(scene: Scene, spot: Spot) -> int:
    return await case(scene, spot, "verification")


async def _draft_or_case(scene: Scene, spot: Spot) -> int:
    """At home the farmer's draft (which a submission attaches photos of); elsewhere a case."""
    return await case(scene, Spot.DRAFT if spot is Spot.HOME else spot, "verification")


async def _alert(scene: Scene, spot: Spot) -> int:
    return await alert(scene, spot)


async def _shipped(scene: Scene, spot: Spot) -> int:
    return await order(scene, spot, "shipped")


def _new_visit(scene: Scene, spot: Spot) -> dict[str, Any]:
    return {"visited_at": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat(), "checklist": CHECKLIST_OK}


def _exemption(scene: Scene, spot: Spot) -> dict[str, Any]:
    return {"rule_code": "ZJ-01", "reason": "已落实危房改造", "ends_on": str(scene.today() + dt.timedelta(days=90))}


def _account(role: Role) -> dict[str, Any]:
    return {"username": f"authz-{role.value.replace('_', '-')}", "display_name": "新账号", "role": role.value}


def _new_household(scene: Scene, spot: Spot) -> dict[str, Any]:
    head = {"name": "张三", "id_number": make_id_number(), "relation": "head"}
    return {"household_no": "AUTHZ0001", "category": "ordinary", "members": [head]}


def _new_supplier(scene: Scene, spot: Spot) -> dict[str, Any]:
    return {"name": "新合作社", "credit_code": credit_code()}


def _keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": f"authz-matrix-{key}"}


Filter = functools.partial(Op, lists=True, admin_acts=True)
Report = functools.partial(Op, admin_acts=True)  # of a region, or a record made in one: admins' anywhere
ALERTED = region_of(VILLAGE, _alert)
ASSISTED = region_of(VILLAGE, _measure_under_way)
# Only the object's own photos are attached: a photo of any other, in scope or not, gets the 422
# that also answers an unknown photo id.
CASE_PHOTOS = functools.partial(Op, refusal="photo_not_on_application")
ALERT_PHOTOS = functools.partial(Op, refusal="photo_not_on_alert")
# Admins list deliveries and audit rows, make union and supplier accounts, retry deliveries:
# everybody else meets the HOME object and is refused by role.
ADMIN = functools.partial(Op, spots=GLOBAL, admin_acts=True)
HOUSEHOLD_ID = ref("household_id", _household)
FOR_CASE = attaching("application", one("case_id", _case), _case)
FOR_RETURNED = attaching("application", RETURNED, _case)
FOR_ALERT = attaching("alert", one("alert_id", _alert), _alert)
LINK = {"kind": "employment", "year": THIS_YEAR, "amount_fen": 360_000}

OPS: dict[str, Op] = {
    # list filters
    "ListAlerts assignee": Filter(ref("assignee", _assignee), Role.county),
    "ListVisits household": Filter(ref("household", _visited), Role.village, spots=ASSIGNED),
    "ListHelperVisits household": Filter(ref("household", _visited), Role.helper, spots=ASSIGNED, admin_acts=False),
    "SearchHouseholds household_no": Filter(ref("household_no", _household_no), Role.village),
    "SearchHouseholds id_number": Filter(ref("id_number", _id_number), Role.village),
    "ListProducts supplier_id": Filter(ref("supplier_id", _supplier), Role.supplier, spots=SUPPLIER),
    "ListDeliveries user_id": Filter(ref("user_id", _farmer), Role.admin, spots=GLOBAL),
    "ListAuditEntries actor_user_id": Filter(ref("actor_user_id", _actor), Role.admin, spots=GLOBAL),
    "ListAuditEntries object_id": Filter(ref("object_id", _audited_object), Role.admin, spots=GLOBAL),
    # a body naming a household or a person
    "OpenApplication household_id": Op(HOUSEHOLD_ID, Role.grid_officer, SELF_REPORT),
    "ReportHousehold household_id": Op(HOUSEHOLD_ID, Role.helper, SELF_REPORT),
    "RecordVisit household_id": Op(HOUSEHOLD_ID, Role.helper, _new_visit, spots=ASSIGNED),
    "ProposeRiskElimination household_id": Op(ref("household_id", _proposable), Role.helper, EVIDENCE, spots=ASSIGNED),
    "CreateAlertExemption person_id": Op(ref("person_id", _person), Role.county, _exemption),
    "PutBenefitLink household_no": Op(ref("household_no", _linkable_no), Role.supplier, LINK, spots=SUPPLIER_LINKS),
    # bulk assignment: the alerts, and whom they go to (the 422 answers an unknown user alike)
    "AssignAlerts alert_ids": Op(ref("alert_ids", _open_alerts), Role.county, {"note": "请尽快核实"}),
    "AssignAlerts assignee_user_id": Op(
        ref("assignee_user_id", _helper, path=one("alert_ids", _open_alerts)), Role.county, {},
        refusal="assignee_not_eligible",
    ),
    "AssignHelper helper_user_id": Op(
        ref("helper_user_id", _helper, path=_kept_helper), Role.county, {"note": "驻村工作队员"},
        refusal="helper_not_eligible",
    ),
    # The catalogue is every union's to buy from, so no product is outside a buyer's scope (a
    # suspended one is business state, tests/orders); every other role is refused by role.
    "SubmitOrder lines[].product_id": Op(
        ref("lines", _lines), Role.union_buyer, {"ship_by_days": 7}, spots=spots(union_buyer=()),
        headers=_keyed("order"),
    ),
    "CreateStaffUser union_id": ADMIN(ref("union_id", _union), Role.admin, _account(Role.union_buyer)),
    "CreateStaffUser supplier_id": ADMIN(ref("supplier_id", _supplier), Role.admin, _account(Role.supplier)),
    "RetryFailedDeliveries ids": ADMIN(ref("ids", _failed_delivery), Role.admin, {}),
    # regions by code: a list filter lists nothing outside, a report's region is not found
    "GetRegionTree root": Report(ref("root", region_of(VILLAGE)), Role.village, spots=REGION),
    "SearchHouseholds region_code": Filter(ref("region_code", region_of(VILLAGE)), Role.village),
    "SearchStaffUsers region_code": Filter(ref("region_code", region_of(TOWNSHIP_OF)), Role.county, spots=COUNTY),
    "ListAlerts village": Filter(ref("village", ALERTED), Role.county),
    "ExportAlerts village": Filter(ref("village", ALERTED), Role.county),
    "GetAlertBoard region": Report(ref("region", ALERTED), Role.county),
    "ExportAlertBoard region": Report(ref("region", ALERTED), Role.county),
    "ListAlertWorkload region": Report(ref("region", ALERTED), Role.county),
    "SummariseTrafficLights region": Report(ref("region", ALERTED), Role.county),
    "GetOutcomeReport region": Report(ref("region", ASSISTED), Role.county),
    "ListHouseholdOutcomes region": Filter(ref("region", ASSISTED), Role.county),
    "ExportHouseholdOutcomes region": Report(ref("region", ASSISTED), Role.county),
    "ListVisits village": Filter(ref("village", region_of(VILLAGE, make_visit)), Role.village),
    "ListRectifications region": Filter(ref("region", region_of(VILLAGE, rectification)), Role.township),
    "GetClearanceReport township": Report(ref("township", region_of(TOWNSHIP_OF, rectification)), Role.township),
    "GetCadreLogReport region": Report(ref("region", region_of(VILLAGE, _stationed)), Role.township),
    "GetVisitBoard region": Report(ref("region", region_of(VILLAGE, make_visit)), Role.township),
    "CreateHousehold village_code": Report(ref("village_code", region_of(VILLAGE)), Role.county, _new_household),
    "CreateStaffUser region_code": Report(
        ref("region_code", region_of(TOWNSHIP_OF)), Role.county, _account(Role.township), spots=COUNTY
    ),
    # (the 422 answers a code that is no county alike)
    "RegisterSupplier county_code": Report(
        ref("county_code", region_of(COUNTY_OF)), Role.county, _new_supplier, spots=COUNTY, refusal="not_a_county"
    ),
    # photos a step attaches
    "SubmitApplication photo_ids": CASE_PHOTOS(
        attaching("application", None, _draft_or_case), Role.farmer, SELF_REPORT, spots=PERSONAL,
        headers=_keyed("submit"),
    ),
    "AnswerReturn photo_ids": CASE_PHOTOS(FOR_RETURNED, Role.farmer, ANSWER),
    "AnswerReturnAsStaff photo_ids": CASE_PHOTOS(FOR_RETURNED, Role.helper, ANSWER),
    "SupplyMaterial photo_ids": CASE_PHOTOS(FOR_RETURNED, Role.helper, ANSWER),
    "VerifyApplication photo_ids": CASE_PHOTOS(FOR_CASE, Role.helper, VERIFICATION),
    "VerifyAtHome photo_ids": CASE_PHOTOS(FOR_CASE, Role.helper, VERIFICATION),
    "DismissAlert photo_ids": ALERT_PHOTOS(FOR_ALERT, Role.helper, DISMISS),
    "ConfirmAlertHardship photo_ids": ALERT_PHOTOS(FOR_ALERT, Role.helper, CONFIRM),
    "ReceiveOrder photo_ids": Op(
        attaching("order", one("order_id", _shipped), _shipped), Role.union_buyer, {"note": "货已收到"}, spots=ORDER,
        refusal="photo_not_on_order",
    ),
}
