"""Plan due dates counted on the provisional calendar (DOMAIN §5) are counted again when an admin
enters the year's holiday notice; the people whose date moved are told (办理期限调整)."""

from __future__ import annotations

import datetime as dt

import asyncpg

from backend import audit
from backend.applications import queries, rules, texts
from backend.auth import Principal
from backend.calendar.rules import CountedDate, OfficialCalendar, local_date
from backend.notifications.service import notify
from schemas.notifications import NotificationDraft, NotificationEvent


async def recount_provisional(
    conn: asyncpg.Connection, principal: Principal, calendar: OfficialCalendar, now: dt.datetime
) -> list[int]:
    """Inside the caller's transaction: every provisional plan due date from today on is counted
    again on `calendar` (still provisional only if it reaches into another year nobody entered),
    each recount audited. A date already passed stays as it was. The case's helper and household
    hear of each date that moved; returns those notification ids, to enqueue after commit."""
    rows = await conn.fetch(queries.LOCK_PROVISIONAL_PLAN_DUES, local_date(now))
    if not rows:
        return []
    recounted = [rules.plan_due_date(r["decided_at"], calendar) for r in rows]
    await conn.execute(
        queries.SET_PLAN_DUES,
        [r["id"] for r in rows],
        [due.date for due in recounted],
        [due.provisional for due in recounted],
    )
    notification_ids: list[int] = []
    for row, new in zip(rows, recounted, strict=True):
        old = CountedDate(row["plan_due_date"], provisional=True)
        await audit.record(
            conn,
            principal.user_id,
            "application.plan_due_recounted",
            "application",
            row["id"],
            {"from": old.date.isoformat(), "to": new.date.isoformat(), "provisional": new.provisional},
        )
        if new.date != old.date:
            notification_ids += await _tell_moved(conn, row, old, new)
    return notification_ids


async def _tell_moved(
    conn: asyncpg.Connection, row: asyncpg.Record, old: CountedDate, new: CountedDate
) -> list[int]:
    """The household's farmer users (with the case page) and the case's helper."""
    data = {"application_id": str(row["id"]), "plan_due_date": new.date.isoformat()}
    farmers = [r["id"] for r in await conn.fetch(queries.FARMER_USERS, row["household_id"])]
    helpers = [row["helper_user_id"]] if row["helper_user_id"] is not None else []
    ids: list[int] = []
    for users, for_farmer in ((farmers, True), (helpers, False)):
        title, body = texts.due_date_changed(old, new, for_farmer=for_farmer)
        draft = NotificationDraft(
            event=NotificationEvent.due_date_changed,
            title=title,
            body=body,
            page=f"/pages/application/detail?id={row['id']}" if for_farmer else None,
            data=data,
        )
        ids += await notify(conn, users, draft)
    return ids
