from __future__ import annotations

from backend.assistance.rules import MONITORING_NAMES, STATUS_NAMES
from backend.errors import Conflict, Forbidden, NotFound, Unprocessable
from backend.registry.errors import HouseholdNotFound
from schemas.assistance import MeasureStatus

__all__ = ["HouseholdNotFound"]  # a household outside the caller's scope is not found (404)


class HouseholdNotMonitored(Conflict):
    message = "只有监测中的农户才能指定帮扶责任人和制定帮扶计划"

    @classmethod
    def for_status(cls, status: str) -> HouseholdNotMonitored:
        return cls(f"这户当前“{MONITORING_NAMES.get(status, status)}”，只有监测中的农户才能指定帮扶责任人和制定帮扶计划")


class HelperNotEligible(Unprocessable):
    message = "只能指定负责该户所在村的在岗帮扶干部"


class SameHelper(Conflict):
    message = "这位干部已经是这户的帮扶责任人"


class NotHouseholdHelper(Forbidden):
    message = "您不是这户的帮扶责任人，不能修改这户的帮扶计划"


class MeasureNotFound(NotFound):
    message = "没有找到这项帮扶措施"


class MeasureDatesInvalid(Unprocessable):
    message = "结束日期不能早于开始日期"


class MeasureStatusNotAllowed(Conflict):
    message = "帮扶措施当前的状态不能改成这个状态"

    @classmethod
    def for_move(cls, current: MeasureStatus, to: MeasureStatus) -> MeasureStatusNotAllowed:
        return cls(
            f"这项措施已是“{STATUS_NAMES[current]}”，不能改为“{STATUS_NAMES[to]}”；如需继续帮扶，请新增一项措施"
        )


class RegionNotFound(NotFound):
    message = "没有找到该地区"
