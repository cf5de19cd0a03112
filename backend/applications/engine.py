"""The workflow engine, generic over the case kind: one transition = one transaction holding the
case row (locked, version bumped), one append-only event and the outbox rows for the people
concerned. The moves, guards and recipients come from `rules`; callers supply the step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import asyncpg

from backend.applications import errors, queries, rules, texts
from backend.auth import Principal
from backend.calendar.rules import CountedDate, local_date
from backend.notifications.service import notify
from schemas.applications import Action, CaseKind, CaseState, NoticeStart, Source
from schemas.notifications import NotificationDraft

# Extra writes a step makes inside the transition's transaction; returns data for the event.
Extra = Callable[[asyncpg.Connection, asyncpg.Record], Awaitable[Mapping[str, object]]]


@dataclass(frozen=True)
class Step:
    """One attempted action with everything it records."""

    action: Action
    comment: str = ""
    attachments: tuple[int, ...] = ()
    changes: Mapping[str, object] = field(default_factory=dict)  # case columns besides state
    data: Mapping[str, object] = field(default_factory=dict)  # event figures
    version: int | None = None  # what the actor saw; a different current version → 409
    notice: NoticeStart | None = None
    negative_list_confirmation: str = ""
    rejection_reason: str = ""
    extra: Extra | None = None


@dataclass(frozen=True)
class Done:
    application_id: int
    state: CaseState
    notification_ids: list[int]  # enqueue_delivery after commit


def _facts(row: asyncpg.Record) -> rules.CaseFacts:
    return rules.CaseFacts(
        kind=CaseKind(row["kind"]),
        state=CaseState(row["state"]),
        assignee_user_id=row["assignee_user_id"],
        returned_from=CaseState(row["returned_from"]) if row["returned_from"] else None,
        notice_start=row["notice_start"],
        notice_end=row["notice_end"],
        open_objections=row["open_objections"],
        negative_list_hits=row["negative_list_hits"],
    )


async def transition(
    conn: asyncpg.Connection,
    principal: Principal,
    case_id: int,
    step: Step,
    now: dt.datetime,
    *,
    scope: tuple[str, int | None] | None = None,
) -> Done:
    """Apply `step` to the case or change nothing. Out of scope → 404, a role that may not act →
    403, a move the table or a guard refuses → 409 naming the rule."""
    like, only = scope or (principal.region_like, principal.household_only)
    async with conn.transaction():
        row = await conn.fetchrow(queries.LOCK_CASE, case_id, like, only)
        if row is None:
            raise errors.ApplicationNotFound()
        facts = _facts(row)
        move = rules.find_move(facts.kind, facts.state, step.action, principal.role)
        if step.version is not None and step.version != row["version"]:
            raise errors.StaleVersion()
        attempt = rules.Attempt(
            actor=principal,
            action=step.action,
            today=local_date(now),
            notice=step.notice,
            negative_list_confirmation=step.negative_list_confirmation,
            rejection_reason=step.rejection_reason,
        )
        to_state = rules.check(move, facts, attempt)
        await check_attachments(conn, case_id, step.attachments)
        returned_from = facts.state if to_state is CaseState.returned else None
        columns = list(step.changes)
        try:
            version = await conn.fetchval(
                queries.update_case(columns),
                case_id,
                row["version"],
                to_state.value,
                returned_from.value if returned_from else None,
                *(step.changes[c] for c in columns),
            )
        except asyncpg.UniqueViolationError:
            raise errors.OpenApplicationExists() from None
        if version is None:  # unreachable while the row is locked; kept as the version contract
            raise errors.StaleVersion()
        data = dict(step.data)
        if step.extra is not None:
            data.update(await step.extra(conn, row))
        await record_event(conn, principal, case_id, step, facts.state, to_state, now, data)
        ids = await notify_for(conn, principal, {**dict(row), **step.changes}, step, to_state)
    return Done(case_id, to_state, ids)


async def open_case(
    conn: asyncpg.Connection,
    principal: Principal,
    household: asyncpg.Record,
    source: Source | None,
    step: Step,
    now: dt.datetime,
    *,
    kind: CaseKind = CaseKind.identification,
    facts: rules.CaseFacts | None = None,
) -> Done:
    """Open a case for a household already checked to be in scope: cadre screening and department
    alerts into verification, a helper's risk-elimination proposal into village review. `facts`
    are what the opening move's guards look at."""
    move = rules.opening_move(kind, source, principal.role)
    to_state = rules.check(
        move, facts or rules.CaseFacts(kind=kind, state=None), rules.Attempt(principal, step.action, local_date(now))
    )
    assignee = principal.user_id if principal.role in rules.VERIFIERS else household["helper_user_id"]
    changes = step.changes
    async with conn.transaction():
        try:
            case_id = await conn.fetchval(
                queries.INSERT_CASE,
                kind.value,
                household["id"],
                source.value if source else None,
                to_state.value,
                principal.user_id,
                assignee,
                changes.get("risk_types", []),
                changes.get("narrative", ""),
                changes.get("declared_income_fen"),
                changes.get("declared_rigid_expense_fen"),
                now,
            )
        except asyncpg.UniqueViolationError:
            raise errors.OpenApplicationExists("这户已有一份正在办理的申请，请在原申请上继续办理") from None
        others = [c for c in changes if c not in queries.INSERTED_COLUMNS]
        if others:
            await conn.execute(queries.fill_case(others), case_id, *(changes[c] for c in others))
        data = {**step.data, "source": source.value} if source else dict(step.data)
        await record_event(conn, principal, case_id, step, None, to_state, now, data)
        row = {
            "id": case_id,
            "kind": kind.value,
            "household_id": household["id"],
            "village_code": household["village_code"],
            "assignee_user_id": assignee,
            "helper_user_id": household["helper_user_id"],
        }
        ids = await notify_for(conn, principal, {**dict(row), **step.changes}, step, to_state)
    return Done(case_id, to_state, ids)


