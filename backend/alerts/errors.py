from __future__ import annotations

from backend.errors import Conflict, Forbidden, NotFound, Unprocessable


class AlertNotFound(NotFound):
    message = "没有找到这条预警"


class AlertRuleNotFound(NotFound):
    message = "没有这条预警规则"


class RegionNotFound(NotFound):
    message = "没有找到该地区"


class ProvinceNotFound(Unprocessable):
    message = "阈值只能按省设置，所填的省份不存在"


class InvalidThreshold(Unprocessable):
    message = "阈值设置有误"


# --- the alert work ---------------------------------------------------------------------------

_STATUS_LABELS = {
    "open": "待分派",
    "assigned": "待核实",
    "dismissal_proposed": "待县级确认排除",
    "reopened": "已退回重新核实",
    "dismissed": "已排除",
    "converted": "已转为帮扶申请",
}
_ACTION_VERBS = {
    "assign": "分派",
    "dismiss": "排除预警",
    "confirm_dismissal": "确认排除",
    "reopen": "退回重新核实",
    "confirm": "确认困难",
}


class AlertRoleMayNotAct(Forbidden):
    message = "您的岗位不能办理这条预警的这一步"


class NotAlertAssignee(Forbidden):
    message = "这条预警已分派给其他人核实，您不能办理"


class AlertActionNotAllowed(Conflict):
    message = "预警当前的状态不能办理这一步"

    @classmethod
    def for_status(cls, status: str, action: str) -> AlertActionNotAllowed:
        return cls(f"预警当前“{_STATUS_LABELS[status]}”，不能{_ACTION_VERBS[action]}")


class AssigneeNotEligible(Unprocessable):
    message = "只能分派给该户所在村的帮扶干部或网格员"


class NoAssigneeAvailable(Unprocessable):
    message = "该户没有帮扶责任人，所在村也没有网格员，请指定核实人员"


class PhotoNotOnAlert(Unprocessable):
    message = "所附照片不是为这条预警上传的"


class PersonNotFound(NotFound):
    message = "没有找到这位家庭成员"


class ExemptionNotFound(NotFound):
    message = "没有找到这条豁免"


class ExemptionExists(Conflict):
    message = "这个人已被豁免这条规则，请先撤销原豁免"


class ExemptionEndInPast(Unprocessable):
    message = "豁免截止日期不能早于今天"
