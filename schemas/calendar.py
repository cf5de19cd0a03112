"""Working-day calendar wire types: a year of the State Council's holiday notice as an admin enters it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta

from schemas.base import SINGLE_LINE, BaseStruct

DayName = Annotated[str, Meta(min_length=1, max_length=30, pattern=SINGLE_LINE, description="节日名称，如 元旦、春节")]
# A year has at most 366 days; longer lists are refused before they are looked at.
DayList = Annotated[list["CalendarDay"], Meta(max_length=366)]


class CalendarDay(BaseStruct):
    date: dt.date
    name: DayName


class CalendarYearUpdate(BaseStruct):
    """The whole notice for one year: replaces what was entered before and declares the year complete."""

    source: Annotated[
        str,
        Meta(min_length=1, max_length=200, pattern=SINGLE_LINE, description="通知标题或文号，如 国办发明电〔2026〕X号"),
    ]
    holidays: DayList  # 放假的日子（含通知写明放假的周末）
    workdays: DayList = []  # 调休上班的周六、周日


class CalendarDeclaration(BaseStruct):
    source: str
    declared_by: int
    declared_by_name: str
    declared_at: dt.datetime


class CalendarYear(BaseStruct):
    year: int
    library_covers: bool  # the installed chinesecalendar carries this year's notice
    declaration: CalendarDeclaration | None  # null: no admin has entered this year
    holidays: list[CalendarDay]
    workdays: list[CalendarDay]


class CalendarCoverage(BaseStruct):
    """Which years working days can be computed for."""

    library_first_year: int
    library_last_year: int
    declared_years: list[int]
