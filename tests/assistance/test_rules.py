"""The assistance rules alone (no I/O)."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.assistance import rules
from schemas.assistance import MeasureStatus, MeasureType

DUE = dt.date(2025, 10, 16)


@pytest.mark.parametrize(
    ("assigned_on", "answered_before", "late"),
    [
        (DUE - dt.timedelta(days=1), False, False),
        (DUE, False, False),  # the due date itself is in time
        (DUE + dt.timedelta(days=1), False, True),
        (DUE + dt.timedelta(days=30), True, False),  # a reassignment: the case was answered already
    ],
)
def test_an_assignment_is_late_only_after_the_due_date_and_only_the_first(
    assigned_on: dt.date, answered_before: bool, late: bool
) -> None:
    assert rules.is_late(assigned_on, DUE, answered_before=answered_before) is late


def test_without_an_approved_case_nothing_is_late() -> None:
    assert rules.is_late(dt.date(2030, 1, 1), None, answered_before=False) is False


def test_measures_move_forward_only() -> None:
    assert rules.status_may_move(MeasureStatus.planned, MeasureStatus.done)
    assert rules.status_may_move(MeasureStatus.in_progress, MeasureStatus.in_progress)  # unchanged
    assert not rules.status_may_move(MeasureStatus.in_progress, MeasureStatus.planned)
    for final in (MeasureStatus.done, MeasureStatus.stopped):
        assert not any(rules.status_may_move(final, s) for s in MeasureStatus if s is not final)


def test_every_type_and_status_has_a_chinese_name() -> None:
    assert set(rules.MEASURE_NAMES) == set(MeasureType)
    assert set(rules.STATUS_NAMES) == set(MeasureStatus)


def test_an_end_before_the_start_is_named_with_both_dates() -> None:
    assert rules.dates_problem(dt.date(2026, 3, 1), None) is None
    assert rules.dates_problem(dt.date(2026, 3, 1), dt.date(2026, 3, 1)) is None
    assert rules.dates_problem(dt.date(2026, 3, 1), dt.date(2026, 2, 28)) == (
        "结束日期（2026年02月28日）不能早于开始日期（2026年03月01日）"
    )


@pytest.mark.parametrize(
    ("user", "covers"),
    [
        ({"role": "helper", "active": True, "region_code": "450102001001"}, True),
        ({"role": "helper", "active": True, "region_code": "450102001000"}, True),  # a township helper
        ({"role": "helper", "active": True, "region_code": "450102001010"}, False),  # another village
        ({"role": "helper", "active": False, "region_code": "450102001001"}, False),
        ({"role": "grid_officer", "active": True, "region_code": "450102001001"}, False),
        (None, False),
    ],
)
def test_a_helper_covers_the_village_by_region_prefix(user: dict[str, object] | None, covers: bool) -> None:
    assert rules.helper_covers(user, "450102001001") is covers
