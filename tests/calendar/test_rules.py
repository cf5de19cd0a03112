"""Working days over the library and what admins entered, and checks on an entered notice; no I/O."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import holidays

from backend.calendar.rules import (
    CountedDate,
    OfficialCalendar,
    add_workdays,
    entry_problems,
    provisional_is_workday,
    statutory_holidays,
)
from schemas.calendar import CalendarDay

D = dt.date
NOTICE_2027 = OfficialCalendar(
    declared_years=frozenset({2027}),
    overrides={D(2027, 1, 1): False, D(2027, 1, 4): False, D(2027, 1, 2): True},
)


def days(*dates: str) -> list[CalendarDay]:
    return [CalendarDay(date=D.fromisoformat(d), name="元旦") for d in dates]


def test_an_entered_day_beats_the_library() -> None:
    library = OfficialCalendar()
    assert library.is_workday(D(2025, 9, 28)) and not library.is_workday(D(2025, 10, 8))
    corrected = OfficialCalendar(overrides={D(2025, 9, 28): False, D(2025, 10, 8): True})
    assert not corrected.is_workday(D(2025, 9, 28))  # the library's swapped Sunday, entered as rest
    assert corrected.is_workday(D(2025, 10, 8))  # the library's holiday, entered as worked
    assert corrected.is_workday(D(2025, 10, 9))  # days not entered still follow the library


def test_a_declared_year_is_monday_to_friday_except_its_entered_days() -> None:
    assert not NOTICE_2027.is_workday(D(2027, 1, 1))  # Friday, holiday
    assert NOTICE_2027.is_workday(D(2027, 1, 2))  # Saturday, swapped
    assert not NOTICE_2027.is_workday(D(2027, 1, 3))  # Sunday
    assert not NOTICE_2027.is_workday(D(2027, 1, 4))  # Monday, holiday
    assert NOTICE_2027.is_workday(D(2027, 1, 5))
    assert not NOTICE_2027.is_workday(D(2027, 1, 9))  # an ordinary Saturday


def test_counting_across_the_new_year_uses_both_the_library_and_the_entered_notice() -> None:
    # 12/25 and 12/28–31 (library), 1/2 (Sat, worked), 1/5–1/8: the 10th is 1/8.
    assert add_workdays(D(2026, 12, 24), 10, NOTICE_2027) == CountedDate(D(2027, 1, 8))
    assert add_workdays(D(2026, 12, 24), 5, NOTICE_2027) == CountedDate(D(2026, 12, 31))


def test_a_year_nobody_entered_is_counted_on_the_provisional_calendar() -> None:
    # From Friday 2026-12-18: 12/21–25, 12/28–31, and 2027-01-01 (元旦, Friday) is off.
    assert add_workdays(D(2026, 12, 18), 10, OfficialCalendar()) == CountedDate(D(2027, 1, 4), True)
    # A count that stays inside the library's years is not provisional, even ending on 12/31.
    assert add_workdays(D(2026, 12, 17), 10, OfficialCalendar()) == CountedDate(D(2026, 12, 31))
    # Declaring 2027 says nothing about 2028: counting into it is provisional again.
    assert add_workdays(D(2027, 12, 24), 10, NOTICE_2027).provisional


def test_a_single_entered_day_does_not_declare_its_year() -> None:
    partial = OfficialCalendar(overrides={D(2028, 1, 1): True})
    assert partial.is_workday(D(2028, 1, 1))  # the entered day wins over 元旦
    assert not partial.is_official(2028)
    assert add_workdays(D(2027, 12, 31), 1, partial) == CountedDate(D(2028, 1, 1), True)


# 2027 under the 2025 rules of 《全国年节及纪念日放假办法》, weekends moved to 补假 on the next working day.
STATUTORY_2027 = {
    D(2027, 1, 1): "元旦",
    D(2027, 2, 5): "农历除夕",  # Friday; 春节 is 4 days from 除夕 since 2025
    D(2027, 2, 6): "春节",
    D(2027, 2, 7): "春节",
    D(2027, 2, 8): "春节",
    D(2027, 2, 9): "春节（补假）",  # for Saturday 2/6
    D(2027, 2, 10): "春节（补假）",  # for Sunday 2/7
    D(2027, 4, 5): "清明节",
    D(2027, 5, 1): "劳动节",
    D(2027, 5, 2): "劳动节",
    D(2027, 5, 3): "劳动节（补假）",
    D(2027, 5, 4): "劳动节（补假）",
    D(2027, 6, 9): "端午节",
    D(2027, 9, 15): "中秋节",
    D(2027, 10, 1): "国庆节",
    D(2027, 10, 2): "国庆节",
    D(2027, 10, 3): "国庆节",
    D(2027, 10, 4): "国庆节（补假）",
    D(2027, 10, 5): "国庆节（补假）",
}


def every_day(year: int) -> list[dt.date]:
    return [D(year, 1, 1) + dt.timedelta(days=n) for n in range((D(year + 1, 1, 1) - D(year, 1, 1)).days)]


def test_the_provisional_2027_calendar_is_the_holidays_packages_statutory_one() -> None:
    assert dict(statutory_holidays(2027)) == STATUTORY_2027
    package = holidays.country_holidays("CN", years=2027)
    for day in every_day(2027):
        assert provisional_is_workday(day) == package.is_working_day(day), day
        assert provisional_is_workday(day) == (day.weekday() < 5 and day not in STATUTORY_2027), day


def test_the_holidays_package_stands_beside_chinesecalendar_where_both_carry_the_notice() -> None:
    # Same working days, swaps included, in the two years the 2025 rules have been in force.
    for year in (2025, 2026):
        for day in every_day(year):
            assert provisional_is_workday(day) == chinese_calendar.is_workday(day), day
    spring_2025 = {d: n for d, n in statutory_holidays(2025).items() if d.month <= 2 and "调休" not in n}
    assert spring_2025 == {
        D(2025, 1, 1): "元旦",
        D(2025, 1, 28): "农历除夕",
        D(2025, 1, 29): "春节",
        D(2025, 1, 30): "春节",
        D(2025, 1, 31): "春节",
    }


def test_a_correct_notice_has_no_problems() -> None:
    assert entry_problems(2027, days("2027-01-01", "2027-01-02", "2027-01-03"), days("2027-01-09")) == []


def test_each_problem_names_its_field() -> None:
    problems = entry_problems(
        2027,
        holidays=days("2027-01-01", "2026-12-31", "2027-01-01", "2027-01-09"),
        workdays=days("2027-01-09", "2027-01-05"),
    )
    found = {p.field: p.reason for p in problems}
    assert set(found) == {"holidays[1].date", "holidays[2].date", "workdays[0].date", "workdays[1].date"}
    assert "不在2027年内" in found["holidays[1].date"]
    assert found["holidays[2].date"].startswith("日期重复")
    assert found["workdays[0].date"].startswith("同一天不能既放假又调休上班")
    assert "星期二" in found["workdays[1].date"]


def test_a_notice_without_holidays_is_refused() -> None:
    (problem,) = entry_problems(2027, holidays=[], workdays=days("2027-01-09"))
    assert problem.field == "holidays"
