"""Medical rules YB-01/02/03: 12 months of out-of-pocket cost against the thresholds, at, just
below and just above each; the look-back across batches; re-runs and re-uploads."""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.feeds import FeedCode
from tests.alerts.conftest import PERIOD, Feeds, yuan


def medical(id_number: str, out_of_pocket_fen: int) -> dict[str, object]:
    return {
        "id_number": id_number,
        "period_start": dt.date(2026, 10, 1),
        "period_end": dt.date(2026, 10, 31),
        "total_cost_fen": out_of_pocket_fen * 2,
        "reimbursed_fen": out_of_pocket_fen,
        "out_of_pocket_fen": out_of_pocket_fen,
    }


async def set_ordinary(feeds: Feeds, household_id: int) -> None:
    await feeds.pool.execute("UPDATE households SET category = 'ordinary' WHERE id = $1", household_id)


@pytest.mark.parametrize(
    ("amount", "level"),
    [
        ("9999.99", None),
        ("10000", "yellow"),
        ("10000.01", "yellow"),
        ("19999.99", "yellow"),
        ("20000", "red"),
        ("20000.01", "red"),
    ],
)
async def test_ordinary_household_at_10000_yellow_and_twice_red(feeds: Feeds, amount: str, level: str | None) -> None:
    household = feeds.world.households["a1a"]
    await set_ordinary(feeds, household.id)
    _, raised = await feeds.batch(FeedCode.medical, [medical(household.id_numbers[0], yuan(amount))])
    alerts = await feeds.alerts(rule_code="YB-01")
    assert [a["level"] for a in alerts] == ([level] if level else [])
    assert raised == len(alerts)
    assert await feeds.light(household.id) == (level or "green")


@pytest.mark.parametrize(
    ("amount", "level"),
    [("5999.99", None), ("6000", "yellow"), ("6000.01", "yellow"), ("11999.99", "yellow"), ("12000", "red")],
)
async def test_lifted_or_monitored_household_at_6000(feeds: Feeds, amount: str, level: str | None) -> None:
    household = feeds.world.households["a1a"]  # lifted (脱贫户)
    await feeds.batch(FeedCode.medical, [medical(household.id_numbers[1], yuan(amount))])
    assert [a["level"] for a in await feeds.alerts(rule_code="YB-02")] == ([level] if level else [])
    assert await feeds.alerts(rule_code="YB-01") == []


