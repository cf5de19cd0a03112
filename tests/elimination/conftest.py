"""Risk elimination driven like the identification tests (tests/applications/conftest.py): the
same Flow over HTTP at a controlled "now", a household enrolled on a chosen day, and hand-built
visits for the candidates list."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from schemas.base import Role
from tests.applications import conftest as applications
from tests.applications.conftest import Flow, SetNow

# The identification tests' fixtures: the Flow over HTTP and the app's clock.
clock = applications.clock
flow = applications.flow

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROPOSE = "/api/miniapp/helper/risk-eliminations"
# Enrolled on a Monday morning; six months later is 2025-11-12, so a proposal is possible from 11-13.
ENROLLED_AT = dt.datetime(2025, 5, 12, 10, 0, tzinfo=SHANGHAI)
APPROVAL = {"monitoring_type": "marginal", "risk_types": ["illness"], "comment": "同意纳入"}
EVIDENCE = {
    "member_count": 3,
    "net_income_fen": 4_200_000,  # 42,000 yuan a year
    "rigid_expense_fen": 600_000,  # 6,000 yuan → 12,000 yuan per person
    "note": "户主透析已纳入医保报销，配偶在县城务工收入稳定；两不愁三保障和饮水安全均无问题。",
}
CHECKLIST_OK = {
    item: {"ok": True, "note": ""}
    for item in ("food", "clothing", "education", "medical", "housing", "drinking_water")
}
LINE_FEN = 700_000  # a 7,000-yuan monitoring line for the test province


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


async def enrol(flow: Flow, clock: SetNow, moment: dt.datetime = ENROLLED_AT) -> int:
    """The farmer's household self-reports and is approved by the county at `moment` (through
    HTTP); returns the identification case id."""
    clock(moment)
    case_id = await flow.to_state("county_approval")
    approved = await flow.step(Role.county, case_id, "approve", APPROVAL)
    assert approved["state"] == "approved"
    return case_id


async def propose(flow: Flow, household_id: int, *, user: Any = None, expect: int = 201) -> dict[str, Any]:
    body = {**EVIDENCE, "household_id": household_id}
    return await flow.post(user or flow.world.user(Role.helper), PROPOSE, body, expect=expect)


async def make_monitored(pool: asyncpg.Pool, household_id: int, approved_at: dt.datetime, helper_id: int) -> None:
    """A household enrolled at `approved_at` without walking the workflow: its approved
    identification case, written directly."""
    await pool.execute(
        "UPDATE households SET monitoring_status = 'monitoring', monitoring_type = 'unstable', "
        "helper_user_id = $2 WHERE id = $1",
        household_id,
        helper_id,
    )
    await pool.execute(
        "INSERT INTO applications (kind, household_id, source, state, created_by, discovered_at, decided_at, "
        "monitoring_type) VALUES ('identification', $1, 'cadre_screening', 'approved', $2, $3, $3, 'unstable')",
        household_id,
        helper_id,
        approved_at,
    )


async def add_visit(
    pool: asyncpg.Pool,
    household_id: int,
    visitor_id: int,
    visited_at: dt.datetime,
    *,
    per_capita_fen: int | None,
    members: int = 3,
    checklist: dict[str, Any] | None = None,
) -> int:
    """A visit row as the visits code would store it; income is chosen so that (net − rigid) /
    members is `per_capita_fen` (None: no figures recorded)."""
    figures = (None, None, None) if per_capita_fen is None else (members, per_capita_fen * members + 500_000, 500_000)
    return await pool.fetchval(
        "INSERT INTO visits (household_id, visitor_user_id, visited_at, checklist, member_count, "
        "net_income_fen, rigid_expense_fen) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        household_id,
        visitor_id,
        visited_at,
        checklist or CHECKLIST_OK,
        *figures,
    )


async def set_line(pool: asyncpg.Pool, year: int, fen: int = LINE_FEN) -> None:
    await pool.execute(
        "INSERT INTO monitoring_thresholds (year, province_code, per_capita_fen) VALUES ($1, '450000000000', $2)",
        year,
        fen,
    )
