"""Home visits: recording one (and the rectification items its problems open, in the same
transaction), reading visits with the reviewer's flags, the helper's to-visit list and the daily
reminder. Flags are computed on read (docs/visits.md says why)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import asyncpg
import msgspec

from backend.alerts import work as alert_work
from backend.auth import Principal
from backend.calendar.rules import local_date
from backend.db import BULK_TRANSACTION, custom_plans, rows_to
from backend.notifications.service import notify
from backend.settings import Settings
from backend.visits import errors, queries, rules
from schemas.base import ErrorDetail, PageMeta, Role
from schemas.notifications import NotificationDraft, NotificationEvent
from schemas.visits import (
    CadenceStatus,
    Checklist,
    ToVisit,
    ToVisitList,
    Visit,
    VisitCreate,
    VisitLocation,
    VisitPage,
)

VISITS_PAGE = "pages/visit/index"


@dataclass(frozen=True)
class Recorded:
    visit_id: int
    rectification_ids: list[int] = field(default_factory=list)


def visit_scope(principal: Principal) -> tuple[str, int | None]:
    """($1, $2) of queries.VISIT_SCOPE: a helper sees their own visits and their households'
    wherever these are; everyone else the region."""
    if principal.role is Role.helper:
        return "%", principal.user_id
    return principal.region_like, None


def flag_limits(settings: Settings) -> rules.FlagLimits:
    return rules.FlagLimits(settings.visit_radius_m, settings.visit_max_accuracy_m, settings.visit_photo_max_age_days)


def _check_input(data: VisitCreate, now: dt.datetime) -> None:
    problem = rules.visited_at_problem(data.visited_at, now)
    if problem == "future":
        raise errors.VisitTimeInFuture(detail=[ErrorDetail(field="visited_at", reason="晚于现在")])
    if problem == "too_old":
        raise errors.VisitTimeTooOld(detail=[ErrorDetail(field="visited_at", reason="早于一个月前")])
    silent = [item for item, note in rules.problems(data.checklist) if not note.strip()]
    if silent:
        raise errors.ProblemNeedsNote(
            detail=[ErrorDetail(field=f"checklist.{item.value}.note", reason="请写明发现的问题") for item in silent]
        )


async def record_visit(conn: asyncpg.Connection, principal: Principal, data: VisitCreate, now: dt.datetime) -> Recorded:
    """Records the visit as stated, with the server's receive time, whatever evidence it carries
    or lacks; each checklist problem opens a rectification item owned by the household's helper
    (an item of that kind still open is not opened twice). Only the household's helper or a grid
    officer of its village may record."""
    _check_input(data, now)
    async with conn.transaction():
        like = "%" if principal.role is Role.helper else principal.region_like
        household = await conn.fetchrow(queries.GET_HOUSEHOLD_FOR_VISIT, data.household_id, like)
        if household is None:
            raise errors.HouseholdNotFound()
        if principal.role is Role.helper and household["helper_user_id"] != principal.user_id:
            if principal.covers_region(household["village_code"]):
                raise errors.NotResponsibleHelper()
            raise errors.HouseholdNotFound()
        where = data.location
        visit_id = await conn.fetchval(
            queries.INSERT_VISIT,
            data.household_id,
            principal.user_id,
            data.visited_at,
            now,
            {item.value: {"ok": r.ok, "note": r.note}
             for item in rules.CHECKLIST_ITEMS for r in [getattr(data.checklist, item.value)]},
            data.member_count,
            data.net_income_fen,
            data.rigid_expense_fen,
            data.note,
            where.latitude if where else None,
            where.longitude if where else None,
            where.accuracy_m if where else None,
            where.mock if where else None,
        )
        await alert_work.seen_at_visit(conn, principal, data.household_id, visit_id, now)
        found = rules.problems(data.checklist)
        opened: list[int] = []
        if found:
            opened = [r["id"] for r in await conn.fetch(
                queries.OPEN_RECTIFICATIONS,
                data.household_id,
                visit_id,
                [item.value for item, _ in found],
                [note for _, note in found],
                local_date(data.visited_at),
                household["helper_user_id"] or principal.user_id,
            )]
    return Recorded(visit_id, opened)


def _evidence(rows: list[asyncpg.Record]) -> dict[int, list[rules.PhotoEvidence]]:
    by_visit: dict[int, list[rules.PhotoEvidence]] = defaultdict(list)
    for r in rows:
        by_visit[r["visit_id"]].append(
            rules.PhotoEvidence(r["photo_id"], r["taken_at"], r["latitude"], r["longitude"], r["reused_of"])
        )
    return by_visit


def _visit(row: asyncpg.Record, evidence: list[rules.PhotoEvidence], limits: rules.FlagLimits | None) -> Visit:
    location = None
    if row["latitude"] is not None:
        accuracy = row["accuracy_m"]
        location = VisitLocation(
            latitude=row["latitude"],
            longitude=row["longitude"],
            accuracy_m=round(accuracy, 1) if accuracy is not None else None,
            mock=row["location_mock"],
        )
    home = (row["home_latitude"], row["home_longitude"]) if row["home_latitude"] is not None else None
    return Visit(
        id=row["id"],
        household_id=row["household_id"],
        household_no=row["household_no"],
        village_code=row["village_code"],
        village_name=row["village_name"],
        visitor_user_id=row["visitor_user_id"],
        visitor_name=row["visitor_name"],
        visited_at=row["visited_at"],
        received_at=row["received_at"],
        checklist=msgspec.convert(row["checklist"], Checklist),
        note=row["note"],
        member_count=row["member_count"],
        net_income_fen=row["net_income_fen"],
        rigid_expense_fen=row["rigid_expense_fen"],
        location=location,
        photo_ids=list(row["photo_ids"]),
        rectification_ids=list(row["rectification_ids"]),
        flags=rules.visit_flags(row["visited_at"], location, home, evidence, limits) if limits else [],
    )


def _limits_for(principal: Principal, settings: Settings) -> rules.FlagLimits | None:
    """Flags are for the reviewers; the visitor's own screen shows the record."""
    return flag_limits(settings) if principal.role in rules.FLAG_READERS else None


