"""The matrix rows of the work on households: alerts and exemptions, the responsible helper and
the plan (一户一策), visits and rectification items, the visit board."""

from __future__ import annotations

from typing import Any

from schemas.base import Role
from tests.alert_work.conftest import CONFIRM, DISMISS
from tests.assistance.conftest import MEASURE
from tests.factories import PROVINCE
from tests.foundation.authz.objects import alert, exemption, measure, monitor, rectification, visit
from tests.foundation.authz.op import Op, one, params
from tests.foundation.authz.scene import ASSIGNED, GLOBAL, VILLAGE, Scene, Spot


async def _household(scene: Scene, spot: Spot) -> int:
    return scene.household(spot).id


async def _proposed_dismissal(scene: Scene, spot: Spot) -> int:
    return await alert(scene, spot, "dismissal_proposed")


async def _without_helper(scene: Scene, spot: Spot) -> int:
    """Monitored; at home it keeps its helper (the body names another), elsewhere it has none."""
    household_id = await monitor(scene, spot)
    if spot is not Spot.HOME:
        await scene.pool.execute("UPDATE households SET helper_user_id = NULL WHERE id = $1", household_id)
    return household_id


def _new_helper(scene: Scene, spot: Spot) -> dict[str, Any]:
    """A helper of the household's own village who is not its helper yet."""
    return {"helper_user_id": scene.helpers.get(spot, scene.helpers[Spot.HOME]).id, "note": "驻村工作队员"}


async def _board(scene: Scene, spot: Spot) -> dict[str, Any]:
    return {"which": "visit_overdue", "region": VILLAGE[spot]}


ALERT = one("alert_id", alert)
PROPOSED = one("alert_id", _proposed_dismissal)
HOUSEHOLD_ID = one("household_id", _household)
MONITORED = one("household_id", monitor)
MEASURE_ID = one("measure_id", measure)
ITEM = one("item_id", rectification)
VISIT = one("visit_id", visit)
CLEARED = {"note": "已组织维修，屋顶不再漏雨。"}
IN_PROGRESS = {"status": "in_progress", "description": "鸡苗已发放"}

OPS: dict[str, Op] = {
    # alerts (backend/alerts/routes.py, miniapp_api/helper_alerts.py)
    "GetAlert": Op(ALERT, Role.county, admin_acts=True),
    "ConfirmAlertDismissal": Op(PROPOSED, Role.county, {"note": "同意核销"}),
    "ReopenAlert": Op(PROPOSED, Role.county, {"note": "请再次入户核实"}),
    "GetHelperAlert": Op(ALERT, Role.helper),
    "DismissAlert": Op(ALERT, Role.helper, DISMISS, spots=ASSIGNED),
    "ConfirmAlertHardship": Op(ALERT, Role.helper, CONFIRM, spots=ASSIGNED),
    "RevokeAlertExemption": Op(one("exemption_id", exemption), Role.county),
    "PutAlertThreshold": Op(
        params(code="YB-01", province=PROVINCE, year=2026), Role.admin,
        {"value": 1_500_000, "red_value": 3_000_000, "note": "省里新口径"}, spots=GLOBAL, admin_acts=True,
    ),
    # the responsible helper and the plan (backend/assistance/routes.py, miniapp_api/helper_plans.py)
    "ListHelperAssignments": Op(HOUSEHOLD_ID, Role.county, admin_acts=True),
    "AssignHelper": Op(one("household_id", _without_helper), Role.county, _new_helper),
    "GetHouseholdPlan": Op(HOUSEHOLD_ID, Role.county, admin_acts=True),
    "AddPlanMeasure": Op(MONITORED, Role.county, MEASURE),
    "UpdatePlanMeasure": Op(MEASURE_ID, Role.county, IN_PROGRESS),
    "GetHelperHouseholdPlan": Op(HOUSEHOLD_ID, Role.helper),
    "AddHelperPlanMeasure": Op(MONITORED, Role.helper, MEASURE, spots=ASSIGNED),
    "UpdateHelperPlanMeasure": Op(MEASURE_ID, Role.helper, IN_PROGRESS, spots=ASSIGNED),
    # visits (backend/visits/routes.py, miniapp_api/helper_visits.py)
    "GetVisit": Op(VISIT, Role.village, admin_acts=True),
    "GetHelperVisit": Op(VISIT, Role.helper, spots=ASSIGNED),
    "ClearRectification": Op(ITEM, Role.township, CLEARED),
    "ClearHelperRectification": Op(ITEM, Role.helper, CLEARED, spots=ASSIGNED),
    # `which` names a list, not an object: the region asked for is what must be in scope
    "ListVisitBoardItems": Op(_board, Role.township, admin_acts=True),
}
