"""The county's alert board and its XLSX exports, who has how many alerts, the alerts attached to
a case, and the exemption list (豁免清单). Every read is inside the caller's region."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence

import asyncpg
import msgspec

from backend import audit
from backend.alerts import errors, queries, reads, work_queries
from backend.applications.errors import ApplicationNotFound
from backend.auth import Principal
from backend.calendar.rules import local_date
from backend.db import custom_plans, rows_to
from backend.regions.rules import region_prefix
from schemas.alerts import (
    AlertBrief,
    AlertSearch,
    Board,
    BoardRow,
    Exemption,
    ExemptionCreate,
    Workload,
)

EXPORT_PAGE_ROWS = 2000  # rows per query and per piece of the workbook: memory stays one page

BOARD_HEADER = ("乡镇代码", "乡镇", "规则编号", "未办结", "逾期", "转为申请", "已排除", "核实用时中位数（天）")
ALERTS_HEADER = (
    "预警编号", "等级", "规则编号", "风险类型", "状态", "村代码", "村", "户编号", "成员", "预警说明",
    "预警日期", "核实人员", "核实期限", "逾期", "排除原因", "申请编号",
)
_LEVELS = {"red": "红色", "yellow": "黄色"}
_YES = {True: "是", False: "否"}


def _region(principal: Principal, region_code: str | None) -> str:
    code = region_code or principal.region_code
    if code is None or not principal.covers_region(code):
        raise errors.RegionNotFound()
    return code


async def _checked_region(conn: asyncpg.Connection, principal: Principal, region_code: str | None) -> str:
    code = _region(principal, region_code)
    if await conn.fetchval(queries.GET_REGION, code) is None:
        raise errors.RegionNotFound()
    return region_prefix(code) + "%"


async def get_board(
    conn: asyncpg.Connection, principal: Principal, region_code: str | None, now: dt.datetime
) -> Board:
    """Per township of the region: open, overdue, converted, dismissed, per rule code and in all,
    the median days from assignment to verification, and self-applications with a negative-list hit."""
    like = await _checked_region(conn, principal, region_code)
    async with custom_plans(conn):
        rows = rows_to(await conn.fetch(work_queries.BOARD, like, principal.region_like, local_date(now)), BoardRow)
        hits = await conn.fetch(work_queries.NEGATIVE_LIST_CASES, like, principal.region_like)
    return Board(
        region_code=region_code or principal.region_code or "",
        rows=rows,
        negative_list_cases={r["township_code"]: r["cases"] for r in hits},
    )


async def board_pages(board: Board) -> AsyncIterator[Sequence[Sequence[object]]]:
    yield [
        (r.township_code, r.township_name, r.rule_code or "合计", r.open, r.overdue, r.converted, r.dismissed,
         r.median_verify_days)
        for r in board.rows
    ]


async def alert_pages(
    pool: asyncpg.Pool, principal: Principal, search: AlertSearch, now: dt.datetime
) -> AsyncIterator[Sequence[Sequence[object]]]:
    """The alerts the list would show, every page its own short query by id (keyset)."""
    search = msgspec.structs.replace(search, page=1, page_size=EXPORT_PAGE_ROWS)
    params = reads.search_params(principal, search, local_date(now))
    below = 2**63 - 1
    while True:
        rows = await pool.fetch(queries.EXPORT_ALERTS, *params, below)
        if not rows:
            return
        yield [
            (r["id"], _LEVELS[r["level"]], r["rule_code"], r["risk_type"], r["status"], r["village_code"],
             r["village_name"], r["household_no"], r["person_name"], r["why"], r["raised_on"], r["assignee_name"],
             r["due_date"], _YES[r["overdue"]], r["dismissal_reason"], r["application_id"])
            for r in rows
        ]
        below = rows[-1]["id"]


async def list_workload(
    conn: asyncpg.Connection, principal: Principal, region_code: str | None, now: dt.datetime
) -> list[Workload]:
    """Who has how many alerts to do (waiting for them or for the county's review), and overdue."""
    like = await _checked_region(conn, principal, region_code)
    async with custom_plans(conn):
        return rows_to(await conn.fetch(work_queries.WORKLOAD, like, principal.region_like, local_date(now)), Workload)


async def list_case_alerts(
    conn: asyncpg.Connection, principal: Principal, application_id: int, now: dt.datetime
) -> list[AlertBrief]:
    """The alerts attached to a case (opened from one, or joined it), as the case's readers see
    them; a case outside the caller's scope is not found."""
    attached = await conn.fetchrow(work_queries.LIST_CASE_ALERT_IDS, *reads.scope(principal), application_id)
    if attached is None:
        raise ApplicationNotFound()
    return [await reads.get_alert(conn, principal, i, now) for i in attached["alert_ids"]]


# ---- exemptions (豁免清单) ----


async def create_exemption(
    conn: asyncpg.Connection, principal: Principal, data: ExemptionCreate, now: dt.datetime
) -> Exemption:
    """Exempts the person from the rule until `ends_on` (inclusive), audited. Batches evaluated
    meanwhile raise nothing of that rule for that person and count the match as exempted."""
    if data.ends_on < local_date(now):
        raise errors.ExemptionEndInPast()
    async with conn.transaction():
        person = await conn.fetchrow(work_queries.GET_PERSON_IN_SCOPE, *reads.scope(principal), data.person_id)
        if person is None:
            raise errors.PersonNotFound()
        if not await reads.list_rules(conn, data.rule_code):
            raise errors.AlertRuleNotFound()
        try:
            exemption_id = await conn.fetchval(
                work_queries.INSERT_EXEMPTION, person["id_number_bidx"], person["id"], data.rule_code,
                data.reason, data.ends_on, person["village_code"], principal.user_id,
            )
        except asyncpg.UniqueViolationError:
            raise errors.ExemptionExists() from None
        await audit.record(
            conn, principal.user_id, "alert_exemption.create", "alert_exemption", exemption_id,
            {"person_id": data.person_id, "rule_code": data.rule_code, "reason": data.reason,
             "ends_on": data.ends_on.isoformat()},
        )
    return await get_exemption(conn, principal, exemption_id)


async def get_exemption(conn: asyncpg.Connection, principal: Principal, exemption_id: int) -> Exemption:
    row = await conn.fetchrow(work_queries.GET_EXEMPTION, principal.region_like, exemption_id)
    if row is None:
        raise errors.ExemptionNotFound()
    return msgspec.convert(dict(row), Exemption)


async def list_exemptions(conn: asyncpg.Connection, principal: Principal, *, current_only: bool) -> list[Exemption]:
    return rows_to(await conn.fetch(work_queries.LIST_EXEMPTIONS, principal.region_like, current_only), Exemption)


async def revoke_exemption(conn: asyncpg.Connection, principal: Principal, exemption_id: int) -> None:
    """Ends the exemption now, audited; the next batch raises the rule for the person again."""
    async with conn.transaction():
        await get_exemption(conn, principal, exemption_id)
        if await conn.fetchval(work_queries.REVOKE_EXEMPTION, exemption_id, principal.user_id) is None:
            raise errors.ExemptionNotFound()
        await audit.record(conn, principal.user_id, "alert_exemption.revoke", "alert_exemption", exemption_id, {})
