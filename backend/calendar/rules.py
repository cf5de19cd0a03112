"""Legal dates: Asia/Shanghai local dates and China's official working days with 调休 swaps.

`chinese_calendar` carries the State Council's holiday notices up to its release; an admin enters
each later notice (`OfficialCalendar`). A year neither carries is counted on the provisional
calendar (DOMAIN §5: weekends plus the statutory holidays of 《全国年节及纪念日放假办法》), and a
date counted over it says so (`CountedDate.provisional`): a legal step never waits for a notice.
Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
from chinese_calendar.constants import holidays as _library_holidays

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


@cache
def statutory_holidays(year: int) -> holidays.HolidayBase:
    """《全国年节及纪念日放假办法》 (2025 version) for any year, as the `holidays` package computes it:
    元旦 1 day, 春节 4 days from 农历除夕 (除夕 and 初一–初三, its rule since 2025), 清明 1, 劳动节 2
    (5/1–5/2), 端午 1, 中秋 1, 国庆 3 (10/1–10/3), and a 补假 on the next working day for each that
    falls on a Saturday or Sunday (办法: 适逢周六、周日，应当在工作日补假); for a year whose notice
    the package already carries, its announced swaps too. Checked against 2025 and 2026 in
    tests/calendar/test_rules.py."""
    return holidays.country_holidays("CN", years=year, language="zh_CN")


def provisional_is_workday(day: dt.date) -> bool:
    """The provisional calendar: a working day unless a weekend or a statutory holiday."""
    return statutory_holidays(day.year).is_working_day(day)


@dataclass(frozen=True)
class CountedDate:
    """A date counted in working days; `provisional` when the count crossed a year whose notice is
    neither in the library nor entered, so it may move once an admin enters that year."""

    date: dt.date
    provisional: bool = False


@dataclass(frozen=True)
class OfficialCalendar:
    """What the admins entered: years declared complete and the announced days (day → is a workday)."""

    declared_years: frozenset[int] = frozenset()
    overrides: Mapping[dt.date, bool] = field(default_factory=dict)

    def is_official(self, year: int) -> bool:
        """The year's notice is known: the library carries it or an admin declared it."""
        return library_covers(year) or year in self.declared_years

    def is_workday(self, day: dt.date) -> bool:
        """An entered day wins; else the library's notice; else a declared year is Monday–Friday
        (its holidays are entered days); else the provisional calendar."""
        entered = self.overrides.get(day)
        if entered is not None:
            return entered
        if library_covers(day.year):
            return chinese_calendar.is_workday(day)
        if day.year in self.declared_years:
            return day.weekday() < SATURDAY
        return provisional_is_workday(day)


def add_workdays(start: dt.date, workdays: int, calendar: OfficialCalendar) -> CountedDate:
    """The `workdays`-th official working day after `start` (start itself never counts),
    provisional when any day counted lies in a year whose notice is not known."""
    day = start
    remaining = workdays
    provisional = False
    while remaining > 0:
        day += dt.timedelta(days=1)
        provisional = provisional or not calendar.is_official(day.year)
        if calendar.is_workday(day):
            remaining -= 1
    return CountedDate(day, provisional)


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
