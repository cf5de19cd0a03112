from __future__ import annotations

from backend.errors import Unprocessable


class InvalidCalendarEntry(Unprocessable):
    message = "节假日安排填写有误，请按提示修改后重新提交"
