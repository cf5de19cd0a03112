from __future__ import annotations

from backend.errors import ServiceUnavailable, Unprocessable


class WorkingCalendarUnavailable(ServiceUnavailable):
    message = "系统的法定节假日数据不包含该年份，暂时无法计算工作日，请联系管理员录入节假日安排"

    @classmethod
    def for_year(cls, year: int) -> WorkingCalendarUnavailable:
        return cls(
            f"系统还没有{year}年的法定节假日安排，暂时无法计算工作日。"
            f"请管理员按《国务院办公厅关于{year}年部分节假日安排的通知》录入"
        )


class InvalidCalendarEntry(Unprocessable):
    message = "节假日安排填写有误，请按提示修改后重新提交"
