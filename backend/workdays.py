"""Legal dates: Asia/Shanghai local dates and China's official working days with 调休 swaps.

`chinese_calendar` carries the State Council's holiday notices year by year; a date outside the
years it knows raises WorkingCalendarUnavailable instead of silently guessing Monday–Friday.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar.constants import holidays as _known_holidays

from backend.errors import ServiceUnavailable

LEGAL_TZ = ZoneInfo("Asia/Shanghai")
FIRST_KNOWN_YEAR = min(_known_holidays).year
LAST_KNOWN_YEAR = max(_known_holidays).year


class WorkingCalendarUnavailable(ServiceUnavailable):
    message = "系统的法定节假日数据不包含该年份，暂时无法计算工作日，请联系管理员更新节假日数据"


def local_date(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar date of an aware instant."""
    return moment.astimezone(LEGAL_TZ).date()


def is_workday(day: dt.date) -> bool:
    if not FIRST_KNOWN_YEAR <= day.year <= LAST_KNOWN_YEAR:
        raise WorkingCalendarUnavailable(
            f"系统的法定节假日数据只覆盖{FIRST_KNOWN_YEAR}—{LAST_KNOWN_YEAR}年，无法计算{day.year}年的工作日，"
            "请联系管理员更新节假日数据（chinesecalendar）"
        )
    return chinese_calendar.is_workday(day)


def add_workdays(start: dt.date, workdays: int) -> dt.date:
    """The `workdays`-th official working day after `start` (start itself never counts)."""
    day = start
    remaining = workdays
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day
