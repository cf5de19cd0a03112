"""Identification workflow (DOMAIN §5): every step a person takes on a case. Each function checks
scope through the caller's Principal, runs one transaction through `engine`, and returns `Done`
whose notification ids the caller enqueues after commit (`enqueue_delivery`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping

import asyncpg
import msgspec
from arq.connections import ArqRedis

from backend.applications import engine, errors, queries, reads, rules
from backend.applications.engine import Done, Step
from backend.auth import Principal
from backend.calendar.service import load_official_calendar
from backend.notifications.service import enqueue_delivery
from schemas.applications import (
    Action,
    AnswerReturn,
    Application,
    ApplicationDraft,
    ApplicationSubmit,
    Approval,
    CaseKind,
    CaseOpen,
    CaseState,
    NoticeStart,
    ObjectionRaise,
    ObjectionResolve,
    Rejection,
    ReturnForMaterial,
    Source,
    StepComment,
    Verification,
    VillageReview,
    Withdraw,
)
from schemas.base import Role
from schemas.registry import MonitoringStatus

_encoder = msgspec.json.Encoder(order="deterministic")


async def finish(
    conn: asyncpg.Connection, redis: ArqRedis, principal: Principal, done: Done, now: dt.datetime
) -> Application:
    """After the step committed: hand its notifications to the queue, return the case as seen now."""
    await enqueue_delivery(redis, done.notification_ids)
    return await reads.get_application(conn, principal, done.application_id, now)


async def _household_in_scope(
    conn: asyncpg.Connection, principal: Principal, household_id: int
) -> asyncpg.Record:
    household = await conn.fetchrow(
        queries.GET_HOUSEHOLD_FOR_CASE, household_id, principal.region_like, principal.household_only
    )
    if household is None:
        raise errors.HouseholdNotFound()
    if household["monitoring_status"] == MonitoringStatus.monitoring:
        raise errors.HouseholdAlreadyMonitored()
    return household


def _content(data: ApplicationDraft | ApplicationSubmit | CaseOpen) -> dict[str, object]:
    return {
        "risk_types": [r.value for r in data.risk_types],
        "narrative": data.narrative,
        "declared_income_fen": data.declared_income_fen,
        "declared_rigid_expense_fen": data.declared_rigid_expense_fen,
    }


# ---- discovery ----


async def open_case(
    conn: asyncpg.Connection,
    principal: Principal,
    data: CaseOpen,
    now: dt.datetime,
    *,
    source: Source = Source.cadre_screening,
) -> Done:
    """A case opened by staff for a household in their scope (干部排查; 部门预警 converts through
    here with source=department_alert). Refused while the household has a case in progress."""
    rules.opening_move(CaseKind.identification, source, principal.role)  # 403 before any lookup
    household = await _household_in_scope(conn, principal, data.household_id)
    step = Step(Action.open, changes=_content(data))
    return await engine.open_case(conn, principal, household, source, step, now)


def _farmer_household(principal: Principal) -> int:
    if principal.role is not Role.farmer:
        raise errors.RoleMayNotAct()
    if not principal.household_id:
        raise errors.FarmerNotBound()
    return principal.household_id


async def save_draft(conn: asyncpg.Connection, principal: Principal, data: ApplicationDraft) -> int:
    """Create or replace the household's one draft; returns its id (photos are uploaded to it)."""
    household_id = _farmer_household(principal)
    await _household_in_scope(conn, principal, household_id)
    content = _content(data)
    async with conn.transaction():
        if await conn.fetchval(queries.HAS_OPEN_CASE, household_id, CaseKind.identification.value):
            raise errors.OpenApplicationExists()
        draft_id = await conn.fetchval(
            queries.GET_DRAFT_FOR_HOUSEHOLD, household_id, CaseKind.identification.value
        )
        values = (
            content["risk_types"],
            content["narrative"],
            content["declared_income_fen"],
            content["declared_rigid_expense_fen"],
        )
        if draft_id is not None:
            await conn.execute(queries.UPDATE_DRAFT, draft_id, *values)
            return draft_id
        try:
            return await conn.fetchval(
                queries.INSERT_CASE,
                CaseKind.identification.value,
                household_id,
                Source.self_report.value,
                CaseState.draft.value,
                principal.user_id,
                None,
                *values,
                None,
            )
        except asyncpg.UniqueViolationError:  # a second draft saved at the same moment
            raise errors.OpenApplicationExists("申请草稿正在保存，请稍后再试") from None


class Submitted(msgspec.Struct, frozen=True):
    application: Application
    created: bool  # False: a retry of a submit that already happened
    notification_ids: list[int]