async def test_monitored_ordinary_household_uses_the_lower_line(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await feeds.pool.execute(
        "UPDATE households SET category = 'ordinary', monitoring_status = 'monitoring', "
        "monitoring_type = 'marginal' WHERE id = $1",
        household.id,
    )
    await feeds.batch(FeedCode.medical, [medical(household.id_numbers[0], yuan("6000"))])
    assert [a["rule_code"] for a in await feeds.alerts()] == ["YB-02"]


async def test_why_reads_as_a_cadre_expects(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await set_ordinary(feeds, household.id)
    await feeds.batch(FeedCode.medical, [medical(household.id_numbers[0], yuan("18230"))])
    [alert] = await feeds.alerts()
    assert alert["why"] == "近12个月医疗自付 18,230 元，超过阈值 10,000 元"
    assert alert["risk_type"] == "illness"
    assert alert["person_id"] == household.member_ids[0]
    assert alert["household_id"] == household.id
    assert alert["evidence"]["out_of_pocket_12m_fen"] == 1_823_000
    assert alert["threshold"] == {
        "value": 1_000_000,
        "red_value": 2_000_000,
        "crossed": 1_000_000,
        "unit": "fen",
        "province_code": "450000000000",
        "year": 2026,
        "source": "default",
    }


async def test_twelve_months_span_earlier_batches(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await set_ordinary(feeds, household.id)
    person = household.id_numbers[0]
    # 2025-10 is 13 months back from 2026-10: outside the window; 2025-11 is inside.
    await feeds.batch(FeedCode.medical, [medical(person, yuan("5000"))], period=dt.date(2025, 10, 1))
    await feeds.batch(FeedCode.medical, [medical(person, yuan("4000"))], period=dt.date(2025, 11, 1))
    assert await feeds.alerts() == []
    _, raised = await feeds.batch(FeedCode.medical, [medical(person, yuan("6000"))])
    [alert] = await feeds.alerts()
    assert raised == 1
    assert alert["evidence"] == {"out_of_pocket_12m_fen": 1_000_000, "months_reported": 2}
    assert alert["period"] == PERIOD


async def test_rows_of_one_person_in_a_batch_add_up(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await set_ordinary(feeds, household.id)
    person = household.id_numbers[0]
    await feeds.batch(FeedCode.medical, [medical(person, yuan("5000")), medical(person, yuan("5000"))])
    assert [a["level"] for a in await feeds.alerts()] == ["yellow"]


async def test_a_reuploaded_month_replaces_the_figure(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await set_ordinary(feeds, household.id)
    person = household.id_numbers[0]
    await feeds.batch(FeedCode.medical, [medical(person, yuan("8000"))])
    _, raised = await feeds.batch(FeedCode.medical, [medical(person, yuan("7000"))])
    assert raised == 0
    assert await feeds.pool.fetchval("SELECT sum(out_of_pocket_fen) FROM medical_costs_monthly") == yuan("7000")


async def test_unmatched_persons_keep_their_figures_for_later(feeds: Feeds) -> None:
    from tests.factories import make_id_number

    stranger = make_id_number()
    _, raised = await feeds.batch(FeedCode.medical, [medical(stranger, yuan("30000"))])
    assert raised == 0
    assert await feeds.pool.fetchval("SELECT count(*) FROM medical_costs_monthly") == 1


async def test_rerun_raises_nothing_new(feeds: Feeds) -> None:
    from backend.alerts.service import evaluate_batch

    household = feeds.world.households["a1a"]
    await set_ordinary(feeds, household.id)
    ref, raised = await feeds.batch(FeedCode.medical, [medical(household.id_numbers[0], yuan("25000"))])
    assert raised == 1
    async with feeds.pool.acquire() as conn:
        assert await evaluate_batch(conn, ref) == 0
    assert len(await feeds.alerts()) == 1
    assert await feeds.pool.fetchval("SELECT count(*) FROM notifications") == 1


async def test_an_open_alert_is_not_raised_again_next_month_unless_it_gets_worse(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await set_ordinary(feeds, household.id)
    person = household.id_numbers[0]
    await feeds.batch(FeedCode.medical, [medical(person, yuan("12000"))], period=dt.date(2026, 9, 1))
    _, raised = await feeds.batch(FeedCode.medical, [medical(person, yuan("100"))])
    assert raised == 0  # still yellow: the September alert speaks for it
    _, raised = await feeds.batch(FeedCode.medical, [medical(person, yuan("9000"))], period=dt.date(2026, 11, 1))
    assert raised == 1
    assert [(a["period"].month, a["level"]) for a in await feeds.alerts()] == [(9, "yellow"), (11, "red")]
    assert await feeds.light(household.id) == "red"


async def record_income(feeds: Feeds, household_id: int, wage_yuan: str, *, year: int = 2025) -> None:
    await feeds.pool.execute(
        "INSERT INTO household_incomes (household_id, year, member_count, wage_fen, productive_expense_fen) "
        "VALUES ($1, $2, 3, $3, 0)",
        household_id,
        year,
        yuan(wage_yuan),
    )


@pytest.mark.parametrize(
    ("amount", "level"),
    [("4999.99", None), ("5000", "yellow"), ("5000.01", "yellow"), ("9999.99", "yellow"), ("10000", "red")],
)
async def test_share_of_household_income(feeds: Feeds, amount: str, level: str | None) -> None:
    household = feeds.world.households["a1a"]
    await set_ordinary(feeds, household.id)  # 10,000 a year: YB-01 stays quiet below it
    await record_income(feeds, household.id, "10000")
    await feeds.batch(FeedCode.medical, [medical(household.id_numbers[0], yuan(amount))])
    alerts = await feeds.alerts(rule_code="YB-03")
    assert [a["level"] for a in alerts] == ([level] if level else [])


async def test_share_of_income_explained_with_the_latest_survey(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await set_ordinary(feeds, household.id)
    await record_income(feeds, household.id, "30000", year=2024)
    await record_income(feeds, household.id, "12000", year=2025)
    await feeds.batch(FeedCode.medical, [medical(household.id_numbers[0], yuan("7200"))])
    [alert] = await feeds.alerts(rule_code="YB-03")
    assert alert["why"] == "近12个月医疗自付 7,200 元，占家庭2025年纯收入 12,000 元的 60%，超过 50%"


async def test_a_household_without_income_is_not_judged_by_share(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await feeds.pool.execute(
        "INSERT INTO household_incomes (household_id, year, member_count, productive_expense_fen) "
        "VALUES ($1, 2025, 3, 0)",
        household.id,
    )
    await feeds.batch(FeedCode.medical, [medical(household.id_numbers[0], yuan("100"))])
    assert await feeds.alerts(rule_code="YB-03") == []
