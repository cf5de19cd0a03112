"""The alert work's table and deadlines, without I/O."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.alerts import errors, rules
from backend.calendar.rules import OfficialCalendar
from schemas.alerts import AlertAction, AlertLevel, AlertStatus
from schemas.base import Role

WORKDAYS = {AlertLevel.red: 3, AlertLevel.yellow: 5}
S, A = AlertStatus, AlertAction


def test_red_verification_across_national_day_2026() -> None:
    # 2026: 10/1-10/7 off, Saturday 10/10 worked (国办发明电〔2025〕7号). Assigned Wednesday 9/30.
    due = rules.verify_due(dt.date(2026, 9, 30), AlertLevel.red, WORKDAYS, OfficialCalendar())
    assert due.date == dt.date(2026, 10, 10) and not due.provisional  # 10/8, 10/9, 10/10
    yellow = rules.verify_due(dt.date(2026, 9, 30), AlertLevel.yellow, WORKDAYS, OfficialCalendar())
    assert yellow.date == dt.date(2026, 10, 13)  # then Monday 10/12, Tuesday 10/13


def test_deadline_across_the_2026_to_2027_year_end_is_provisional() -> None:
    # 2027 has no notice yet: counted on weekends plus 元旦 (1/1), and marked provisional.
    red = rules.verify_due(dt.date(2026, 12, 30), AlertLevel.red, WORKDAYS, OfficialCalendar())
    assert red.date == dt.date(2027, 1, 5) and red.provisional  # 12/31, 1/4, 1/5
    yellow = rules.verify_due(dt.date(2026, 12, 30), AlertLevel.yellow, WORKDAYS, OfficialCalendar())
    assert yellow.date == dt.date(2027, 1, 7) and yellow.provisional
    # Once an admin enters 2027 with 1/1 and 1/4 off, the same count moves a day on.
    entered = OfficialCalendar(
        declared_years=frozenset({2027}), overrides={dt.date(2027, 1, 1): False, dt.date(2027, 1, 4): False}
    )
    again = rules.verify_due(dt.date(2026, 12, 30), AlertLevel.red, WORKDAYS, entered)
    assert again.date == dt.date(2027, 1, 6) and not again.provisional


def test_within_the_year_is_not_provisional() -> None:
    due = rules.verify_due(dt.date(2026, 12, 28), AlertLevel.red, WORKDAYS, OfficialCalendar())
    assert due.date == dt.date(2026, 12, 31) and not due.provisional


@pytest.mark.parametrize(
    ("status", "action", "level", "role", "expected"),
    [
        (S.open, A.assign, AlertLevel.red, Role.county, S.assigned),
        (S.assigned, A.assign, AlertLevel.red, Role.county, S.assigned),  # reassignment
        (S.reopened, A.assign, AlertLevel.yellow, Role.county, S.assigned),
        (S.assigned, A.dismiss, AlertLevel.red, Role.helper, S.dismissal_proposed),
        (S.assigned, A.dismiss, AlertLevel.yellow, Role.grid_officer, S.dismissed),
        (S.reopened, A.dismiss, AlertLevel.red, Role.helper, S.dismissal_proposed),
        (S.assigned, A.confirm, AlertLevel.red, Role.helper, S.converted),
        (S.dismissal_proposed, A.confirm_dismissal, AlertLevel.red, Role.county, S.dismissed),
        (S.dismissal_proposed, A.reopen, AlertLevel.red, Role.county, S.reopened),
    ],
)
def test_moves(status, action, level, role, expected) -> None:
    assert rules.find_move(status, action, level, role, is_assignee=True).next_state is expected


@pytest.mark.parametrize(
    ("status", "action", "role", "assignee", "error"),
    [
        (S.open, A.assign, Role.helper, True, errors.AlertRoleMayNotAct),
        (S.open, A.assign, Role.township, True, errors.AlertRoleMayNotAct),
        (S.assigned, A.dismiss, Role.county, True, errors.AlertRoleMayNotAct),
        (S.assigned, A.dismiss, Role.helper, False, errors.NotAlertAssignee),
        (S.open, A.dismiss, Role.helper, True, errors.AlertActionNotAllowed),
        (S.dismissed, A.assign, Role.county, True, errors.AlertActionNotAllowed),
        (S.converted, A.confirm, Role.helper, True, errors.AlertActionNotAllowed),
        (S.dismissal_proposed, A.dismiss, Role.helper, True, errors.AlertActionNotAllowed),
        (S.assigned, A.confirm_dismissal, Role.county, True, errors.AlertActionNotAllowed),
    ],
)
def test_refusals(status, action, role, assignee, error) -> None:
    with pytest.raises(error):
        rules.find_move(status, action, AlertLevel.red, role, is_assignee=assignee)


def test_overdue_only_while_waiting_for_the_visit() -> None:
    due, today = dt.date(2026, 10, 10), dt.date(2026, 10, 11)
    assert rules.is_overdue(S.assigned, due, today) and rules.is_overdue(S.reopened, due, today)
    assert not rules.is_overdue(S.assigned, due, due)  # the due day itself is still in time
    assert not rules.is_overdue(S.dismissal_proposed, due, today)
    assert not rules.is_overdue(S.dismissed, due, today)