async def submit(
    conn: asyncpg.Connection, principal: Principal, key: str, data: ApplicationSubmit, now: dt.datetime
) -> Submitted:
    """Submit the farmer's self-report. The same Idempotency-Key with the same content returns the
    first result; with different content it is refused. At most one case in progress per household."""
    household_id = _farmer_household(principal)
    request_hash = hashlib.sha256(_encoder.encode(data)).digest()
    async with conn.transaction():
        # A concurrent retry with the same key waits here until the first commits or rolls back.
        claimed = await conn.fetchval(queries.CLAIM_SUBMIT_KEY, principal.user_id, key, request_hash)
        if claimed is None:
            previous = await conn.fetchrow(queries.GET_SUBMIT_KEY, principal.user_id, key)
            if previous["request_hash"] != request_hash:
                raise errors.IdempotencyKeyReused()
            return Submitted(msgspec.convert(previous["response"], Application), False, [])
        household = await _household_in_scope(conn, principal, household_id)
        if await conn.fetchval(queries.HAS_OPEN_CASE, household_id, CaseKind.identification.value):
            raise errors.OpenApplicationExists()
        draft_id = await conn.fetchval(
            queries.GET_DRAFT_FOR_HOUSEHOLD, household_id, CaseKind.identification.value
        )
        if draft_id is None:
            draft_id = await save_draft(conn, principal, ApplicationDraft())
        step = Step(
            Action.submit,
            attachments=tuple(data.photo_ids),
            changes={**_content(data), "discovered_at": now, "assignee_user_id": household["helper_user_id"]},
            data={"source": Source.self_report.value},
        )
        done = await engine.transition(conn, principal, draft_id, step, now)
        view = await reads.get_application(conn, principal, draft_id, now)
        await conn.execute(
            queries.FINISH_SUBMIT_KEY, principal.user_id, key, draft_id, msgspec.to_builtins(view)
        )
    return Submitted(view, True, done.notification_ids)


# ---- identification steps ----


async def verify(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: Verification, now: dt.datetime
) -> Done:
    """入户核实 by the assigned helper or grid officer, with figures, findings and where it was recorded."""
    step = Step(
        Action.verify,
        comment=data.findings,
        attachments=tuple(data.photo_ids),
        version=data.version,
        changes={
            "verified_income_fen": data.income_fen,
            "verified_rigid_expense_fen": data.rigid_expense_fen,
            "verification_findings": data.findings,
            "verification_latitude": data.latitude,
            "verification_longitude": data.longitude,
            "verified_at": now,
            "verified_by": principal.user_id,
        },
        data={
            "income_fen": data.income_fen,
            "rigid_expense_fen": data.rigid_expense_fen,
            "latitude": data.latitude,
            "longitude": data.longitude,
        },
    )
    return await engine.transition(conn, principal, case_id, step, now)


async def village_review(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: VillageReview, now: dt.datetime
) -> Done:
    """村级民主评议: pass moves on to public notice; fail closes the case with a reason for the farmer."""
    if data.passed:
        step = Step(Action.village_pass, comment=data.minutes, version=data.version, data={"passed": True})
    else:
        step = Step(
            Action.village_fail,
            comment=data.minutes,
            version=data.version,
            rejection_reason=data.reason,
            changes={"decision_reason": data.reason, "decided_at": now},
            data={"passed": False, "reason": data.reason},
        )
    return await engine.transition(conn, principal, case_id, step, now)


async def start_notice(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: NoticeStart, now: dt.datetime
) -> Done:
    step = Step(
        Action.start_notice,
        comment=data.comment,
        version=data.version,
        notice=data,
        changes={"notice_start": data.start_date, "notice_end": data.end_date},
        data={"start_date": data.start_date.isoformat(), "end_date": data.end_date.isoformat()},
    )
    return await engine.transition(conn, principal, case_id, step, now)


async def _objection_scope(conn: asyncpg.Connection, principal: Principal) -> tuple[str, int | None]:
    """Farmers may object to any case on notice in their own village; staff within their scope."""
    if principal.role is not Role.farmer:
        return principal.region_like, principal.household_only
    village = await conn.fetchval(queries.GET_FARMER_VILLAGE, _farmer_household(principal))
    return village, None


