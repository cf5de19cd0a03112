"""Identification workflow errors; each class name is the API's error code."""

from __future__ import annotations

import datetime as dt

from backend.applications.texts import ACTION_VERBS, state_label
from backend.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from schemas.applications import Action, CaseKind, CaseState


class ApplicationNotFound(NotFound):
    message = "没有找到这份申请"


class HouseholdNotFound(NotFound):
    message = "没有找到这户信息"


class ObjectionNotFound(NotFound):
    message = "没有找到这条异议"


class RoleMayNotAct(Forbidden):
    message = "您的岗位不能办理这一步"


class NotAssignedVerifier(Forbidden):
    message = "这份申请已指定其他帮扶干部核实，您不能办理"


class FarmerNotBound(Forbidden):
    message = "请先绑定您的家庭信息"


class ActionNotAllowedInState(Conflict):
    message = "申请当前所处的环节不能办理这一步"

    @classmethod
    def for_state(
        cls, state: CaseState | None, action: Action, kind: CaseKind = CaseKind.identification
    ) -> ActionNotAllowedInState:
        label = state_label(kind, state) if state is not None else "尚未登记"
        return cls(f"申请当前处于“{label}”环节，不能{ACTION_VERBS[action]}")


class StaleVersion(Conflict):
    message = "这份申请刚刚已被其他人处理，请刷新后再看"


class OpenApplicationExists(Conflict):
    message = "您家已有一份正在办理的申请，办结前不能再提交新的申请"


class DraftMissing(NotFound):
    message = "还没有保存的申请草稿"


class HouseholdAlreadyMonitored(Conflict):
    message = "这户已纳入监测，不需要再次申请识别"


class HouseholdNotMonitored(Conflict):
    message = "这户不是监测对象，不需要办理风险消除"


class NotHouseholdsHelper(Forbidden):
    message = "只有这户的帮扶责任人可以提出风险消除"


class MonitoringStartUnknown(Conflict):
    message = "没有找到这户纳入监测的县级审定记录，无法确认监测满半年，请联系县乡村振兴局核实"


class MonitoredTooShort(Conflict):
    message = "这户纳入监测还不满半年，暂不能提出风险消除"

    @classmethod
    def until(cls, day: dt.date) -> MonitoredTooShort:
        return cls(f"这户纳入监测还不满规定时间，{day.year}年{day.month}月{day.day}日起才能提出风险消除")


class NoticeTooShort(Conflict):
    message = "公示期不能少于5个整天（公示开始当天不计入）"


class NoticeStartInPast(Conflict):
    message = "公示开始日期不能早于今天"


class NoticeNotOver(Conflict):
    message = "公示期还没有结束，不能提前结束公示"


class ObjectionUnresolved(Conflict):
    message = "还有异议没有处理完，处理后才能结束公示"


class ObjectionAlreadyResolved(Conflict):
    message = "这条异议已经处理过了"


class NegativeListNotConfirmed(Conflict):
    message = "家庭成员命中负面清单，请核实后填写确认意见再审定"


class RejectionReasonRequired(Unprocessable):
    message = "不通过时必须填写农户能看懂的原因"


class IdempotencyKeyRequired(BadRequest):
    message = "提交时缺少请求编号（Idempotency-Key），请重试"


class IdempotencyKeyReused(Unprocessable):
    message = "同一请求编号已用于另一份不同的申请内容，请重新提交"


class PhotoNotOnApplication(Unprocessable):
    message = "有照片不属于这份申请，请重新上传"


# What any workflow step can answer (the engine's checks before a move's own guards), for the
# OpenAPI document; a route adds the errors of its move's guards (rules.IDENTIFICATION).
STEP_ERRORS = (ApplicationNotFound, RoleMayNotAct, ActionNotAllowedInState, StaleVersion, OpenApplicationExists)
# What opening a case (干部排查: staff or a helper's report) can answer.
OPEN_ERRORS = (RoleMayNotAct, HouseholdNotFound, HouseholdAlreadyMonitored, OpenApplicationExists, ActionNotAllowedInState)
# What proposing a risk elimination can answer.
PROPOSE_ERRORS = (
    RoleMayNotAct,
    HouseholdNotFound,
    NotHouseholdsHelper,
    HouseholdNotMonitored,
    MonitoringStartUnknown,
    MonitoredTooShort,
    OpenApplicationExists,
)
