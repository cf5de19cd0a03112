"""The workflow as data (DOMAIN §5): the (state, action) → move table with roles and guards, the
policy deadlines, and who is told about each step. Pure: no I/O, testable alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from backend.applications import elimination, errors
from backend.auth import Principal
from backend.calendar.rules import CountedDate, OfficialCalendar, add_workdays, local_date
from schemas.applications import Action, CaseKind, CaseState, NoticeStart, Source
from schemas.base import Role
from schemas.notifications import NotificationEvent

# ---- policy constants (DOMAIN §5) ----
DECISION_LIMIT_DAYS = 15  # 从发现到县级审定原则上不超过15天 (calendar days, Asia/Shanghai dates)
# 公示不少于5天. The posting day is a partial day, so it does not count: a notice posted on day S
# and taken down after the whole of day E has run E − S full days; we require E − S ≥ 5 and allow
# the case to leave notice only once day E is over.
NOTICE_MIN_FULL_DAYS = 5
PLAN_DUE_WORKDAYS = 10  # 审定后10个工作日内落实帮扶责任人和一户一策 (official calendar with 调休)

# The 15-day limit is for identification (原则上不超过15天 is said of 识别认定); a risk elimination
# has no legal deadline, so it is never flagged overdue.
DEADLINE_KINDS = frozenset({CaseKind.identification})

CLOSED_STATES = frozenset({CaseState.approved, CaseState.rejected, CaseState.withdrawn})
# States whose 15-day clock is running: everything after discovery and before a decision.
RUNNING_STATES = frozenset(CaseState) - CLOSED_STATES - {CaseState.draft}

VERIFIERS = frozenset({Role.helper, Role.grid_officer})  # 入户核实 by a helper or grid officer
REVIEWERS = frozenset({Role.village, Role.township, Role.county})
REGION_STAFF = VERIFIERS | REVIEWERS
# Who reads a case besides the household's farmer (DOMAIN §1): the region staff who work it and
# admins. Line departments see their own batches only; unions and suppliers nothing of the cases.
STAFF_READERS = REGION_STAFF | {Role.admin}
# A draft is the farmer's alone until submitted: staff neither see nor act on it.
PRIVATE_STATES = frozenset({CaseState.draft})
# Who may open a case, by source (department alerts are converted by whoever works the alert).
OPENERS: dict[Source, frozenset[Role]] = {
    Source.cadre_screening: VERIFIERS,
    Source.department_alert: VERIFIERS | frozenset({Role.township, Role.county}),
}

# Whose turn it is in each state: task lists and "case waiting" notifications.
WAITING_FOR: dict[CaseState, frozenset[Role]] = {
    CaseState.verification: VERIFIERS,
    CaseState.village_review: frozenset({Role.village}),
    CaseState.awaiting_notice: frozenset({Role.village}),
    CaseState.in_notice: frozenset({Role.village}),
    CaseState.township_review: frozenset({Role.township}),
    CaseState.county_approval: frozenset({Role.county}),
    CaseState.returned: VERIFIERS,  # and the farmer, who is told directly
}




def may_read_case(principal: Principal, household_id: int, village_code: str, state: CaseState) -> bool:
    """Who may read a case and what hangs off it (its photos): the household's farmer, and staff
    readers whose region covers the village once it is submitted. queries.CASE_SCOPE is this
    rule in SQL; tests/photos/test_access.py holds the two together."""
    if principal.role is Role.farmer:
        return principal.household_only == household_id
    return (
        principal.role in STAFF_READERS
        and state not in PRIVATE_STATES
        and principal.covers_region(village_code)
    )


# ---- guards ----


@dataclass(frozen=True)
class CaseFacts:
    """What a guard may look at: the locked case row and counts read in the same transaction."""

    kind: CaseKind
    state: CaseState | None  # None: the case is being opened
    assignee_user_id: int | None = None
    returned_from: CaseState | None = None
    notice_start: dt.date | None = None
    notice_end: dt.date | None = None
    open_objections: int = 0
    negative_list_hits: int = 0
    # What opening a risk-elimination case looks at (backend/applications/elimination.py).
    household_monitored: bool = False
    household_helper_user_id: int | None = None
    eligible_from: dt.date | None = None  # first local date the household may leave monitoring


@dataclass(frozen=True)
class Attempt:
    actor: Principal
    action: Action
    today: dt.date  # Asia/Shanghai
    notice: NoticeStart | None = None
    negative_list_confirmation: str = ""
    rejection_reason: str = ""


Guard = Callable[[CaseFacts, Attempt], None]


def actor_is_assignee(case: CaseFacts, attempt: Attempt) -> None:
    """A case with an assigned helper is verified (and answered for) by that helper only."""
    actor = attempt.actor
    if actor.role in VERIFIERS and case.assignee_user_id not in (None, actor.user_id):
        raise errors.NotAssignedVerifier()


def notice_long_enough(case: CaseFacts, attempt: Attempt) -> None:
    notice = attempt.notice
    assert notice is not None
    if (notice.end_date - notice.start_date).days < NOTICE_MIN_FULL_DAYS:
        raise errors.NoticeTooShort()


def notice_not_backdated(case: CaseFacts, attempt: Attempt) -> None:
    assert attempt.notice is not None
    if attempt.notice.start_date < attempt.today:
        raise errors.NoticeStartInPast()


def notice_over(case: CaseFacts, attempt: Attempt) -> None:
    if case.notice_end is None or attempt.today <= case.notice_end:
        raise errors.NoticeNotOver()


def no_open_objections(case: CaseFacts, attempt: Attempt) -> None:
    if case.open_objections:
        raise errors.ObjectionUnresolved()


def negative_list_confirmed(case: CaseFacts, attempt: Attempt) -> None:
    """DOMAIN §7.3: a hit never rejects on its own, but approval needs an explicit comment."""
    if case.negative_list_hits and not attempt.negative_list_confirmation.strip():
        raise errors.NegativeListNotConfirmed()


def rejection_has_reason(case: CaseFacts, attempt: Attempt) -> None:
    if not attempt.rejection_reason.strip():
        raise errors.RejectionReasonRequired()


# ---- the transition table ----

RESUME: Literal["resume"] = "resume"  # answer_return goes back to the state the case was returned from


@dataclass(frozen=True)
class Move:
    state: CaseState | None
    action: Action
    roles: frozenset[Role]
    next_state: CaseState | Literal["resume"]
    guards: tuple[Guard, ...] = field(default=())


def _moves(*moves: Move) -> dict[tuple[CaseState | None, Action], Move]:
    table = {(m.state, m.action): m for m in moves}
    assert len(table) == len(moves), "two moves for one (state, action)"
    return table


FARMER = frozenset({Role.farmer})
VILLAGE = frozenset({Role.village})
TOWNSHIP = frozenset({Role.township})
COUNTY = frozenset({Role.county})
# 异议: anyone in the village (farmers there) or any staff in scope may object during notice.
OBJECTORS = FARMER | REGION_STAFF

REVIEW_STATES = (
    CaseState.village_review,
    CaseState.awaiting_notice,
    CaseState.in_notice,
    CaseState.township_review,
    CaseState.county_approval,
    CaseState.returned,
)


def review_moves(
    decision: Action,
    decision_guards: tuple[Guard, ...],
    *,
    answerers: frozenset[Role],
    withdrawers: frozenset[Role],
) -> tuple[Move, ...]:
    """Links 5–8 and 退回补充, the same for enrolment and risk elimination (DOMAIN §5 step 10: "like
    an enrolment"): village review, notice with objections, township review, the county's
    `decision`; `answerers` supply returned material (a verifier only if it is the assignee),
    `withdrawers` may withdraw the case in any of these states."""
    moves = (
        # 村级民主评议
        Move(CaseState.village_review, Action.village_pass, VILLAGE, CaseState.awaiting_notice),
        Move(CaseState.village_review, Action.village_fail, VILLAGE, CaseState.rejected, (rejection_has_reason,)),
        Move(CaseState.village_review, Action.return_for_material, VILLAGE, CaseState.returned),
        # 村内公示
        Move(
            CaseState.awaiting_notice,
            Action.start_notice,
            VILLAGE,
            CaseState.in_notice,
            (notice_not_backdated, notice_long_enough),
        ),
        Move(CaseState.in_notice, Action.raise_objection, OBJECTORS, CaseState.in_notice),
        Move(CaseState.in_notice, Action.resolve_objection, VILLAGE | TOWNSHIP, CaseState.in_notice),
        Move(
            CaseState.in_notice,
            Action.end_notice,
            VILLAGE,
            CaseState.township_review,
            (notice_over, no_open_objections),
        ),
        # 乡镇审核
        Move(CaseState.township_review, Action.township_pass, TOWNSHIP, CaseState.county_approval),
        Move(CaseState.township_review, Action.return_for_material, TOWNSHIP, CaseState.returned),
        # 县级审定
        Move(CaseState.county_approval, decision, COUNTY, CaseState.approved, decision_guards),
        Move(CaseState.county_approval, Action.reject, COUNTY, CaseState.rejected, (rejection_has_reason,)),
        Move(CaseState.county_approval, Action.return_for_material, COUNTY, CaseState.returned),
        # 退回补充
        Move(CaseState.returned, Action.answer_return, answerers, RESUME, (actor_is_assignee,)),
    )
    if not withdrawers:
        return moves
    return moves + tuple(Move(s, Action.withdraw, withdrawers, CaseState.withdrawn) for s in REVIEW_STATES)


IDENTIFICATION = _moves(
    Move(None, Action.open, VERIFIERS | OPENERS[Source.department_alert], CaseState.verification),
    Move(CaseState.draft, Action.submit, FARMER, CaseState.verification),
    Move(CaseState.draft, Action.withdraw, FARMER, CaseState.withdrawn),
    # 入户核实
    Move(CaseState.verification, Action.verify, VERIFIERS, CaseState.village_review, (actor_is_assignee,)),
    Move(
        CaseState.verification,
        Action.return_for_material,
        VERIFIERS,
        CaseState.returned,
        (actor_is_assignee,),
    ),
    Move(CaseState.verification, Action.withdraw, FARMER, CaseState.withdrawn),
    *review_moves(Action.approve, (negative_list_confirmed,), answerers=FARMER | VERIFIERS, withdrawers=FARMER),
)

# 风险消除 (DOMAIN §5 step 10): the household's responsible helper proposes it with income evidence
# once the household has been monitored long enough (the helper's evidence stands for the home
# verification), then the same reviewed, noticed and approved path as an enrolment. Nobody withdraws
# it: the village or county closes a proposal that should not go on with a reason.
RISK_ELIMINATION = _moves(
    Move(
        None,
        Action.propose_elimination,
        frozenset({Role.helper}),
        CaseState.village_review,
        (elimination.household_monitored, elimination.actor_is_households_helper, elimination.monitored_long_enough),
    ),
    # Returned material comes from the proposing helper (the case's assignee).
    *review_moves(Action.approve_elimination, (), answerers=frozenset({Role.helper}), withdrawers=frozenset()),
)

WORKFLOWS: dict[CaseKind, dict[tuple[CaseState | None, Action], Move]] = {
    CaseKind.identification: IDENTIFICATION,
    CaseKind.risk_elimination: RISK_ELIMINATION,
}


def require_role_takes(kind: CaseKind, action: Action, role: Role) -> None:
    """403 for a role that never takes this action in this kind of case, whatever its state."""
    if not any(role in m.roles for m in WORKFLOWS[kind].values() if m.action is action):
        raise errors.RoleMayNotAct()


def find_move(kind: CaseKind, state: CaseState | None, action: Action, role: Role) -> Move:
    """The move for this attempt. A role that never takes this action → 403; a role that may, but
    not in this state → 409 naming the rule."""
    require_role_takes(kind, action, role)
    move = WORKFLOWS[kind].get((state, action))
    if move is None:
        raise errors.ActionNotAllowedInState.for_state(state, action, kind)
    if role not in move.roles:
        raise errors.RoleMayNotAct()
    return move


# The action that opens a case of each kind.
OPENING: dict[CaseKind, Action] = {
    CaseKind.identification: Action.open,
    CaseKind.risk_elimination: Action.propose_elimination,
}


def opening_move(kind: CaseKind, source: Source | None, role: Role) -> Move:
    """The move that opens a case of `kind` (from `source`, for identification); 403 for a role
    that may not open it."""
    move = find_move(kind, None, OPENING[kind], role)
    if source is not None and role not in OPENERS.get(source, frozenset()):
        raise errors.RoleMayNotAct()
    return move


def check(move: Move, case: CaseFacts, attempt: Attempt) -> CaseState:
    """Run the move's guards; returns the state the case moves to."""
    for guard in move.guards:
        guard(case, attempt)
    if move.next_state == RESUME:
        assert case.returned_from is not None
        return case.returned_from
    return move.next_state


# ---- deadlines ----


def deadline_date(discovered_at: dt.datetime) -> dt.date:
    """The last local date on which the county may decide (DOMAIN §5: at most 15 days)."""
    return local_date(discovered_at) + dt.timedelta(days=DECISION_LIMIT_DAYS)


def is_overdue(
    state: CaseState,
    discovered_at: dt.datetime | None,
    now: dt.datetime,
    kind: CaseKind = CaseKind.identification,
) -> bool:
    return (
        kind in DEADLINE_KINDS
        and state in RUNNING_STATES
        and discovered_at is not None
        and local_date(now) > deadline_date(discovered_at)
    )


def plan_due_date(approved_at: dt.datetime, calendar: OfficialCalendar) -> CountedDate:
    """10 official working days after the approval's local date (DOMAIN §5 step 9), provisional
    while a year it reaches into has no notice entered."""
    return add_workdays(local_date(approved_at), PLAN_DUE_WORKDAYS, calendar)


# ---- who is told (DOMAIN §9) ----


class Audience:
    farmer = "farmer"  # users bound to the case's household
    waiting = "waiting"  # staff whose turn it is in the new state, in the case's region
    helper = "helper"  # the case's assignee, else the household's responsible helper


_WAITING = (Audience.waiting, NotificationEvent.case_waiting)
_RECEIVED = (Audience.farmer, NotificationEvent.application_received)

# Per action: (audience, event). Staff are never notified of their own step.
NOTIFY: dict[Action, tuple[tuple[str, NotificationEvent], ...]] = {
    Action.open: (_RECEIVED, _WAITING),
    Action.submit: (_RECEIVED, _WAITING),
    Action.verify: (_WAITING,),
    Action.village_pass: (_WAITING,),
    Action.village_fail: ((Audience.farmer, NotificationEvent.application_rejected),),
    Action.start_notice: ((Audience.farmer, NotificationEvent.application_in_notice),),
    Action.raise_objection: (_WAITING,),
    Action.resolve_objection: (),
    Action.end_notice: (_WAITING,),
    Action.township_pass: (_WAITING,),
    Action.approve: (
        (Audience.farmer, NotificationEvent.application_approved),
        (Audience.helper, NotificationEvent.case_waiting),  # the plan is due in 10 working days
    ),
    Action.reject: ((Audience.farmer, NotificationEvent.application_rejected),),
    Action.return_for_material: (
        (Audience.farmer, NotificationEvent.application_returned),
        (Audience.helper, NotificationEvent.application_returned),
    ),
    Action.answer_return: (_WAITING,),
    Action.withdraw: (),  # the case simply leaves the staff's task lists
}

_HELPER_REJECTED = ((Audience.helper, NotificationEvent.application_rejected),)
# Risk elimination: the proposing helper follows the case; the farmer is told of the notice and
# of the county's decision that the household leaves monitoring.
NOTIFY_ELIMINATION: dict[Action, tuple[tuple[str, NotificationEvent], ...]] = {
    **NOTIFY,
    Action.propose_elimination: (_WAITING,),
    Action.village_fail: _HELPER_REJECTED,
    Action.approve_elimination: ((Audience.farmer, NotificationEvent.risk_eliminated),),
    Action.reject: _HELPER_REJECTED,
    Action.return_for_material: ((Audience.helper, NotificationEvent.application_returned),),
}
NOTIFY_BY_KIND = {CaseKind.identification: NOTIFY, CaseKind.risk_elimination: NOTIFY_ELIMINATION}
