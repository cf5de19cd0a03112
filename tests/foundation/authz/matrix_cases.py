"""The matrix rows of cases (监测申请): the staff workflow, the farmer's and the helper's
mini-program steps, risk elimination. Each case is built in the state its step acts on."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from schemas.base import Role
from tests.applications.conftest import VERIFICATION
from tests.elimination.conftest import APPROVAL
from tests.foundation.authz.objects import case, case_in_notice, monitor, objection
from tests.foundation.authz.op import Build, Op, one
from tests.foundation.authz.scene import ASSIGNED_CASE, CASE, Scene, Spot


def in_state(state: str, name: str = "case_id", **columns: Any) -> Build:
    """A case of the spot's household in `state`, under the path parameter `name`."""

    async def make(scene: Scene, spot: Spot) -> int:
        return await case(scene, spot, state, **columns)

    return one(name, make)


async def _noticed(scene: Scene, spot: Spot) -> int:
    return await case_in_notice(scene, spot)


async def _notice_over(scene: Scene, spot: Spot) -> int:
    return await case_in_notice(scene, spot, over=True)


async def _with_objection(scene: Scene, spot: Spot) -> dict[str, Any]:
    case_id = await case_in_notice(scene, spot)
    return {"case_id": case_id, "objection_id": await objection(scene, case_id, spot)}


async def _elimination(scene: Scene, spot: Spot) -> int:
    await monitor(scene, spot)
    return await case(scene, spot, "county_approval", kind="risk_elimination")


def _notice_dates(scene: Scene, spot: Spot) -> dict[str, str]:
    return {"start_date": str(scene.today()), "end_date": str(scene.today() + dt.timedelta(days=5))}


VERIFYING = in_state("verification")
RETURNED = in_state("returned", returned_from="verification")
REASON = {"reason": "请补充近三个月的医疗费用票据。"}
ANSWER = {"comment": "已补充住院费用清单。"}
OBJECTION = {"content": "该户有小汽车一辆，情况不实。"}

# Staff meet the farmer's draft besides the case outside their region (scene.CASE).
CaseOp = functools.partial(Op, spots=CASE)

OPS: dict[str, Op] = {
    # staff (backend/applications/routes.py)
    "GetApplication": CaseOp(VERIFYING, Role.county, admin_acts=True),
    "GetNegativeListHits": CaseOp(VERIFYING, Role.county, admin_acts=True),
    "VerifyApplication": CaseOp(VERIFYING, Role.helper, VERIFICATION, spots=ASSIGNED_CASE),
    "VillageReview": CaseOp(in_state("village_review"), Role.village, {"passed": True, "minutes": "到会23人，全票同意。"}),
    "StartNotice": CaseOp(in_state("awaiting_notice"), Role.village, _notice_dates),
    "RaiseObjection": CaseOp(one("case_id", _noticed), Role.village, OBJECTION),
    "ResolveObjection": CaseOp(_with_objection, Role.village, {"note": "经核实车辆为亲戚所有。"}),
    "EndNotice": CaseOp(one("case_id", _notice_over), Role.village, {}),
    "TownshipReview": CaseOp(in_state("township_review"), Role.township, {"comment": "材料齐全"}),
    "ApproveApplication": CaseOp(in_state("county_approval"), Role.county, APPROVAL),
    "RejectApplication": CaseOp(in_state("county_approval"), Role.county, {"reason": "家庭收入高于监测线。"}),
    "ReturnApplication": CaseOp(in_state("county_approval"), Role.county, REASON),
    "AnswerReturnAsStaff": CaseOp(RETURNED, Role.helper, ANSWER, spots=ASSIGNED_CASE),
    "ListCaseAlerts": CaseOp(in_state("verification", "application_id"), Role.county, admin_acts=True),
    "ApproveRiskElimination": CaseOp(one("case_id", _elimination), Role.county, {"comment": "同意消除风险"}),
    # the farmer (miniapp_api/farmer.py)
    "GetMyApplication": CaseOp(VERIFYING, Role.farmer),
    "AnswerReturn": CaseOp(RETURNED, Role.farmer, ANSWER),
    "WithdrawApplication": CaseOp(VERIFYING, Role.farmer, {"reason": "家里情况好转了"}),
    # Anyone of the village may object (异议): the neighbour's notice is the farmer's to object to,
    # another village's is not.
    "ObjectToNotice": CaseOp(
        one("case_id", _noticed),
        Role.farmer,
        OBJECTION,
        spots={**CASE, Role.farmer: (Spot.A1B,)},
        insider_spot=Spot.NEIGHBOUR,
    ),
    # the helper (miniapp_api/helper.py)
    "GetHelperApplication": CaseOp(VERIFYING, Role.helper),
    "VerifyAtHome": CaseOp(VERIFYING, Role.helper, VERIFICATION, spots=ASSIGNED_CASE),
    "AskForMaterial": CaseOp(VERIFYING, Role.helper, REASON, spots=ASSIGNED_CASE),
    "SupplyMaterial": CaseOp(RETURNED, Role.helper, ANSWER, spots=ASSIGNED_CASE),
}
