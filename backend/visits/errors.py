from __future__ import annotations

from backend.errors import BadRequest, Forbidden, NotFound, Unprocessable


class HouseholdNotFound(NotFound):
    message = "没有找到这户"


class NotResponsibleHelper(Forbidden):
    message = "您不是这户的帮扶责任人，不能登记走访"


class VisitNotFound(NotFound):
    message = "没有找到这次走访记录"


class VisitTimeInFuture(Unprocessable):
    message = "走访时间不能晚于现在，请检查手机时间"


class VisitTimeTooOld(Unprocessable):
    message = "走访时间太早，只能补登一个月内的走访"


class ProblemNeedsNote(Unprocessable):
    message = "发现问题的项目请写明情况"


class RectificationNotFound(NotFound):
    message = "没有找到这条整改事项"


class RectificationAlreadyCleared(Unprocessable):
    message = "这条整改事项已经销号"


class MayNotClearRectification(Forbidden):
    message = "只有帮扶责任人或乡镇可以销号这条整改事项"


class RegionNotFound(NotFound):
    message = "没有找到该地区"


class NotATownship(Unprocessable):
    message = "月清零报表按乡镇出具，请选择一个乡镇"


class BadMonth(BadRequest):
    message = "月份格式应为 YYYY-MM"


class NotStationedInVillage(Forbidden):
    message = "您的账号不属于某个村，不能填写驻村工作纪实"


class WorkLogDateInFuture(Unprocessable):
    message = "不能填写今天以后的工作纪实"


class WorkLogDateClosed(Unprocessable):
    message = "只能填写本月和上个月的工作纪实"
