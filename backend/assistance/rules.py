"""Assistance rules as data: who assigns and plans, the measures' names and status moves, when
an assignment is late. Pure: no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from backend.auth import REGION_ROLES
from backend.regions.rules import is_within
from schemas.assistance import MeasureStatus, MeasureType
from schemas.base import Role
from schemas.registry import MonitoringStatus

# County and township staff assign the responsible helper (DOMAIN §1: the county assigns helpers;
# issue 17: county or township).
ASSIGNERS = frozenset({Role.county, Role.township})
# The household's current helper, or township / county staff in scope, keep the plan.
PLAN_EDITORS = frozenset({Role.helper, Role.township, Role.county})
# Whoever reads households reads their helpers and plans; line departments see neither.
READERS = (REGION_ROLES - {Role.department}) | {Role.admin}
# Outcome per measure: the township and county boards.
OUTCOME_READERS = frozenset({Role.township, Role.county, Role.admin})

# Only a monitored household (监测中) is assigned a helper and a plan (DOMAIN §5 link 9).
ASSIGNABLE_STATUS = MonitoringStatus.monitoring

MEASURE_NAMES: dict[MeasureType, str] = {
    MeasureType.industry: "产业帮扶",
    MeasureType.employment: "就业帮扶",
    MeasureType.public_welfare_post: "公益性岗位",
    MeasureType.micro_credit: "小额信贷",
    MeasureType.education: "教育资助",
    MeasureType.medical: "医疗保障/救助",
    MeasureType.dibao: "低保",
    MeasureType.tekun: "特困供养",
    MeasureType.temporary_assistance: "临时救助",
    MeasureType.housing: "危房改造",
    MeasureType.insurance: "防贫保险",
    MeasureType.consumption: "消费帮扶",
    MeasureType.other: "其他",
}

STATUS_NAMES: dict[MeasureStatus, str] = {
    MeasureStatus.planned: "计划中",
    MeasureStatus.in_progress: "实施中",
    MeasureStatus.done: "已完成",
    MeasureStatus.stopped: "已终止",
}

MONITORING_NAMES: dict[str, str] = {"none": "未纳入监测", "monitoring": "监测中", "risk_eliminated": "风险已消除"}

# A measure moves forward only; done and stopped are final (a new measure is added instead).
STATUS_MOVES: dict[MeasureStatus, frozenset[MeasureStatus]] = {
    MeasureStatus.planned: frozenset({MeasureStatus.in_progress, MeasureStatus.done, MeasureStatus.stopped}),
    MeasureStatus.in_progress: frozenset({MeasureStatus.done, MeasureStatus.stopped}),
    MeasureStatus.done: frozenset(),
    MeasureStatus.stopped: frozenset(),
}

# The outcome counts measures that were put in place: started (any status but planned).
OUTCOME_STATUSES = tuple(s.value for s in MeasureStatus if s is not MeasureStatus.planned)


def status_may_move(current: MeasureStatus, to: MeasureStatus) -> bool:
    return to is current or to in STATUS_MOVES[current]


def is_late(assigned_on: dt.date, due_date: dt.date | None, *, answered_before: bool) -> bool:
    """The first assignment answering a case is late when made after its plan due date (the due
    date itself is in time); a reassignment after it never is: the case was answered already."""
    return due_date is not None and not answered_before and assigned_on > due_date


def dates_problem(start: dt.date, end: dt.date | None) -> str | None:
    if end is not None and end < start:
        return f"结束日期（{end:%Y年%m月%d日}）不能早于开始日期（{start:%Y年%m月%d日}）"
    return None



def helper_covers(user: Mapping[str, Any] | None, village_code: str) -> bool:
    """A responsible helper is an active helper account whose region covers the household's village."""
    return (
        user is not None
        and user["role"] == Role.helper
        and user["active"]
        and user["region_code"] is not None
        and is_within(village_code, user["region_code"])
    )
