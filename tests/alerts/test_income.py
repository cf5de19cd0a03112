"""SR-01: per-capita income after rigid expenses against the year's monitoring line, with a batch
for the households it touched and for a whole region."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import subprocess
import sys

import pytest

from backend.alerts.service import evaluate_income, evaluate_income_everywhere
from backend.settings import Settings
from schemas.feeds import FeedCode
from tests.alerts.conftest import Feeds, yuan
from tests.factories import COUNTY_A, PROVINCE, TOWNSHIP_A1
from tests.processes import settings_env


async def survey(feeds: Feeds, household_id: int, per_capita: str, *, year: int = 2025) -> None:
    """Three members, wage income making `per_capita` after 1,000 yuan of medical expense each."""
    await feeds.pool.execute(
        "INSERT INTO household_incomes (household_id, year, member_count, wage_fen, medical_expense_fen) "
        "VALUES ($1, $2, 3, $3, $4)",
        household_id,
        year,
        3 * yuan(per_capita) + 3 * yuan("1000"),
        3 * yuan("1000"),
    )


async def line(feeds: Feeds, amount: str, *, year: int = 2025) -> None:
    await feeds.pool.execute(
        "INSERT INTO monitoring_thresholds (year, province_code, per_capita_fen) VALUES ($1, $2, $3)",
        year,
        PROVINCE,
        yuan(amount),
    )


def enrolled(id_number: str) -> dict[str, object]:
    return {"id_number": id_number, "stage": "compulsory", "status": "enrolled", "event_date": dt.date(2026, 9, 1)}


@pytest.mark.parametrize(
    ("per_capita", "level"),
    [("4999.99", "red"), ("5000", "yellow"), ("5000.01", "yellow"), ("5500", "yellow"), ("5500.01", None)],
)
async def test_income_rule_runs_for_the_households_a_batch_touched(
    feeds: Feeds, per_capita: str, level: str | None
) -> None:
    household = feeds.world.households["a1a"]
    await line(feeds, "5000")
    await survey(feeds, household.id, per_capita)
    await survey(feeds, feeds.world.households["a1b"].id, "100")  # not in the batch
    _, raised = await feeds.batch(FeedCode.education, [enrolled(household.id_numbers[2])])
    alerts = await feeds.alerts(rule_code="SR-01")
    assert [(a["household_id"], a["level"]) for a in alerts] == ([(household.id, level)] if level else [])
    assert raised == len(alerts)
    if level:
        assert alerts[0]["person_id"] == household.member_ids[0]  # the head
        assert alerts[0]["period"] == dt.date(2025, 1, 1)
        assert alerts[0]["risk_type"] == "income_drop"


async def test_income_explanations(feeds: Feeds) -> None:
    red, yellow = feeds.world.households["a1a"], feeds.world.households["a1b"]
    await line(feeds, "5000")
    await survey(feeds, red.id, "4200")
    await survey(feeds, yellow.id, "5300")
    assert await evaluate_income_in(feeds, TOWNSHIP_A1) == 2
    why = {a["household_id"]: a["why"] for a in await feeds.alerts()}
    assert why[red.id] == "2025年人均纯收入（扣除刚性支出）4,200 元，低于监测线 5,000 元"
    assert why[yellow.id] == "2025年人均纯收入（扣除刚性支出）5,300 元，不高于监测线 5,000 元的 110%"


async def evaluate_income_in(feeds: Feeds, region: str) -> int:
    async with feeds.pool.acquire() as conn:
        return await evaluate_income(conn, region, today=dt.date(2026, 3, 10))


async def test_region_run_covers_its_region_only_and_once(feeds: Feeds) -> None:
    await line(feeds, "5000")
    for key in ("a1a", "a1b", "a2a", "b1a"):
        await survey(feeds, feeds.world.households[key].id, "4000")
    assert await evaluate_income_in(feeds, TOWNSHIP_A1) == 2
    assert await evaluate_income_in(feeds, COUNTY_A) == 1  # a2a; a1a and a1b already have theirs
    assert await evaluate_income_in(feeds, COUNTY_A) == 0
    assert {a["household_id"] for a in await feeds.alerts()} == {
        feeds.world.households[k].id for k in ("a1a", "a1b", "a2a")
    }
    assert await feeds.light(feeds.world.households["a2a"].id) == "red"
    assert await feeds.light(feeds.world.households["b1a"].id) == "green"


async def test_no_line_for_the_year_raises_nothing(feeds: Feeds) -> None:
    await line(feeds, "5000", year=2024)
    await survey(feeds, feeds.world.households["a1a"].id, "100", year=2025)
    assert await evaluate_income_in(feeds, COUNTY_A) == 0


async def test_the_latest_survey_counts(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await line(feeds, "5000", year=2024)
    await line(feeds, "5200", year=2025)
    await survey(feeds, household.id, "3000", year=2024)
    await survey(feeds, household.id, "9000", year=2025)
    assert await evaluate_income_in(feeds, COUNTY_A) == 0


async def test_the_daily_run_covers_every_county_once_per_survey(feeds: Feeds) -> None:
    await line(feeds, "5000")
    for key in ("a1a", "b1a"):
        await survey(feeds, feeds.world.households[key].id, "4000")
    assert await evaluate_income_everywhere(feeds.pool, today=dt.date(2026, 3, 10)) == 2
    assert await evaluate_income_everywhere(feeds.pool, today=dt.date(2026, 4, 1)) == 0  # the same survey
    await line(feeds, "5200", year=2026)
    await survey(feeds, feeds.world.households["a2a"].id, "5100", year=2026)
    assert await evaluate_income_everywhere(feeds.pool, today=dt.date(2027, 1, 5)) == 1  # 2026's survey


async def test_the_operator_runs_it_for_a_county_from_the_command_line(feeds: Feeds, settings: Settings) -> None:
    await line(feeds, "5000")
    for key in ("a1a", "b1a"):
        await survey(feeds, feeds.world.households[key].id, "4000")
    run = functools.partial(subprocess.run, capture_output=True, text=True, env=settings_env(settings), timeout=120)
    done = await asyncio.to_thread(run, [sys.executable, "-m", "backend.cli", "evaluate-income", "--region", "450103"])
    assert (done.returncode, done.stdout.strip()) == (0, "收入预警（SR-01）：新增 1 条")
    assert {a["household_id"] for a in await feeds.alerts()} == {feeds.world.households["b1a"].id}
    wrong = await asyncio.to_thread(run, [sys.executable, "-m", "backend.cli", "evaluate-income", "--region", "45x"])
    assert wrong.returncode == 2 and "地区代码「45x」不对" in wrong.stderr and "Traceback" not in wrong.stderr
