"""Working days over the library and what admins entered, and checks on an entered notice; no I/O."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.calendar.errors import WorkingCalendarUnavailable
from backend.calendar.rules import OfficialCalendar, add_workdays, entry_problems
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
    assert add_workdays(D(2026, 12, 24), 10, NOTICE_2027) == D(2027, 1, 8)
    assert add_workdays(D(2026, 12, 24), 5, NOTICE_2027) == D(2026, 12, 31)


def test_a_year_nobody_entered_is_refused_naming_the_year() -> None:
    with pytest.raises(WorkingCalendarUnavailable) as refused:
        add_workdays(D(2026, 12, 24), 10, OfficialCalendar())
    assert refused.value.status_code == 503
    assert "2027年" in refused.value.message and "管理员" in refused.value.message
    with pytest.raises(WorkingCalendarUnavailable):
        NOTICE_2027.is_workday(D(2028, 1, 3))  # declaring 2027 says nothing about 2028


def test_a_single_entered_day_does_not_declare_its_year() -> None:
    partial = OfficialCalendar(overrides={D(2028, 1, 1): False})
    assert not partial.is_workday(D(2028, 1, 1))
    with pytest.raises(WorkingCalendarUnavailable):
        partial.is_workday(D(2028, 1, 3))


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