async def record_event(
    conn: asyncpg.Connection,
    principal: Principal,
    case_id: int,
    step: Step,
    from_state: CaseState | None,
    to_state: CaseState,
    now: dt.datetime,
    data: Mapping[str, object],
) -> None:
    await conn.execute(
        queries.INSERT_EVENT,
        case_id,
        step.action.value,
        from_state.value if from_state else None,
        to_state.value,
        principal.user_id,
        principal.role.value,
        now,
        step.comment,
        list(step.attachments),
        dict(data),
    )


async def check_attachments(conn: asyncpg.Connection, case_id: int, photo_ids: tuple[int, ...]) -> None:
    """Every attached photo was uploaded for this case (photos with owner kind `application`)."""
    if not photo_ids:
        return
    found = await conn.fetchval(queries.COUNT_CASE_PHOTOS, case_id, list(set(photo_ids)))
    if found != len(set(photo_ids)):
        raise errors.PhotoNotOnApplication()


async def notify_for(
    conn: asyncpg.Connection, principal: Principal, row: Mapping[str, object], step: Step, to_state: CaseState
) -> list[int]:
    """Outbox rows for everyone `rules.NOTIFY_BY_KIND` names for this action. Staff are not told of their
    own step; the household always is (a farmer's own submit gets its 已受理 receipt)."""
    ids: list[int] = []
    kind = CaseKind(row["kind"])
    for audience, event in rules.NOTIFY_BY_KIND[kind].get(step.action, ()):
        users = set(await _audience(conn, audience, row, to_state))
        if audience != rules.Audience.farmer:
            users.discard(principal.user_id)
        title, body = texts.notification(
            event,
            step.action,
            to_state,
            reason=step.comment or step.rejection_reason,
            due=_due_for(step, to_state),
            kind=kind,
        )
        draft = NotificationDraft(
            event=event,
            title=title,
            body=body,
            page=f"/pages/application/detail?id={row['id']}" if audience == rules.Audience.farmer else None,
            data={"application_id": str(row["id"]), "state": to_state.value, "action": step.action.value},
        )
        ids += await notify(conn, users, draft)
    return ids


def _due_for(step: Step, to_state: CaseState) -> CountedDate | None:
    if to_state is CaseState.in_notice and step.notice is not None:
        return CountedDate(step.notice.end_date)
    due = step.changes.get("plan_due_date")
    if not isinstance(due, dt.date):
        return None
    return CountedDate(due, provisional=bool(step.changes.get("plan_due_provisional")))


async def _audience(
    conn: asyncpg.Connection, audience: str, row: Mapping[str, object], to_state: CaseState
) -> list[int]:
    assignee = row["assignee_user_id"] or row["helper_user_id"]
    if audience == rules.Audience.farmer:
        return [r["id"] for r in await conn.fetch(queries.FARMER_USERS, row["household_id"])]
    if audience == rules.Audience.helper:
        return [assignee] if isinstance(assignee, int) else []
    # Whose turn it is: a verifier's step goes to the assigned helper when there is one.
    roles = rules.WAITING_FOR.get(to_state, frozenset())
    if roles == rules.VERIFIERS and row["assignee_user_id"]:
        return [row["assignee_user_id"]]  # type: ignore[list-item]
    staff = await conn.fetch(
        queries.STAFF_COVERING_VILLAGE, sorted(r.value for r in roles), row["village_code"]
    )
    return [r["id"] for r in staff]
