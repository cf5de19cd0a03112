"""The cadence, flags, time checks and two-thirds rule, without I/O."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.visits import rules
from schemas.visits import Cadence, CadenceStatus, VisitFlag, VisitLocation

D = dt.date
LIMITS = rules.FlagLimits(radius_m=1000, max_accuracy_m=200, photo_max_age_days=3)
HOME = (22.8170, 108.3665)
AT = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def status(cadence: Cadence, last: dt.date | None, today: dt.date, since: dt.date | None = None) -> CadenceStatus:
    return rules.cadence_status(cadence, last, rules.periods_on(today), since)


def test_periods_reach_back_over_the_year_end() -> None:
    january = rules.periods_on(D(2027, 1, 15))
    assert january.monthly_current == D(2027, 1, 1)
    assert january.monthly_previous == D(2026, 12, 1)
    assert january.lifted_current is None
    assert january.lifted_previous == D(2026, 11, 1)
    march = rules.periods_on(D(2027, 3, 2))
    assert (march.lifted_current, march.lifted_previous) == (D(2027, 3, 1), D(2026, 11, 1))
    assert rules.periods_on(D(2027, 8, 31)).lifted_previous == D(2027, 3, 1)
    assert rules.periods_on(D(2027, 11, 1)).lifted_previous == D(2027, 8, 1)


@pytest.mark.parametrize(
    ("last", "today", "expected"),
    [
        (D(2026, 12, 3), D(2026, 12, 20), CadenceStatus.visited),
        (D(2026, 11, 30), D(2026, 12, 20), CadenceStatus.due),  # November done, December not yet
        (D(2026, 12, 31), D(2027, 1, 2), CadenceStatus.due),  # across the year end
        (D(2026, 11, 30), D(2027, 1, 2), CadenceStatus.overdue),  # December was missed
        (None, D(2027, 1, 2), CadenceStatus.overdue),
        (D(2027, 1, 2), D(2027, 1, 2), CadenceStatus.visited),
    ],
)
def test_monitored_households_monthly(last: dt.date | None, today: dt.date, expected: CadenceStatus) -> None:
    assert status(Cadence.monthly, last, today) is expected


def test_a_month_counts_from_the_month_after_monitoring_began() -> None:
    # Approved on 20 December: December need not have had a visit; January must.
    assert status(Cadence.monthly, None, D(2027, 1, 10), since=D(2026, 12, 20)) is CadenceStatus.due
    assert status(Cadence.monthly, None, D(2027, 2, 10), since=D(2026, 12, 20)) is CadenceStatus.overdue


@pytest.mark.parametrize(
    ("last", "today", "expected"),
    [
        (D(2026, 11, 5), D(2026, 12, 10), CadenceStatus.not_due),
        (D(2026, 11, 5), D(2027, 2, 10), CadenceStatus.not_due),  # across the year end: November counts
        (D(2026, 10, 5), D(2027, 1, 10), CadenceStatus.overdue),  # November missed
        (D(2026, 12, 2), D(2027, 1, 10), CadenceStatus.not_due),  # caught up late in December
        (D(2026, 11, 5), D(2027, 3, 10), CadenceStatus.due),
        (D(2027, 3, 1), D(2027, 3, 10), CadenceStatus.visited),
        (D(2027, 3, 1), D(2027, 5, 10), CadenceStatus.not_due),
        (D(2027, 3, 1), D(2027, 8, 10), CadenceStatus.due),
        (D(2027, 3, 1), D(2027, 9, 1), CadenceStatus.overdue),  # August missed
        (D(2027, 8, 30), D(2027, 11, 2), CadenceStatus.due),
        (None, D(2027, 6, 1), CadenceStatus.overdue),
    ],
)
def test_lifted_households_march_august_november(last: dt.date | None, today: dt.date, expected: CadenceStatus) -> None:
    assert status(Cadence.lifted, last, today) is expected


def test_cadence_of_a_household() -> None:
    assert rules.cadence_of("monitoring", "lifted") is Cadence.monthly
    assert rules.cadence_of("none", "lifted") is Cadence.lifted
    assert rules.cadence_of("risk_eliminated", "lifted") is Cadence.lifted
    assert rules.cadence_of("none", "ordinary") is None


def test_due_reminders_speak_in_the_months_last_week() -> None:
    assert not rules.reminds_due(D(2026, 12, 24))
    assert rules.reminds_due(D(2026, 12, 25))
    assert rules.reminds_due(D(2027, 2, 22)) and not rules.reminds_due(D(2027, 2, 21))


@pytest.mark.parametrize(("days", "required"), [(30, 20), (31, 21), (28, 19), (29, 20)])
def test_two_thirds_of_the_month(days: int, required: int) -> None:
    assert rules.required_village_days(days) == required


def test_visit_time_checks() -> None:
    now = AT
    assert rules.visited_at_problem(now + dt.timedelta(minutes=5), now) is None  # clock skew
    assert rules.visited_at_problem(now + dt.timedelta(hours=1), now) == "future"
    assert rules.visited_at_problem(now - dt.timedelta(days=30), now) is None
    assert rules.visited_at_problem(now - dt.timedelta(days=40), now) == "too_old"


def test_nothing_is_flagged_for_missing_evidence() -> None:
    assert rules.visit_flags(AT, None, HOME, [], LIMITS) == []
    assert rules.visit_flags(AT, VisitLocation(latitude=30.0, longitude=120.0), None, [], LIMITS) == []
    bare = rules.PhotoEvidence(1, None, None, None, None)
    assert rules.visit_flags(AT, None, HOME, [bare], LIMITS) == []


def test_location_flags() -> None:
    near = VisitLocation(latitude=HOME[0] + 0.005, longitude=HOME[1])  # about 560 m
    assert rules.visit_flags(AT, near, HOME, [], LIMITS) == []
    far = VisitLocation(latitude=HOME[0] + 0.02, longitude=HOME[1], accuracy_m=500, mock=True)
    flags = {f.flag: f for f in rules.visit_flags(AT, far, HOME, [], LIMITS)}
    assert set(flags) == {VisitFlag.location_far, VisitFlag.location_mock, VisitFlag.location_inaccurate}
    assert 2200 < (flags[VisitFlag.location_far].distance_m or 0) < 2250


def test_photo_flags() -> None:
    stale = rules.PhotoEvidence(7, AT - dt.timedelta(days=10), HOME[0] + 0.1, HOME[1], 3)
    fresh = rules.PhotoEvidence(8, AT - dt.timedelta(days=2), *HOME, None)
    flags = rules.visit_flags(AT, None, HOME, [stale, fresh], LIMITS)
    assert {(f.flag, f.photo_id) for f in flags} == {
        (VisitFlag.photo_taken_earlier, 7), (VisitFlag.photo_far, 7), (VisitFlag.photo_reused, 7),
    }
    assert next(f.days for f in flags if f.flag is VisitFlag.photo_taken_earlier) == 10


def test_work_log_dates() -> None:
    today = D(2027, 1, 10)
    assert rules.work_log_date_problem(D(2027, 1, 11), today) == "future"
    assert rules.work_log_date_problem(D(2026, 12, 1), today) is None  # the previous month is still open
    assert rules.work_log_date_problem(D(2026, 11, 30), today) == "closed"
