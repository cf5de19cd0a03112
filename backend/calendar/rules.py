"""Legal dates: Asia/Shanghai local dates and China's official working days with 调休 swaps.

`chinese_calendar` carries the State Council's holiday notices up to its release; an admin enters
each later notice (`OfficialCalendar`). A day neither knows raises WorkingCalendarUnavailable
instead of silently guessing Monday–Friday. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar.constants import holidays as _library_holidays

from backend.calendar.errors import WorkingCalendarUnavailable
from schemas.base import ErrorDetail
from schemas.calendar import CalendarDay

LEGAL_TZ = ZoneInfo("Asia/Shanghai")
LIBRARY_FIRST_YEAR = min(_library_holidays).year
LIBRARY_LAST_YEAR = max(_library_holidays).year
# Years an admin may enter (the table's CHECK says the same).
FIRST_ENTERABLE_YEAR = 2000
LAST_ENTERABLE_YEAR = 2100
SATURDAY = 5  # date.weekday(): Monday–Friday are 0–4
WEEKDAY_NAMES = "一二三四五六日"


def local_date(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar date of an aware instant."""
    return moment.astimezone(LEGAL_TZ).date()


def library_covers(year: int) -> bool:
    return LIBRARY_FIRST_YEAR <= year <= LIBRARY_LAST_YEAR


@dataclass(frozen=True)
class OfficialCalendar:
    """What the admins entered: years declared complete and the announced days (day → is a workday)."""

    declared_years: frozenset[int] = frozenset()
    overrides: Mapping[dt.date, bool] = field(default_factory=dict)

    def is_workday(self, day: dt.date) -> bool:
        """An entered day wins; else the library's notice; else a declared year is Monday–Friday
        (its holidays are entered days); else the year's notice is missing."""
        entered = self.overrides.get(day)
        if entered is not None:
            return entered
        if library_covers(day.year):
            return chinese_calendar.is_workday(day)
        if day.year in self.declared_years:
            return day.weekday() < SATURDAY
        raise WorkingCalendarUnavailable.for_year(day.year)


def add_workdays(start: dt.date, workdays: int, calendar: OfficialCalendar) -> dt.date:
    """The `workdays`-th official working day after `start` (start itself never counts)."""
    day = start
    remaining = workdays
    while remaining > 0:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            remaining -= 1
    return day


def entry_problems(
    year: int, holidays: Sequence[CalendarDay], workdays: Sequence[CalendarDay]
) -> list[ErrorDetail]:
    """Everything wrong with one year's notice as entered, each tied to its field."""
    problems: list[ErrorDetail] = []
    if not holidays:
        problems.append(
            ErrorDetail(field="holidays", reason="至少要填一天放假日期，每年的通知都安排了节假日")
        )
    first_seen: dict[dt.date, str] = {}
    for kind, days in (("holidays", holidays), ("workdays", workdays)):
        for index, entry in enumerate(days):
            here = f"{kind}[{index}].date"
            day = entry.date
            if day.year != year:
                problems.append(ErrorDetail(field=here, reason=f"{day.isoformat()} 不在{year}年内"))
            if day in first_seen:
                where = first_seen[day]
                both = where.startswith("holidays") != (kind == "holidays")
                reason = "同一天不能既放假又调休上班" if both else "日期重复"
                problems.append(ErrorDetail(field=here, reason=f"{reason}（与 {where} 相同）"))
            else:
                first_seen[day] = here
            if kind == "workdays" and day.weekday() < SATURDAY:
                weekday = WEEKDAY_NAMES[day.weekday()]
                problems.append(
                    ErrorDetail(
                        field=here, reason=f"调休上班日应是周六或周日，{day.isoformat()} 是星期{weekday}"
                    )
                )
    return problems
