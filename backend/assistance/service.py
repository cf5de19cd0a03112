"""Assistance: the responsible helper (assign, reassign with history) and the per-household plan
of typed measures. Each write is one transaction with its audit row (and, for an assignment, the
farmer's outbox row); reads are inside the caller's scope, a household outside it is not found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import asyncpg
import msgspec

from backend import audit
from backend.applications import queries as application_queries
from backend.assistance import errors, queries, rules
from backend.auth import Principal, require_role
from backend.calendar.rules import local_date
from backend.notifications.service import notify
from backend.pii import Pii
from schemas.assistance import (
    FarmerPlan,
    HelperAssign,
    HelperAssignment,
    HelperBrief,
    HelperContact,
    Measure,
    MeasureCreate,
    MeasureStatus,
    MeasureType,
    MeasureUpdate,
    Plan,
)
from schemas.base import ErrorDetail, Role
from schemas.notifications import NotificationDraft, NotificationEvent
from schemas.registry import MonitoringStatus

FARMER_PLAN_PAGE = "pages/household/index"


@dataclass(frozen=True)
class Assigned:
    assignment: HelperAssignment
    notification_ids: list[int] = field(default_factory=list)  # enqueue_delivery after commit


def _scope(principal: Principal) -> tuple[str, int | None]:
    return principal.region_like, principal.household_only


async def _household(conn: asyncpg.Connection, principal: Principal, household_id: int, *, lock: bool) -> asyncpg.Record:
    query = queries.LOCK_HOUSEHOLD if lock else queries.GET_HOUSEHOLD
    row = await conn.fetchrow(query, household_id, *_scope(principal))
    if row is None:
        raise errors.HouseholdNotFound()
    return row


# ---- 帮扶责任人 ----


async def assign_helper(
    conn: asyncpg.Connection, principal: Principal, household_id: int, data: HelperAssign, now: dt.datetime
) -> Assigned:
    """Makes `helper_user_id` the monitored household's responsible helper. A current helper's
    assignment ends at `now` and stays in the history; households.helper_user_id follows. The
    assignment records the plan due date of the latest approved case it answers and whether it
    came late. The household's farmers are told (helper_assigned)."""
    require_role(principal, rules.ASSIGNERS)
    async with conn.transaction():
        household = await _household(conn, principal, household_id, lock=True)
        if household["monitoring_status"] != rules.ASSIGNABLE_STATUS:
            raise errors.HouseholdNotMonitored.for_status(household["monitoring_status"])
        helper = await conn.fetchrow(queries.GET_USER, data.helper_user_id)
        if not rules.helper_covers(helper, household["village_code"]):
            raise errors.HelperNotEligible(detail=[ErrorDetail(field="helper_user_id", reason="不是负责该村的在岗帮扶干部")])
        if household["helper_user_id"] == data.helper_user_id:
            raise errors.SameHelper()
        case = await conn.fetchrow(queries.GET_LATEST_APPROVED_CASE, household_id)
        case_id = case["id"] if case else None
        due = case["plan_due_date"] if case else None
        answered = case_id is not None and await conn.fetchval(queries.CASE_ANSWERED, case_id)
        late = rules.is_late(local_date(now), due, answered_before=bool(answered))
        ended = await conn.fetchrow(queries.END_CURRENT_ASSIGNMENT, household_id, now)
        assignment_id = await conn.fetchval(
            queries.INSERT_ASSIGNMENT, household_id, data.helper_user_id, principal.user_id, now, case_id, due,
            bool(case and case["plan_due_provisional"]), late, data.note,
        )
        await conn.execute(queries.SET_HOUSEHOLD_HELPER, household_id, data.helper_user_id, now)
        await audit.record(
            conn, principal.user_id, "helper_assignment.create", "household", household_id,
            {
                "assignment_id": assignment_id,
                "helper_user_id": data.helper_user_id,
                "previous_helper_user_id": household["helper_user_id"],
                "ended_assignment_id": ended["id"] if ended else None,
                "application_id": case_id,
                "due_date": due.isoformat() if due else None,
                "late": late,
            },
        )
        ids = await _tell_farmers(conn, household_id, helper["display_name"], reassigned=household["helper_user_id"] is not None)
        row = await conn.fetchrow(queries.GET_ASSIGNMENT, assignment_id)
    return Assigned(msgspec.convert(dict(row), HelperAssignment), ids)


async def _tell_farmers(conn: asyncpg.Connection, household_id: int, helper_name: str, *, reassigned: bool) -> list[int]:
    farmers = [r["id"] for r in await conn.fetch(application_queries.FARMER_USERS, household_id)]
    title = "您家的帮扶责任人已更换" if reassigned else "已为您家指定帮扶责任人"
    draft = NotificationDraft(
        event=NotificationEvent.helper_assigned,
        title=title,
        body=f"帮扶责任人：{helper_name}。联系电话和帮扶计划可在小程序“我的帮扶”中查看。",
        page=FARMER_PLAN_PAGE,
        data={"helper_name": helper_name},
    )
    return await notify(conn, farmers, draft)


async def list_assignments(conn: asyncpg.Connection, principal: Principal, household_id: int) -> list[HelperAssignment]:
    """Every assignment of the household, newest first (the current one has no `ended_at`)."""
    require_role(principal, rules.READERS)
    await _household(conn, principal, household_id, lock=False)
    rows = await conn.fetch(queries.LIST_ASSIGNMENTS, household_id)
    return msgspec.convert([dict(r) for r in rows], list[HelperAssignment])