async def raise_objection(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: ObjectionRaise, now: dt.datetime
) -> tuple[Done, int]:
    """异议 during public notice; returns the objection id. The case cannot leave notice until it
    is resolved."""
    created: list[int] = []

    async def insert(c: asyncpg.Connection, _: asyncpg.Record) -> Mapping[str, object]:
        created.append(
            await c.fetchval(queries.INSERT_OBJECTION, case_id, principal.user_id, data.content, now)
        )
        return {"objection_id": created[0]}

    step = Step(Action.raise_objection, comment=data.content, extra=insert)
    scope = await _objection_scope(conn, principal)
    done = await engine.transition(conn, principal, case_id, step, now, scope=scope)
    return done, created[0]


async def resolve_objection(
    conn: asyncpg.Connection,
    principal: Principal,
    case_id: int,
    objection_id: int,
    data: ObjectionResolve,
    now: dt.datetime,
) -> Done:
    async def resolve(c: asyncpg.Connection, _: asyncpg.Record) -> Mapping[str, object]:
        if (
            await c.fetchval(
                queries.RESOLVE_OBJECTION, case_id, objection_id, principal.user_id, data.note, now
            )
            is None
        ):
            existing = await c.fetchrow(queries.GET_OBJECTION, case_id, objection_id)
            raise errors.ObjectionNotFound() if existing is None else errors.ObjectionAlreadyResolved()
        return {"objection_id": objection_id}

    step = Step(Action.resolve_objection, comment=data.note, extra=resolve)
    return await engine.transition(conn, principal, case_id, step, now)


async def end_notice(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: StepComment, now: dt.datetime
) -> Done:
    step = Step(Action.end_notice, comment=data.comment, version=data.version)
    return await engine.transition(conn, principal, case_id, step, now)


async def township_pass(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: StepComment, now: dt.datetime
) -> Done:
    step = Step(Action.township_pass, comment=data.comment, version=data.version)
    return await engine.transition(conn, principal, case_id, step, now)


async def approve(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: Approval, now: dt.datetime
) -> Done:
    """县级审定: the household becomes `monitoring`; the plan is due 10 working days later.
    Negative-list hits need `negative_list_confirmation` (DOMAIN §7.3). A year whose holiday
    notice is not entered yet is counted on the provisional calendar and the due date is stored
    as provisional; entering the year recounts it (`plan_dues.recount_provisional`)."""
    risk_types = [r.value for r in data.risk_types]

    async def enrol(c: asyncpg.Connection, row: asyncpg.Record) -> Mapping[str, object]:
        await c.execute(queries.SET_HOUSEHOLD_MONITORING, row["household_id"], data.monitoring_type.value)
        return {"negative_list_hits": row["negative_list_hits"]}

    # The calendar is held until commit, so a year being entered meanwhile recounts this date too.
    async with conn.transaction():
        plan_due = rules.plan_due_date(now, await load_official_calendar(conn))
        step = Step(
            Action.approve,
            comment=data.comment,
            version=data.version,
            negative_list_confirmation=data.negative_list_confirmation,
            changes={
                "monitoring_type": data.monitoring_type.value,
                "approved_risk_types": risk_types,
                "plan_due_date": plan_due.date,
                "plan_due_provisional": plan_due.provisional,
                "decided_at": now,
                "negative_list_confirmation": data.negative_list_confirmation or None,
            },
            data={
                "monitoring_type": data.monitoring_type.value,
                "risk_types": risk_types,
                "plan_due_date": plan_due.date.isoformat(),
                "plan_due_provisional": plan_due.provisional,
            },
            extra=enrol,
        )
        return await engine.transition(conn, principal, case_id, step, now)


async def reject(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: Rejection, now: dt.datetime
) -> Done:
    step = Step(
        Action.reject,
        comment=data.reason,
        version=data.version,
        rejection_reason=data.reason,
        changes={"decision_reason": data.reason, "decided_at": now},
        data={"reason": data.reason},
    )
    return await engine.transition(conn, principal, case_id, step, now)


async def return_for_material(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: ReturnForMaterial, now: dt.datetime
) -> Done:
    """退回补充: the 15-day clock keeps running; the answer sends the case back to this step."""
    step = Step(Action.return_for_material, comment=data.reason, version=data.version)
    return await engine.transition(conn, principal, case_id, step, now)


async def answer_return(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: AnswerReturn, now: dt.datetime
) -> Done:
    step = Step(
        Action.answer_return, comment=data.comment, attachments=tuple(data.photo_ids), version=data.version
    )
    return await engine.transition(conn, principal, case_id, step, now)


async def withdraw(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: Withdraw, now: dt.datetime
) -> Done:
    step = Step(Action.withdraw, comment=data.reason, version=data.version)
    return await engine.transition(conn, principal, case_id, step, now)
