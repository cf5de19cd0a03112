"""The workflow table, guards and legal dates, without I/O."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from backend.applications import errors, rules, texts
from backend.auth import Principal
from backend.calendar.rules import CountedDate, OfficialCalendar, add_workdays
from schemas.applications import Action, CaseKind, CaseState, NoticeStart
from schemas.base import Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
S = CaseState
A = Action
VERIFY = {Role.helper, Role.grid_officer}
STAFF = VERIFY | {Role.village, Role.township, Role.county}
LIBRARY_ONLY = OfficialCalendar()  # nothing entered by an admin
OPEN_STATES = [
    S.verification,
    S.village_review,
    S.awaiting_notice,
    S.in_notice,
    S.township_review,
    S.county_approval,
    S.returned,
]

# The specification, written out independently of rules.IDENTIFICATION: who may do what, where.
ALLOWED: dict[tuple[CaseState | None, Action], set[Role]] = {
    (None, A.open): VERIFY | {Role.township, Role.county},
    (S.draft, A.submit): {Role.farmer},
    (S.verification, A.verify): VERIFY,
    (S.verification, A.return_for_material): VERIFY,
    (S.village_review, A.village_pass): {Role.village},
    (S.village_review, A.village_fail): {Role.village},
    (S.village_review, A.return_for_material): {Role.village},
    (S.awaiting_notice, A.start_notice): {Role.village},
    (S.in_notice, A.raise_objection): STAFF | {Role.farmer},
    (S.in_notice, A.resolve_objection): {Role.village, Role.township},
    (S.in_notice, A.end_notice): {Role.village},
    (S.township_review, A.township_pass): {Role.township},
    (S.township_review, A.return_for_material): {Role.township},
    (S.county_approval, A.approve): {Role.county},
    (S.county_approval, A.reject): {Role.county},
    (S.county_approval, A.return_for_material): {Role.county},
    (S.returned, A.answer_return): VERIFY | {Role.farmer},
    **{(state, A.withdraw): {Role.farmer} for state in [S.draft, *OPEN_STATES]},
}


@pytest.mark.parametrize("state", [None, *CaseState])
def test_every_state_action_role_is_allowed_or_refused_with_the_right_status(state: CaseState | None) -> None:
    for action in Action:
        for role in Role:
            allowed = role in ALLOWED.get((state, action), set())
            acts_somewhere = any(role in roles for (_, a), roles in ALLOWED.items() if a is action)
            if allowed:
                assert rules.find_move(CaseKind.identification, state, action, role).action is action
            elif not acts_somewhere:
                with pytest.raises(errors.RoleMayNotAct) as refused:
                    rules.find_move(CaseKind.identification, state, action, role)
                assert refused.value.status_code == 403
            else:
                with pytest.raises((errors.ActionNotAllowedInState, errors.RoleMayNotAct)) as refused:
                    rules.find_move(CaseKind.identification, state, action, role)
                # A role that acts elsewhere in the flow but not here: 409 when nobody of that role
                # may do it in this state, 403 when another role may.
                expected = 403 if (state, action) in ALLOWED else 409
                assert refused.value.status_code == expected, (state, action, role)


def test_closed_cases_accept_nothing() -> None:
    for state in (S.approved, S.rejected, S.withdrawn):
        for action in Action:
            assert (state, action) not in rules.IDENTIFICATION


def test_illegal_move_message_names_the_state_in_chinese() -> None:
    with pytest.raises(errors.ActionNotAllowedInState) as refused:
        rules.find_move(CaseKind.identification, S.in_notice, A.approve, Role.county)
    assert refused.value.code == "action_not_allowed_in_state"
    assert "村内公示中" in refused.value.message


def _attempt(
    role: Role = Role.village,
    *,
    notice: NoticeStart | None = None,
    today: dt.date = dt.date(2025, 9, 1),
    **kw: str,
) -> rules.Attempt:
    return rules.Attempt(
        Principal(user_id=7, role=role, region_code="450102001001"), A.start_notice, today, notice, **kw
    )


def _facts(**kw: object) -> rules.CaseFacts:
    return rules.CaseFacts(kind=CaseKind.identification, state=S.awaiting_notice, **kw)  # type: ignore[arg-type]


def test_notice_of_four_full_days_is_refused_and_five_accepted() -> None:
    move = rules.IDENTIFICATION[(S.awaiting_notice, A.start_notice)]
    four = NoticeStart(start_date=dt.date(2025, 9, 1), end_date=dt.date(2025, 9, 5))
    five = NoticeStart(start_date=dt.date(2025, 9, 1), end_date=dt.date(2025, 9, 6))
    with pytest.raises(errors.NoticeTooShort):
        rules.check(move, _facts(), _attempt(notice=four))
    assert rules.check(move, _facts(), _attempt(notice=five)) is S.in_notice
    backdated = NoticeStart(start_date=dt.date(2025, 8, 31), end_date=dt.date(2025, 9, 8))
    with pytest.raises(errors.NoticeStartInPast):
        rules.check(move, _facts(), _attempt(notice=backdated))


def test_notice_ends_only_after_its_last_day_and_without_open_objections() -> None:
    move = rules.IDENTIFICATION[(S.in_notice, A.end_notice)]
    end = dt.date(2025, 9, 6)
    with pytest.raises(errors.NoticeNotOver):
        rules.check(move, _facts(notice_end=end), _attempt(today=end))
    with pytest.raises(errors.ObjectionUnresolved):
        rules.check(move, _facts(notice_end=end, open_objections=1), _attempt(today=dt.date(2025, 9, 7)))
    assert rules.check(move, _facts(notice_end=end), _attempt(today=dt.date(2025, 9, 7))) is S.township_review


def test_negative_list_hit_needs_a_confirmation_comment_but_does_not_reject() -> None:
    move = rules.IDENTIFICATION[(S.county_approval, A.approve)]
    with pytest.raises(errors.NegativeListNotConfirmed):
        rules.check(
            move, _facts(negative_list_hits=2), _attempt(Role.county, negative_list_confirmation="  ")
        )
    confirmed = _attempt(Role.county, negative_list_confirmation="车辆为已报废的农用三轮车，经核实不影响认定")
    assert rules.check(move, _facts(negative_list_hits=2), confirmed) is S.approved


def test_answering_a_return_resumes_the_step_that_returned_it() -> None:
    move = rules.IDENTIFICATION[(S.returned, A.answer_return)]
    facts = rules.CaseFacts(kind=CaseKind.identification, state=S.returned, returned_from=S.township_review)
    assert rules.check(move, facts, _attempt(Role.farmer)) is S.township_review


def test_only_the_assigned_helper_verifies() -> None:
    move = rules.IDENTIFICATION[(S.verification, A.verify)]
    facts = rules.CaseFacts(kind=CaseKind.identification, state=S.verification, assignee_user_id=99)
    with pytest.raises(errors.NotAssignedVerifier):
        rules.check(move, facts, _attempt(Role.grid_officer))
    unassigned = rules.CaseFacts(kind=CaseKind.identification, state=S.verification)
    assert rules.check(move, unassigned, _attempt(Role.grid_officer)) is S.village_review


def test_calendar_knows_the_2025_national_day_swaps() -> None:
    assert LIBRARY_ONLY.is_workday(dt.date(2025, 9, 28))  # Sunday, worked
    assert LIBRARY_ONLY.is_workday(dt.date(2025, 10, 11))  # Saturday, worked
    assert not LIBRARY_ONLY.is_workday(dt.date(2025, 10, 8))  # Wednesday, holiday


def test_plan_due_date_counts_official_working_days_across_national_day() -> None:
    approved = dt.datetime(2025, 9, 26, 16, 0, tzinfo=SHANGHAI)  # Friday
    # 9/28 (Sun, worked), 9/29, 9/30, [10/1–10/8 holiday], 10/9, 10/10, 10/11 (Sat, worked),
    # 10/13, 10/14, 10/15, 10/16. Monday–Friday counting would have said 10/10.
    assert rules.plan_due_date(approved, LIBRARY_ONLY) == CountedDate(dt.date(2025, 10, 16))


def test_plan_due_date_uses_the_shanghai_date_of_the_approval() -> None:
    late_evening_utc = dt.datetime(2025, 9, 25, 17, 0, tzinfo=dt.UTC)  # already 9/26 01:00 in Shanghai
    assert rules.plan_due_date(late_evening_utc, LIBRARY_ONLY).date == dt.date(2025, 10, 16)


def test_workdays_beyond_the_calendar_data_are_counted_provisionally() -> None:
    # December 2099 has no statutory holiday: weekdays only; 2100-01-01 (元旦, a Friday) is off.
    assert add_workdays(dt.date(2099, 12, 1), 10, LIBRARY_ONLY) == CountedDate(dt.date(2099, 12, 15), True)
    assert add_workdays(dt.date(2099, 12, 20), 10, LIBRARY_ONLY) == CountedDate(dt.date(2100, 1, 4), True)


def test_fifteen_day_deadline_on_shanghai_dates() -> None:
    discovered = dt.datetime(2025, 3, 1, 15, 30, tzinfo=dt.UTC)  # 2025-03-01 23:30 in Shanghai
    assert rules.deadline_date(discovered) == dt.date(2025, 3, 16)
    last_minute = dt.datetime(2025, 3, 16, 23, 59, tzinfo=SHANGHAI)
    next_morning = dt.datetime(2025, 3, 17, 0, 1, tzinfo=SHANGHAI)
    assert not rules.is_overdue(S.township_review, discovered, last_minute)
    assert rules.is_overdue(S.township_review, discovered, next_morning)
    assert rules.is_overdue(S.returned, discovered, next_morning)  # returning does not stop the clock
    assert not rules.is_overdue(S.approved, discovered, next_morning)


def test_timeline_lines_read_as_plain_chinese() -> None:
    assert texts.describe(A.village_pass, Role.village, {}) == "村委会已完成民主评议，结果：通过"
    assert texts.describe(
        A.start_notice, Role.village, {"start_date": "2025-09-01", "end_date": "2025-09-06"}
    ) == ("已在村内公示，公示期9月1日至9月6日")
    assert "原因：家庭收入高于监测范围" in texts.describe(
        A.reject, Role.county, {"reason": "家庭收入高于监测范围"}
    )


def test_every_waiting_state_names_the_next_step() -> None:
    for state in rules.RUNNING_STATES:
        step = texts.next_step(
            state,
            deadline=dt.date(2025, 9, 16),
            notice_end=dt.date(2025, 9, 6),
            plan_due=None,
            return_reason="户口本",
        )
        assert step is not None and step.who and step.what, state
