"""The alert work (DOMAIN §7.2, issue 16): assigning alerts to a helper or grid officer, their
verdict on the ground (dismiss, or confirm hardship into a case) and the county's review of red
dismissals. Each step is one transaction: the alerts locked, their status moved by
`rules.find_move`, an append-only `alert_events` row each, the outbox rows; the caller enqueues
the returned notification ids after commit."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import asyncpg
import msgspec

from backend.alerts import errors, reads, rules, work_queries
from backend.alerts.service import refresh_traffic_lights
from backend.applications import service as applications
from backend.auth import Principal
from backend.calendar.rules import local_date
from backend.calendar.service import load_official_calendar
from backend.notifications.service import notify
from backend.regions.rules import region_prefix
from backend.settings import Settings
from schemas.alerts import (
    AlertAction,
    AlertAssign,
    AlertConfirm,
    AlertDismiss,
    AlertLevel,
    AlertStatus,
    Assigned,
)
from schemas.applications import CaseOpen, RiskType, Source
from schemas.base import ErrorDetail
from schemas.notifications import NotificationDraft, NotificationEvent
from schemas.registry import MonitoringStatus

ALERT_PAGE = "pages/alert/detail?id={alert_id}"


@dataclass(frozen=True)
class Done:
    alert_ids: list[int]
    notification_ids: list[int] = field(default_factory=list)  # enqueue_delivery after commit


def verify_workdays(settings: Settings) -> dict[AlertLevel, int]:
    return {AlertLevel.red: settings.alert_verify_workdays_red, AlertLevel.yellow: settings.alert_verify_workdays_yellow}


def _encode(data: Mapping[str, object]) -> str:
    return msgspec.json.encode(data).decode()


async def _lock(conn: asyncpg.Connection, principal: Principal, alert_ids: list[int]) -> list[asyncpg.Record]:
    ids = sorted(set(alert_ids))
    rows = await conn.fetch(work_queries.LOCK_ALERTS, *reads.scope(principal), ids)
    if len(rows) != len(ids):
        raise errors.AlertNotFound()
    return rows


async def _eligible_assignee(conn: asyncpg.Connection, user_id: int, villages: set[str]) -> int:
    user = await conn.fetchrow(work_queries.GET_VERIFIER, user_id)
    if user is None or user["region_code"] is None or not all(
        v.startswith(region_prefix(user["region_code"])) for v in villages
    ):
        raise errors.AssigneeNotEligible(detail=[ErrorDetail(field="assignee_user_id", reason="不是该村的核实人员")])
    return user_id


async def assign(
    conn: asyncpg.Connection, principal: Principal, data: AlertAssign, now: dt.datetime, settings: Settings
) -> tuple[Done, Assigned]:
    """Assigns (or reassigns) every alert or none: each to `assignee_user_id`, else its
    household's responsible helper, else a grid officer of its village. The verification is due
    N working days after today (per level, settings). Each assignee is told once."""
    if not any(principal.role in m.roles for m in rules.MOVES if m.action is AlertAction.assign):
        raise errors.AlertRoleMayNotAct()
    async with conn.transaction():
        rows = await _lock(conn, principal, data.alert_ids)
        for row in rows:
            rules.find_move(
                AlertStatus(row["status"]), AlertAction.assign, AlertLevel(row["level"]), principal.role,
                is_assignee=False,
            )
        chosen = None
        if data.assignee_user_id is not None:
            chosen = await _eligible_assignee(conn, data.assignee_user_id, {r["village_code"] for r in rows})
        assignees = [chosen or r["default_assignee"] for r in rows]
        missing = [r["id"] for r, a in zip(rows, assignees, strict=True) if a is None]
        if missing:
            raise errors.NoAssigneeAvailable(
                detail=[ErrorDetail(field="alert_ids", reason=f"预警 {i} 没有可分派的人员") for i in missing[:20]]
            )
        calendar = await load_official_calendar(conn)
        today = local_date(now)
        workdays = verify_workdays(settings)
        dues = {level: rules.verify_due(today, level, workdays, calendar) for level in AlertLevel}
        due = [dues[AlertLevel(r["level"])] for r in rows]
        ids = [r["id"] for r in rows]
        await conn.execute(
            work_queries.ASSIGN, ids, assignees, [d.date for d in due], [d.provisional for d in due], now
        )
        await conn.execute(
            work_queries.INSERT_EVENTS,
            ids,
            [r["status"] for r in rows],
            [AlertStatus.assigned.value] * len(rows),
            AlertAction.assign.value,
            principal.user_id,
            principal.role.value,
            now,
            data.note,
            [],
            [
                _encode({"assignee_user_id": a, "previous_assignee_user_id": r["assignee_user_id"],
                         "due_date": d.date.isoformat(), "due_provisional": d.provisional})
                for r, a, d in zip(rows, assignees, due, strict=True)
            ],
        )
        notification_ids = await _tell_assignees(conn, Counter(assignees), rows, assignees, dues)
    levels = {AlertLevel(r["level"]) for r in rows}
    assigned = Assigned(
        assigned=len(ids),
        alert_ids=ids,
        due_dates={level.value: dues[level].date for level in levels},
        due_provisional=any(dues[level].provisional for level in levels),
    )
    return Done(ids, notification_ids), assigned


async def _tell_assignees(
    conn: asyncpg.Connection,
    counts: Counter[int],
    rows: list[asyncpg.Record],
    assignees: list[int],
    dues: Mapping[AlertLevel, object],
) -> list[int]:
    ids: list[int] = []
    for user_id, count in sorted(counts.items()):
        red = sum(1 for r, a in zip(rows, assignees, strict=True) if a == user_id and r["level"] == "red")
        first = next(r["id"] for r, a in zip(rows, assignees, strict=True) if a == user_id)
        body = f"请在期限内入户核实：{count} 条（红色 {red} 条，{_due_text(dues, red, count)}）"
        draft = NotificationDraft(
            event=NotificationEvent.alert_assigned,
            title="您有新分派的预警待核实",
            body=body,
            page=ALERT_PAGE.format(alert_id=first) if count == 1 else "pages/alert/index",
            data={"alerts": str(count), "red": str(red)},
        )
        ids += await notify(conn, [user_id], draft)
    return ids


def _due_text(dues: Mapping[AlertLevel, object], red: int, count: int) -> str:
    parts = []
    if red:
        parts.append(f"红色 {dues[AlertLevel.red].date:%m月%d日}前")  # type: ignore[attr-defined]
    if count > red:
        parts.append(f"黄色 {dues[AlertLevel.yellow].date:%m月%d日}前")  # type: ignore[attr-defined]
    return "，".join(parts)


# ---- one alert's steps ----


@dataclass(frozen=True)
class _Change:
    status: AlertStatus
    due: object = None  # CountedDate for a reopen
    reason: str | None = None
    note: str | None = None
    verified: bool = False
    application_id: int | None = None
    attached_for_visit: bool = False
    data: Mapping[str, object] = field(default_factory=dict)
    notification_ids: tuple[int, ...] = ()


async def _step(
    conn: asyncpg.Connection,
    principal: Principal,
    alert_id: int,
    action: AlertAction,
    now: dt.datetime,
    *,
    note: str,
    photo_ids: list[int],
    decide,  # async (row, next_status) -> _Change
) -> Done:
    async with conn.transaction():
        (row,) = await _lock(conn, principal, [alert_id])
        status = AlertStatus(row["status"])
        move = rules.find_move(
            status, action, AlertLevel(row["level"]), principal.role,
            is_assignee=row["assignee_user_id"] == principal.user_id,
        )
        if photo_ids:
            found = await conn.fetchval(work_queries.COUNT_ALERT_PHOTOS, alert_id, list(set(photo_ids)))
            if found != len(set(photo_ids)):
                raise errors.PhotoNotOnAlert()
        change: _Change = await decide(row, move.next_state)
        due = change.due
        await conn.execute(
            work_queries.UPDATE_ALERT,
            alert_id,
            change.status.value,
            due.date if due is not None else None,  # type: ignore[attr-defined]
            due.provisional if due is not None else None,  # type: ignore[attr-defined]
            change.reason,
            change.note,
            now if change.verified else None,
            now if change.status in rules.CLOSING else None,
            change.application_id,
            change.attached_for_visit,
        )
        await conn.execute(
            work_queries.INSERT_EVENTS, [alert_id], [status.value], [change.status.value], action.value,
            principal.user_id, principal.role.value, now, note, sorted(set(photo_ids)), [_encode(change.data)],
        )
        if change.status in rules.CLOSING:
            await refresh_traffic_lights(conn, [row["household_id"]])
        ids = list(change.notification_ids)
        if change.status is AlertStatus.dismissal_proposed:
            ids += await _tell_county(conn, row["village_code"])
    return Done([alert_id], ids)


async def _tell_county(conn: asyncpg.Connection, village_code: str) -> list[int]:
    """A summary to the county staff over the village: how many red dismissals wait for them."""
    ids: list[int] = []
    for user in await conn.fetch(work_queries.COUNTY_WAITING, village_code):
        draft = NotificationDraft(
            event=NotificationEvent.alert_dismissal_waiting,
            title="红色预警排除待县级确认",
            body=f"共有 {user['waiting']} 条红色预警的排除意见等待您确认或退回。",
            data={"waiting": str(user["waiting"])},
        )
        ids += await notify(conn, [user["user_id"]], draft)
    return ids


async def dismiss(conn: asyncpg.Connection, principal: Principal, alert_id: int, data: AlertDismiss, now: dt.datetime) -> Done:
    """The assignee dismisses the alert with a reason: a yellow one closes, a red one waits for
    the county (dismissal_proposed)."""

    async def decide(row: asyncpg.Record, to: AlertStatus) -> _Change:
        figures = {"reason": data.reason.value, "figures": data.figures}
        return _Change(to, reason=data.reason.value, note=data.note, verified=True, data=figures)

    return await _step(
        conn, principal, alert_id, AlertAction.dismiss, now, note=data.note, photo_ids=data.photo_ids, decide=decide
    )


async def review_dismissal(
    conn: asyncpg.Connection, principal: Principal, alert_id: int, action: AlertAction, note: str,
    now: dt.datetime, settings: Settings,
) -> Done:
    """The county confirms a proposed red dismissal (closed) or reopens it to the same helper,
    with a fresh deadline counted from today."""

    async def decide(row: asyncpg.Record, to: AlertStatus) -> _Change:
        if to is not AlertStatus.reopened:
            return _Change(to)
        calendar = await load_official_calendar(conn)
        due = rules.verify_due(local_date(now), AlertLevel(row["level"]), verify_workdays(settings), calendar)
        draft = NotificationDraft(
            event=NotificationEvent.alert_assigned,
            title="预警被退回重新核实",
            body=f"县里退回了您的排除意见：{note or '请重新核实'}。请在{due.date:%m月%d日}前完成。",
            page=ALERT_PAGE.format(alert_id=alert_id),
            data={"alert_id": str(alert_id)},
        )
        ids = await notify(conn, [row["assignee_user_id"]], draft)
        return _Change(to, due=due, data={"due_date": due.date.isoformat()}, notification_ids=tuple(ids))

    return await _step(conn, principal, alert_id, action, now, note=note, photo_ids=[], decide=decide)


async def confirm(conn: asyncpg.Connection, principal: Principal, alert_id: int, data: AlertConfirm, now: dt.datetime) -> Done:
    """The assignee confirms hardship. A household with a case in progress: the alert joins that
    case. An already monitored household: the alert is attached to it for the helper's next visit.
    Otherwise a case is opened through the workflow (source department_alert) with the alert."""

    async def decide(row: asyncpg.Record, to: AlertStatus) -> _Change:
        figures = {"figures": data.figures}
        case_id = await conn.fetchval(work_queries.GET_CASE_IN_PROGRESS, row["household_id"])
        if case_id is not None:
            return _Change(to, note=data.note, verified=True, application_id=case_id,
                           data={**figures, "outcome": "case_attached", "application_id": case_id})
        if row["monitoring_status"] == MonitoringStatus.monitoring:
            return _Change(to, note=data.note, verified=True, attached_for_visit=True,
                           data={**figures, "outcome": "attached_for_visit"})
        opened = await applications.open_case(
            conn,
            principal,
            CaseOpen(
                household_id=row["household_id"],
                risk_types=data.risk_types or [RiskType(row["risk_type"])],
                narrative=f"部门预警核实属实：{row['why']}。{data.note}"[:2000],
                declared_income_fen=data.declared_income_fen,
                declared_rigid_expense_fen=data.declared_rigid_expense_fen,
            ),
            now,
            source=Source.department_alert,
        )
        return _Change(to, note=data.note, verified=True, application_id=opened.application_id,
                       data={**figures, "outcome": "case_opened", "application_id": opened.application_id},
                       notification_ids=tuple(opened.notification_ids))

    return await _step(
        conn, principal, alert_id, AlertAction.confirm, now, note=data.note, photo_ids=data.photo_ids, decide=decide
    )


async def seen_at_visit(
    conn: asyncpg.Connection, principal: Principal, household_id: int, visit_id: int, now: dt.datetime
) -> None:
    """The household's alerts kept for the next visit were seen at this one (in its transaction)."""
    await conn.execute(work_queries.SEEN_AT_VISIT, household_id, visit_id, principal.user_id, principal.role.value, now)


# ---- the daily reminder ----


async def remind_overdue(conn: asyncpg.Connection, now: dt.datetime) -> list[int]:
    """One notification per assignee listing their overdue alerts, at most once per local day
    (a second run the same day sends nothing). Returns the notification ids to enqueue."""
    today = local_date(now)
    ids: list[int] = []
    async with conn.transaction():
        for due in await conn.fetch(work_queries.CLAIM_REMINDERS, today):
            shown = "、".join(str(i) for i in due["alert_ids"][:5])
            more = "等" if due["overdue"] > 5 else ""
            draft = NotificationDraft(
                event=NotificationEvent.alert_overdue,
                title="您有预警已超过核实期限",
                body=(
                    f"{due['overdue']} 条预警已逾期未核实（红色 {due['red']} 条，最早期限 {due['oldest']:%m月%d日}），"
                    f"编号 {shown}{more}，请尽快入户核实。"
                ),
                page="pages/alert/index?overdue=true",
                data={"overdue": str(due["overdue"]), "red": str(due["red"])},
            )
            (notification_id,) = await notify(conn, [due["user_id"]], draft)
            await conn.execute(work_queries.SET_REMINDER_NOTIFICATION, due["user_id"], today, notification_id)
            ids.append(notification_id)
    return ids
