"""Risk elimination (DOMAIN §5 step 10) on the workflow engine: the helper's proposal, the county's
decision that the household leaves monitoring, and the daily candidates list. The review steps in
between are the identification steps (backend/applications/service.py): the engine picks the
case kind's table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import asyncpg

from backend.applications import elimination, engine, errors, rules
from backend.applications import queries as case_queries
from backend.applications.engine import Done, Step
from backend.auth import Principal
from backend.calendar.rules import local_date
from backend.db import custom_plans, rows_to
from backend.elimination import queries
from backend.notifications.service import notify
from schemas.applications import Action, CaseKind, StepComment
from schemas.base import PageMeta, Role
from schemas.elimination import (
    EliminationCandidate,
    EliminationCandidatePage,
    EliminationProposal,
)
from schemas.notifications import NotificationDraft, NotificationEvent
from schemas.registry import MonitoringStatus

KIND = CaseKind.risk_elimination
# Who reads the candidates list: the helper their own households, township and county their scope.
CANDIDATE_READERS = frozenset({Role.helper, Role.township, Role.county})


async def propose(
    conn: asyncpg.Connection, principal: Principal, data: EliminationProposal, now: dt.datetime, months: int
) -> Done:
    """The household's responsible helper proposes its risk elimination; refused before the
    household has been monitored `months` months (the message names the first possible date)."""
    rules.opening_move(KIND, None, principal.role)  # 403 before any lookup
    household = await conn.fetchrow(
        case_queries.GET_HOUSEHOLD_FOR_CASE, data.household_id, principal.region_like, principal.household_only
    )
    if household is None:
        raise errors.HouseholdNotFound()
    since = await conn.fetchval(queries.GET_MONITORED_SINCE, household["id"])
    facts = rules.CaseFacts(
        kind=KIND,
        state=None,
        household_monitored=household["monitoring_status"] == MonitoringStatus.monitoring,
        household_helper_user_id=household["helper_user_id"],
        eligible_from=elimination.eligible_from(local_date(since), months) if since else None,
    )
    per_capita = (data.net_income_fen - data.rigid_expense_fen) // data.member_count
    line = await conn.fetchval(queries.GET_MONITORING_LINE, household["village_code"], local_date(now).year)
    step = Step(
        Action.propose_elimination,
        comment=data.note,
        changes={
            "narrative": data.note,
            "member_count": data.member_count,
            "verified_income_fen": data.net_income_fen,
            "verified_rigid_expense_fen": data.rigid_expense_fen,
            "verified_at": now,
            "verified_by": principal.user_id,
        },
        data={
            "member_count": data.member_count,
            "net_income_fen": data.net_income_fen,
            "rigid_expense_fen": data.rigid_expense_fen,
            "per_capita_fen": per_capita,
            "monitoring_line_fen": line,
            "monitored_since": local_date(since).isoformat() if since else None,
        },
    )
    async with conn.transaction():
        done = await engine.open_case(conn, principal, household, None, step, now, kind=KIND, facts=facts)
        await conn.execute(queries.DELETE_CANDIDATE, household["id"])
    return done


async def approve(
    conn: asyncpg.Connection, principal: Principal, case_id: int, data: StepComment, now: dt.datetime
) -> Done:
    """县级审定 of a risk elimination: the household becomes `risk_eliminated` (its monitoring type
    cleared: the enrolling case keeps it) and the farmer is told. A new identification case may
    enrol it again later."""

    async def leave_monitoring(c: asyncpg.Connection, row: asyncpg.Record) -> Mapping[str, object]:
        await c.execute(queries.SET_HOUSEHOLD_ELIMINATED, row["household_id"])
        await c.execute(queries.DELETE_CANDIDATE, row["household_id"])
        return {"monitoring_status": MonitoringStatus.risk_eliminated.value}

    step = Step(
        Action.approve_elimination,
        comment=data.comment,
        version=data.version,
        changes={"decided_at": now},
        extra=leave_monitoring,
    )
    return await engine.transition(conn, principal, case_id, step, now)


# ---- the daily candidates list ----


async def refresh_candidates(conn: asyncpg.Connection, now: dt.datetime, months: int) -> tuple[int, list[int]]:
    """Rebuild the candidates list as of `now` and tell each helper once about households newly on
    it (inbox). Returns (households listed, notification ids to enqueue). Safe to run twice."""
    async with conn.transaction():
        await conn.execute(queries.LOCK_REFRESH)
        listed = await conn.fetch(queries.REFRESH_CANDIDATES, local_date(now), months, now)
        ids: list[int] = []
        for row in await conn.fetch(queries.MARK_NOTIFIED, now):
            draft = NotificationDraft(
                event=NotificationEvent.elimination_candidates,
                title="可考虑风险消除",
                body=f"有{row['households']}户最近走访收入稳定超过监测标准、两不愁三保障和饮水安全均无问题，"
                "请核实后决定是否提出风险消除。",
                page="/pages/elimination/candidates",
                data={"households": str(row["households"])},
            )
            ids += await notify(conn, [row["helper_user_id"]], draft)
    return len(listed), ids


async def list_candidates(
    conn: asyncpg.Connection, principal: Principal, *, page: int = 1, page_size: int = 50
) -> EliminationCandidatePage:
    """The households on the latest list: a helper's own, or all in a township's or county's scope."""
    if principal.role not in CANDIDATE_READERS:
        raise errors.RoleMayNotAct()
    only_mine = principal.user_id if principal.role is Role.helper else None
    async with custom_plans(conn):
        rows = await conn.fetch(
            queries.LIST_CANDIDATES,
            principal.region_like,
            principal.household_only,
            only_mine,
            page_size,
            (page - 1) * page_size,
        )
    items = rows_to([{k: v for k, v in r.items() if k != "total"} for r in rows], EliminationCandidate)
    total = rows[0]["total"] if rows else 0
    return EliminationCandidatePage(items=items, meta=PageMeta(total=total, page=page, page_size=page_size))
