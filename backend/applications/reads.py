"""Reading cases: the case with its timeline and next step, scoped lists, task lists, the village
notice board. Staff see objections and negative-list hits; a farmer sees their own case in plain
Chinese, without the staff's internal notes."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from backend.applications import errors, queries, rules, texts
from backend.auth import Principal
from backend.calendar.rules import CountedDate
from backend.db import custom_plans, rows_to
from schemas.applications import (
    Action,
    Application,
    ApplicationPage,
    ApplicationSummary,
    CaseKind,
    CaseState,
    NegativeListHit,
    NegativeListKind,
    NoticeItem,
    Objection,
    TaskList,
    TimelineEntry,
)
from schemas.base import PageMeta, Role


def _timeline(events: list[asyncpg.Record], *, for_farmer: bool) -> list[TimelineEntry]:
    entries = []
    for e in events:
        action, role = Action(e["action"]), Role(e["actor_role"])
        show_comment = not for_farmer or action in texts.FARMER_VISIBLE_COMMENTS
        entries.append(
            TimelineEntry(
                id=e["id"],
                at=e["at"],
                action=action,
                text=texts.describe(action, role, e["data"]),
                actor=texts.ROLE_LABELS.get(role, "工作人员"),
                comment=e["comment"] if show_comment else "",
                attachments=list(e["attachments"]),
            )
        )
    return entries


async def negative_list_hits(conn: asyncpg.Connection, household_id: int) -> list[NegativeListHit]:
    """Negative-list entries (DOMAIN §7.3) matching any member of the household, from what is loaded."""
    rows = await conn.fetch(queries.NEGATIVE_LIST_HITS, household_id)
    return [
        NegativeListHit(
            **{
                k: r[k]
                for k in (
                    "person_id",
                    "person_name",
                    "id_number_masked",
                    "source_department",
                    "evidence",
                    "loaded_at",
                )
            },
            kind=NegativeListKind(r["kind"]),
            kind_label=texts.NEGATIVE_KIND_LABELS[NegativeListKind(r["kind"])],
        )
        for r in rows
    ]


async def get_application(
    conn: asyncpg.Connection, principal: Principal, case_id: int, now: dt.datetime
) -> Application:
    """The case in the caller's scope (else ApplicationNotFound) with timeline and next step."""
    row = await conn.fetchrow(queries.GET_CASE, case_id, principal.region_like, principal.household_only)
    if row is None:
        raise errors.ApplicationNotFound()
    for_farmer = principal.role is Role.farmer
    state, kind = CaseState(row["state"]), CaseKind(row["kind"])
    events = await conn.fetch(queries.LIST_EVENTS, case_id)
    return_reason = None
    if state is CaseState.returned:
        return_reason = await conn.fetchval(queries.LAST_RETURN_REASON, case_id)
    fields = {k: v for k, v in dict(row).items() if v is not None}
    if for_farmer:
        for staff_only in ("assignee_user_id", "verification_findings"):
            fields.pop(staff_only, None)
    else:
        objections = await conn.fetch(queries.LIST_OBJECTIONS, case_id)
        fields["objections"] = rows_to(objections, Objection)
        fields["negative_list_hits"] = await negative_list_hits(conn, row["household_id"])
    if state not in rules.RUNNING_STATES:
        fields.pop("deadline_date", None)
    view = msgspec.convert(
        {
            **fields,
            "state_label": texts.state_label(kind, state),
            "overdue": rules.is_overdue(state, row["discovered_at"], now, kind),
            "timeline": [],
        },
        Application,
    )
    return msgspec.structs.replace(
        view,
        timeline=_timeline(events, for_farmer=for_farmer),
        next_step=texts.next_step(
            state,
            deadline=view.deadline_date,
            notice_end=view.notice_end,
            plan_due=CountedDate(view.plan_due_date, view.plan_due_provisional)
            if view.plan_due_date
            else None,
            return_reason=return_reason,
            kind=kind,
        ),
    )


def _summaries(rows: list[asyncpg.Record]) -> list[ApplicationSummary]:
    return [
        msgspec.convert(
            {
                **{k: v for k, v in r.items() if v is not None and k != "total"},
                "state_label": texts.state_label(CaseKind(r["kind"]), CaseState(r["state"])),
            },
            ApplicationSummary,
        )
        for r in rows
    ]


async def list_applications(
    conn: asyncpg.Connection,
    principal: Principal,
    now: dt.datetime,
    *,
    state: CaseState | None = None,
    overdue: bool | None = None,
    page: int = 1,
    page_size: int = 20,
) -> ApplicationPage:
    """Cases in scope (drafts never), soonest deadline first, each flagged when past 15 days."""
    async with custom_plans(conn):
        rows = await conn.fetch(
            queries.LIST_CASES,
            principal.region_like,
            principal.household_only,
            now,
            state.value if state else None,
            overdue,
            page_size,
            (page - 1) * page_size,
        )
    total = rows[0]["total"] if rows else 0
    return ApplicationPage(items=_summaries(rows), meta=PageMeta(total=total, page=page, page_size=page_size))


async def list_tasks(
    conn: asyncpg.Connection, principal: Principal, now: dt.datetime, *, page: int = 1, page_size: int = 50
) -> TaskList:
    """The cases waiting for the caller's role inside their scope, soonest deadline first; the
    counts cover the whole list."""
    states = sorted(s.value for s, roles in rules.WAITING_FOR.items() if principal.role in roles)
    only_mine = principal.user_id if principal.role in rules.VERIFIERS else None
    scope = (principal.region_like, principal.household_only, now, states, only_mine)
    async with custom_plans(conn):
        rows = await conn.fetch(queries.LIST_TASKS, *scope, page_size, (page - 1) * page_size)
        counts = await conn.fetch(queries.COUNT_TASKS, *scope)
    return TaskList(
        items=_summaries(rows),
        total=sum(c["waiting"] for c in counts),
        overdue=sum(c["overdue"] for c in counts),
        by_state={c["state"]: c["waiting"] for c in counts},
    )


async def list_household_applications(
    conn: asyncpg.Connection, principal: Principal, now: dt.datetime
) -> list[ApplicationSummary]:
    """A farmer's own cases, newest first (drafts included)."""
    return _summaries(await conn.fetch(queries.LIST_HOUSEHOLD_CASES, principal.household_only or -1, now))


async def list_village_notices(conn: asyncpg.Connection, principal: Principal) -> list[NoticeItem]:
    """The public notices (公示) in the farmer's village."""
    village = await conn.fetchval(queries.GET_FARMER_VILLAGE, principal.household_only or -1)
    if village is None:
        return []
    return rows_to(await conn.fetch(queries.LIST_NOTICES, village), NoticeItem)