async def get_visit(conn: asyncpg.Connection, principal: Principal, settings: Settings, visit_id: int) -> Visit:
    """The visit with its photos and, for reviewers, its flags as of now; VisitNotFound outside scope."""
    row = await conn.fetchrow(queries.GET_VISIT, *visit_scope(principal), visit_id)
    if row is None:
        raise errors.VisitNotFound()
    evidence = _evidence(await conn.fetch(queries.LIST_PHOTO_EVIDENCE, [visit_id]))
    return _visit(row, evidence[visit_id], _limits_for(principal, settings))


async def list_visits(
    conn: asyncpg.Connection,
    principal: Principal,
    settings: Settings,
    *,
    household_id: int | None,
    village_like: str | None,
    page: int,
    page_size: int,
) -> VisitPage:
    """Newest first, in the caller's scope, each with its flags for reviewers."""
    async with custom_plans(conn):
        rows = await conn.fetch(
            queries.LIST_VISITS, *visit_scope(principal), household_id, village_like, page_size, (page - 1) * page_size
        )
    evidence = _evidence(await conn.fetch(queries.LIST_PHOTO_EVIDENCE, [r["id"] for r in rows]))
    limits = _limits_for(principal, settings)
    return VisitPage(
        items=[_visit(r, evidence[r["id"]], limits) for r in rows],
        meta=PageMeta(total=rows[0]["total"] if rows else 0, page=page, page_size=page_size),
    )


# ---- the helper's list and the daily reminder ----


async def list_to_visit(conn: asyncpg.Connection, principal: Principal, now: dt.datetime, *, everything: bool) -> ToVisitList:
    """The caller's households (as their responsible helper) with a visit due or overdue, no plan
    or an open rectification item, overdue first; `everything` lists all of them."""
    periods = rules.periods_on(local_date(now))
    rows = rows_to(await conn.fetch(queries.LIST_TO_VISIT, *periods.params(), principal.user_id, everything), ToVisit)
    return ToVisitList(
        items=rows,
        due=sum(r.status is CadenceStatus.due for r in rows),
        overdue=sum(r.status is CadenceStatus.overdue for r in rows),
        plan_missing=sum(r.plan_missing for r in rows),
        open_rectifications=sum(r.open_rectifications for r in rows),
    )


def _reminder(overdue: int, due: int) -> NotificationDraft:
    if overdue:
        more = f"，另有 {due} 户本月待走访" if due else ""
        return NotificationDraft(
            event=NotificationEvent.visit_overdue,
            title="您有走访已逾期",
            body=f"{overdue} 户已过走访期限未走访{more}，请尽快入户。",
            page=f"{VISITS_PAGE}?status=overdue",
            data={"overdue": str(overdue), "due": str(due)},
        )
    return NotificationDraft(
        event=NotificationEvent.visit_due,
        title="本月走访提醒",
        body=f"本月还有 {due} 户待走访，月底前请入户。",
        page=VISITS_PAGE,
        data={"overdue": "0", "due": str(due)},
    )


async def remind_visits(conn: asyncpg.Connection, now: dt.datetime) -> list[int]:
    """One message per helper with overdue visits (every day) or, in the month's last week,
    visits due; at most one per helper and local day (a second run sends nothing). Returns the
    notification ids to enqueue after commit."""
    today = local_date(now)
    periods = rules.periods_on(today)
    ids: list[int] = []
    async with conn.transaction():
        await conn.execute(BULK_TRANSACTION)  # every household with a helper at once: no JIT
        for row in await conn.fetch(queries.CLAIM_REMINDERS, *periods.params(), today, rules.reminds_due(today)):
            (notification_id,) = await notify(conn, [row["user_id"]], _reminder(row["overdue"], row["due"]))
            await conn.execute(queries.SET_REMINDER_NOTIFICATION, row["user_id"], today, notification_id)
            ids.append(notification_id)
    return ids
