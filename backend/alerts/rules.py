"""Alert rules without I/O: which statuses count as open, what "new" and "working age" mean, which
threshold a batch applies, whether an admin's threshold makes sense, and the alert work's
transition table and deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec

from backend.alerts import errors
from backend.auth import REGION_ROLES
from backend.calendar.rules import CountedDate, OfficialCalendar, add_workdays
from schemas.alerts import AlertAction, AlertLevel, AlertStatus, Compare, ThresholdUnit
from schemas.base import Role

# Statuses that keep an alert on the household's traffic light and stop the same rule raising the
# same or a lower level for the person again; the closing states (dismissed, converted) stay out.
OPEN_STATUSES = (AlertStatus.open, AlertStatus.assigned, AlertStatus.dismissal_proposed, AlertStatus.reopened)
# Waiting for the helper's visit: the deadline runs and the alert can be overdue.
VERIFYING_STATUSES = (AlertStatus.assigned, AlertStatus.reopened)

# "New" (a disability certificate, a relief or 低保 start): dated in the batch's month or the two
# before it, so that a certificate entered a little late in the department's system still counts.
NEW_WITHIN_MONTHS = 3

# 劳动年龄: 16 to 59 full years at the event's date (劳动法: work from 16; retirement at 60).
WORKING_AGE_FROM = 16
WORKING_AGE_UNTIL = 60  # exclusive

# The medical look-back: the batch's month and the 11 before it (DOMAIN §7.2 "12 months").
MEDICAL_LOOKBACK_MONTHS = 12

# Percent thresholds stay sensible: a share of income or of the monitoring line.
MAX_PERCENT = 1000


class Threshold(msgspec.Struct, frozen=True):
    """The threshold a rule applies to one batch, and where it came from; stored on each alert."""

    code: str
    value: int
    red_value: int
    unit: str
    province_code: str
    year: int
    source: str  # "province": set by an admin for this province and year (or an earlier year); "default"

    def applied(self) -> dict[str, object]:
        return {
            "value": self.value,
            "red_value": self.red_value,
            "unit": self.unit,
            "province_code": self.province_code,
            "year": self.year,
            "source": self.source,
        }


def province_of(region_code: str) -> str:
    return region_code[:2].ljust(12, "0")


def threshold_problem(compare: Compare, unit: ThresholdUnit | None, value: int, red_value: int) -> str | None:
    """Why an admin's (value, red_value) cannot work for the rule (Chinese), or None."""
    if compare is Compare.flag:
        return "该规则按情形直接预警，没有阈值"
    if unit is ThresholdUnit.percent and max(value, red_value) > MAX_PERCENT:
        return f"百分比阈值不能超过 {MAX_PERCENT}"
    if compare is Compare.at_least and red_value <= value:
        return "红色阈值应高于黄色阈值"
    if compare is Compare.below and red_value >= value:
        return "红色阈值应低于黄色阈值"
    return None


# ---- the alert work (DOMAIN §7.2, issue 16) ----

# Who reads alerts: whoever reads households (region staff but line departments, and admins).
READERS = (REGION_ROLES - {Role.department}) | {Role.admin}
VERIFIERS = frozenset({Role.helper, Role.grid_officer})  # 入户核实 by a helper or grid officer
COUNTY = frozenset({Role.county})


@dataclass(frozen=True)
class Move:
    state: AlertStatus
    action: AlertAction
    roles: frozenset[Role]
    next_state: AlertStatus
    level: AlertLevel | None = None  # the move applies to alerts of this level only
    by_assignee: bool = False  # only the alert's assignee takes it


_ASSIGNABLE = (AlertStatus.open, AlertStatus.assigned, AlertStatus.reopened)

MOVES: tuple[Move, ...] = (
    *(Move(s, AlertAction.assign, COUNTY, AlertStatus.assigned) for s in _ASSIGNABLE),
    *(
        move
        for s in VERIFYING_STATUSES
        for move in (
            # A red dismissal waits for the county; a yellow one closes at once.
            Move(s, AlertAction.dismiss, VERIFIERS, AlertStatus.dismissal_proposed, AlertLevel.red, True),
            Move(s, AlertAction.dismiss, VERIFIERS, AlertStatus.dismissed, AlertLevel.yellow, True),
            Move(s, AlertAction.confirm, VERIFIERS, AlertStatus.converted, None, True),
        )
    ),
    Move(AlertStatus.dismissal_proposed, AlertAction.confirm_dismissal, COUNTY, AlertStatus.dismissed),
    Move(AlertStatus.dismissal_proposed, AlertAction.reopen, COUNTY, AlertStatus.reopened),
)
_TABLE = {(m.state, m.action, m.level): m for m in MOVES}
assert len(_TABLE) == len(MOVES), "two moves for one (state, action, level)"
CLOSING = frozenset({AlertStatus.dismissed, AlertStatus.converted})


def find_move(
    status: AlertStatus, action: AlertAction, level: AlertLevel, role: Role, *, is_assignee: bool
) -> Move:
    """The move for this attempt: a role that never takes the action → 403 alert_role_may_not_act,
    a verifier who is not the assignee → 403 not_alert_assignee, a state that does not allow it →
    409 alert_action_not_allowed."""
    if not any(role in m.roles for m in MOVES if m.action is action):
        raise errors.AlertRoleMayNotAct()
    move = _TABLE.get((status, action, level)) or _TABLE.get((status, action, None))
    if move is None:
        raise errors.AlertActionNotAllowed.for_status(status, action)
    if role not in move.roles:
        raise errors.AlertRoleMayNotAct()
    if move.by_assignee and not is_assignee:
        raise errors.NotAlertAssignee()
    return move


def verify_due(
    assigned_on: dt.date, level: AlertLevel, workdays: Mapping[AlertLevel, int], calendar: OfficialCalendar
) -> CountedDate:
    """The last local date to verify an alert assigned on `assigned_on` (the day itself not counted);
    `workdays` per level come from settings (alert_verify_workdays_red / _yellow: 3 and 5, the
    county practice)."""
    return add_workdays(assigned_on, workdays[level], calendar)


def is_overdue(status: AlertStatus, due_date: dt.date | None, today: dt.date) -> bool:
    return status in VERIFYING_STATUSES and due_date is not None and today > due_date
