"""Outcome per measure: for each measure type, the households' per-capita income and rigid
expenses before the measure started and at the latest visit since, per household and averaged
per township and over the region (a county's or a township's), inside the caller's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence

import asyncpg
import msgspec

from backend import db
from backend.assistance import errors, queries, rules
from backend.auth import Principal, require_role
from backend.regions.rules import region_prefix
from schemas.assistance import (
    Figures,
    FigureSource,
    HouseholdOutcome,
    HouseholdOutcomePage,
    MeasureType,
    OutcomeGroup,
    OutcomeReport,
)
from schemas.base import PageMeta

EXPORT_PAGE_ROWS = 2000  # rows per query and per piece of the workbook: memory stays one page

HOUSEHOLDS_HEADER = (
    "户编号", "村代码", "措施类型", "最早开始日期", "措施数",
    "之前来源", "之前日期", "之前人均纯收入（分）", "之前刚性支出（分）",
    "最近走访日期", "最近人均纯收入（分）", "最近刚性支出（分）", "人均纯收入变化（分）", "刚性支出变化（分）",
)
_SOURCES = {"visit": "入户走访", "income_survey": "收入调查"}


async def _region_like(conn: asyncpg.Connection, principal: Principal, region_code: str | None) -> tuple[str, str]:
    code = region_code or principal.region_code
    if code is None or not principal.covers_region(code) or await conn.fetchval(queries.GET_REGION, code) is None:
        raise errors.RegionNotFound()
    return code, region_prefix(code) + "%"


def _params(like: str, principal: Principal, measure_type: MeasureType | None, today: dt.date) -> list[object]:
    """OUTCOME_UNITS' $1-$5."""
    return [like, principal.region_like, list(rules.OUTCOME_STATUSES), measure_type.value if measure_type else None, today]


def _figures(row: asyncpg.Record, side: str) -> Figures | None:
    if row[f"{side}_income_fen"] is None:
        return None
    return Figures(
        source=FigureSource(row["before_source"]) if side == "before" else FigureSource.visit,
        as_of=row[f"{side}_as_of"],
        member_count=row[f"{side}_member_count"],
        per_capita_income_fen=row[f"{side}_income_fen"],
        rigid_expense_fen=row[f"{side}_rigid_fen"],
    )


def _outcome(row: asyncpg.Record) -> HouseholdOutcome:
    before, latest = _figures(row, "before"), _figures(row, "latest")
    both = before is not None and latest is not None
    return HouseholdOutcome(
        household_id=row["household_id"],
        household_no=row["household_no"],
        village_code=row["village_code"],
        measure_type=MeasureType(row["measure_type"]),
        type_name=rules.MEASURE_NAMES[MeasureType(row["measure_type"])],
        start_date=row["start_date"],
        measures=row["measures"],
        before=before,
        latest=latest,
        income_change_fen=latest.per_capita_income_fen - before.per_capita_income_fen if both else None,  # type: ignore[union-attr]
        rigid_expense_change_fen=latest.rigid_expense_fen - before.rigid_expense_fen if both else None,  # type: ignore[union-attr]
    )


async def get_report(
    conn: asyncpg.Connection, principal: Principal, region_code: str | None, measure_type: MeasureType | None,
    today: dt.date,
) -> OutcomeReport:
    """Averages per measure type over the region and per township in it (default region: the
    caller's). A household counts where it has both figures; the others are `lacking`."""
    require_role(principal, rules.OUTCOME_READERS)
    code, like = await _region_like(conn, principal, region_code)
    async with conn.transaction(readonly=True):
        await conn.execute(db.BULK_TRANSACTION)  # JIT cost more than the whole county's read (docs/assistance.md)
        rows = await conn.fetch(queries.SUMMARISE_OUTCOMES, *_params(like, principal, measure_type, today))
    codes = sorted({code} | {r["township_code"] for r in rows if r["township_code"]})
    names = {r["code"]: r["name"] for r in await conn.fetch(queries.LIST_REGION_NAMES, codes)}
    groups: dict[bool, list[OutcomeGroup]] = {True: [], False: []}
    for row in rows:
        region = row["township_code"] or code
        groups[row["township_code"] is None].append(
            msgspec.convert(
                {
                    **{k: v for k, v in row.items() if k != "township_code"},
                    "region_code": region,
                    "region_name": names.get(region, ""),
                    "type_name": rules.MEASURE_NAMES[MeasureType(row["measure_type"])],
                },
                OutcomeGroup,
            )
        )
    return OutcomeReport(region_code=code, as_of=today, totals=groups[True], townships=groups[False])


async def list_households(
    conn: asyncpg.Connection, principal: Principal, region_code: str | None, measure_type: MeasureType | None,
    today: dt.date, page: int, page_size: int,
) -> HouseholdOutcomePage:
    """One row per household and measure type, by village and household number."""
    require_role(principal, rules.OUTCOME_READERS)
    _, like = await _region_like(conn, principal, region_code)
    async with conn.transaction(readonly=True):
        await conn.execute(db.BULK_TRANSACTION)
        rows = await conn.fetch(
            queries.LIST_HOUSEHOLD_OUTCOMES, *_params(like, principal, measure_type, today), page_size,
            (page - 1) * page_size,
        )
    total = rows[0]["total"] if rows else 0
    return HouseholdOutcomePage(
        items=[_outcome(r) for r in rows], meta=PageMeta(total=total, page=page, page_size=page_size)
    )


async def checked_region(conn: asyncpg.Connection, principal: Principal, region_code: str | None) -> str:
    """The region an export covers, refused before the download starts."""
    require_role(principal, rules.OUTCOME_READERS)
    return (await _region_like(conn, principal, region_code))[0]


async def household_pages(
    pool: asyncpg.Pool, principal: Principal, region_code: str, measure_type: MeasureType | None, today: dt.date
) -> AsyncIterator[Sequence[Sequence[object]]]:
    """Every household row of the list, read through one cursor a page at a time."""
    params = _params(region_prefix(region_code) + "%", principal, measure_type, today)
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await conn.execute(db.BULK_TRANSACTION)
        cursor = await conn.cursor(queries.EXPORT_HOUSEHOLD_OUTCOMES, *params)
        while rows := await cursor.fetch(EXPORT_PAGE_ROWS):
            yield [_row(_outcome(r)) for r in rows]


def _row(o: HouseholdOutcome) -> tuple[object, ...]:
    b, latest = o.before, o.latest
    return (
        o.household_no, o.village_code, o.type_name, o.start_date, o.measures,
        _SOURCES[b.source] if b else None, b.as_of if b else None,
        b.per_capita_income_fen if b else None, b.rigid_expense_fen if b else None,
        latest.as_of if latest else None, latest.per_capita_income_fen if latest else None,
        latest.rigid_expense_fen if latest else None, o.income_change_fen, o.rigid_expense_change_fen,
    )