# ---- 一户一策 ----


def _measure(row: asyncpg.Record) -> Measure:
    values = {k: row[k] for k in Measure.__struct_fields__ if k not in ("type_name", "status_name")}
    return msgspec.convert(
        {
            **values,
            "type_name": rules.MEASURE_NAMES[MeasureType(row["measure_type"])],
            "status_name": rules.STATUS_NAMES[MeasureStatus(row["status"])],
        },
        Measure,
    )


def _may_edit(principal: Principal, helper_user_id: int | None) -> None:
    require_role(principal, rules.PLAN_EDITORS)
    if principal.role is Role.helper and helper_user_id != principal.user_id:
        raise errors.NotHouseholdHelper()


def _check_dates(start: dt.date, end: dt.date | None) -> None:
    if problem := rules.dates_problem(start, end):
        raise errors.MeasureDatesInvalid(problem, [ErrorDetail(field="end_date", reason=problem)])


async def get_plan(conn: asyncpg.Connection, principal: Principal, household_id: int) -> Plan:
    """The household's helper, plan due date and measures, oldest start first."""
    require_role(principal, rules.READERS)
    household = await _household(conn, principal, household_id, lock=False)
    case = await conn.fetchrow(queries.GET_LATEST_APPROVED_CASE, household_id)
    helper = None
    if household["helper_user_id"] is not None:
        row = await conn.fetchrow(queries.GET_HELPER, household["helper_user_id"])
        helper = HelperBrief(user_id=row["user_id"], display_name=row["display_name"], phone_masked=row["phone_masked"])
    return Plan(
        household_id=household_id,
        monitoring_status=MonitoringStatus(household["monitoring_status"]),
        measures=[_measure(r) for r in await conn.fetch(queries.LIST_MEASURES, household_id)],
        helper=helper,
        due_date=case["plan_due_date"] if case else None,
        due_provisional=bool(case and case["plan_due_provisional"]),
    )


async def get_farmer_plan(conn: asyncpg.Connection, pii: Pii, principal: Principal) -> FarmerPlan:
    """The farmer's own household only: its helper's name and phone, and the measures."""
    require_role(principal, {Role.farmer})
    household = await _household(conn, principal, principal.household_only or -1, lock=False)
    helper = None
    if household["helper_user_id"] is not None:
        row = await conn.fetchrow(queries.GET_HELPER, household["helper_user_id"])
        phone = pii.decrypt(bytes(row["phone_enc"])) if row["phone_enc"] is not None else None
        helper = HelperContact(display_name=row["display_name"], phone=phone)
    measures = [_measure(r) for r in await conn.fetch(queries.LIST_MEASURES, household["id"])]
    return FarmerPlan(measures=measures, helper=helper)


async def add_measure(
    conn: asyncpg.Connection, principal: Principal, household_id: int, data: MeasureCreate, now: dt.datetime
) -> Measure:
    """Adds a measure to a monitored household's plan (its helper, or township/county staff)."""
    async with conn.transaction():
        household = await _household(conn, principal, household_id, lock=True)
        _may_edit(principal, household["helper_user_id"])
        if household["monitoring_status"] != rules.ASSIGNABLE_STATUS:
            raise errors.HouseholdNotMonitored.for_status(household["monitoring_status"])
        _check_dates(data.start_date, data.end_date)
        row = await conn.fetchrow(
            queries.INSERT_MEASURE, household_id, data.measure_type.value, data.owner_department, data.start_date,
            data.end_date, data.status.value, data.amount_fen, data.description, principal.user_id, now,
        )
        await audit.record(
            conn, principal.user_id, "plan_measure.create", "plan_measure", row["id"],
            {"household_id": household_id, **msgspec.to_builtins(data)},
        )
    return _measure(row)


async def update_measure(
    conn: asyncpg.Connection, principal: Principal, measure_id: int, data: MeasureUpdate, now: dt.datetime
) -> Measure:
    """Changes the fields sent. Status moves forward only (planned → in progress → done or
    stopped); done and stopped are final."""
    changed = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    async with conn.transaction():
        row = await conn.fetchrow(queries.LOCK_MEASURE, measure_id, *_scope(principal))
        if row is None:
            raise errors.MeasureNotFound()
        _may_edit(principal, row["helper_user_id"])
        merged = {**{k: row[k] for k in msgspec.structs.asdict(data)}, **changed}
        current, status = MeasureStatus(row["status"]), MeasureStatus(merged["status"])
        if not rules.status_may_move(current, status):
            raise errors.MeasureStatusNotAllowed.for_move(current, status)
        _check_dates(merged["start_date"], merged["end_date"])
        updated = await conn.fetchrow(
            queries.UPDATE_MEASURE, measure_id, status.value, merged["owner_department"], merged["start_date"],
            merged["end_date"], merged["amount_fen"], merged["description"], now,
        )
        await audit.record(
            conn, principal.user_id, "plan_measure.update", "plan_measure", measure_id,
            {"household_id": row["household_id"], "before": {k: row[k] for k in changed}, "after": changed},
        )
    return _measure(updated)
