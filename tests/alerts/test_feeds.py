"""The flag and amount rules of every other feed, at, just below and just above each threshold:
education, housing, disability, employment, disaster, civil registry, welfare, water."""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.feeds import FeedCode
from tests.alerts.conftest import PERIOD, Feeds, yuan
from tests.factories import VILLAGE_A1A, make_household


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


async def set_birth(feeds: Feeds, person_id: int, birth: str) -> None:
    await feeds.pool.execute("UPDATE persons SET birth_date = $2 WHERE id = $1", person_id, day(birth))


async def raised(feeds: Feeds) -> list[tuple[str, str, int]]:
    return [(a["rule_code"], a["level"], a["person_id"]) for a in await feeds.alerts()]


# --- education ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "status", "expected"),
    [
        ("compulsory", "dropout", [("JY-01", "red")]),
        ("compulsory", "suspended", [("JY-02", "yellow")]),
        ("compulsory", "enrolled", []),
        ("high_school", "dropout", []),
        ("vocational", "suspended", []),
    ],
)
async def test_education(feeds: Feeds, stage: str, status: str, expected: list[tuple[str, str]]) -> None:
    household = feeds.world.households["a1a"]
    child = household.id_numbers[2]
    await feeds.batch(
        FeedCode.education, [{"id_number": child, "stage": stage, "status": status, "event_date": day("2026-09-15")}]
    )
    assert [(code, level) for code, level, _ in await raised(feeds)] == expected
    if expected:
        [alert] = await feeds.alerts()
        assert alert["risk_type"] == "dropout"
        assert alert["person_id"] == household.member_ids[2]
        assert alert["why"].endswith("2026-09-15 辍学" if status == "dropout" else "2026-09-15 休学")
        assert await feeds.light(household.id) == expected[0][1]


# --- housing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("grade", "level"), [("A", None), ("B", None), ("C", "red"), ("D", "red")])
async def test_housing(feeds: Feeds, grade: str, level: str | None) -> None:
    household = feeds.world.households["a1a"]
    row = {
        "id_number": household.id_numbers[0],
        "address": "甲一村3组",
        "appraisal_grade": grade,
        "appraisal_date": day("2026-10-08"),
    }
    await feeds.batch(FeedCode.housing, [row])
    alerts = await feeds.alerts()
    assert [a["level"] for a in alerts] == ([level] if level else [])
    if level:
        assert alerts[0]["why"] == f"住房于 2026-10-08 鉴定为 {grade} 级危房"
        assert alerts[0]["risk_type"] == "housing_unsafe"


# --- disability ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "level", "issued", "expected"),
    [
        ("1985-03-15", 2, "2026-10-20", True),
        ("1985-03-15", 1, "2026-08-01", True),  # the month two before the batch's still counts as new
        ("1985-03-15", 1, "2026-07-31", False),  # three months back: not new
        ("1985-03-15", 3, "2026-10-20", False),
        ("2010-10-20", 2, "2026-10-20", True),  # 16 on the day
        ("2010-10-21", 2, "2026-10-20", False),  # 16 tomorrow
        ("1966-10-21", 2, "2026-10-20", True),  # 59, 60 tomorrow
        ("1966-10-20", 2, "2026-10-20", False),  # 60 on the day
    ],
)
async def test_disability(feeds: Feeds, birth: str, level: int, issued: str, expected: bool) -> None:
    household = feeds.world.households["a1a"]
    await set_birth(feeds, household.member_ids[1], birth)
    row = {"id_number": household.id_numbers[1], "category": "肢体", "level": level, "issue_date": day(issued)}
    await feeds.batch(FeedCode.disability, [row])
    alerts = await feeds.alerts()
    assert [(a["rule_code"], a["level"]) for a in alerts] == ([("CL-01", "yellow")] if expected else [])
    if expected and birth == "1985-03-15" and level == 2:
        assert alerts[0]["why"] == "41岁家庭成员于 2026-10-20 新办 2 级残疾证（肢体）"


async def test_disability_the_registry_knows_is_not_new(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await feeds.pool.execute("UPDATE persons SET disability_level = 2 WHERE id = $1", household.member_ids[0])
    row = {"id_number": household.id_numbers[0], "category": "视力", "level": 2, "issue_date": day("2026-10-02")}
    await feeds.batch(FeedCode.disability, [row])
    assert await feeds.alerts() == []


# --- employment ---------------------------------------------------------------------------------


def unemployed(id_number: str, on: str = "2026-10-09") -> dict[str, object]:
    return {"id_number": id_number, "status": "unemployed", "monthly_income_fen": None, "event_date": day(on)}


async def test_the_head_is_the_main_earner_by_default(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await feeds.batch(FeedCode.employment, [unemployed(household.id_numbers[0]), unemployed(household.id_numbers[1])])
    assert await raised(feeds) == [("RS-01", "yellow", household.member_ids[0])]
    [alert] = await feeds.alerts()
    assert alert["why"] == "家庭主要劳动力于 2026-10-09 登记失业"
    assert alert["risk_type"] == "unstable_employment"


async def test_a_wage_worker_comes_before_the_head(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await feeds.pool.execute("UPDATE persons SET employment = 'migrant_work' WHERE id = $1", household.member_ids[1])
    await feeds.batch(FeedCode.employment, [unemployed(household.id_numbers[0]), unemployed(household.id_numbers[1])])
    assert await raised(feeds) == [("RS-01", "yellow", household.member_ids[1])]


@pytest.mark.parametrize(("head_birth", "earner"), [("1966-10-10", 0), ("1966-10-09", 1)])
async def test_a_head_past_working_age_is_not_the_main_earner(feeds: Feeds, head_birth: str, earner: int) -> None:
    household = feeds.world.households["a1a"]
    await set_birth(feeds, household.member_ids[0], head_birth)  # 59 / 60 on the day of the rows
    await feeds.batch(FeedCode.employment, [unemployed(household.id_numbers[0]), unemployed(household.id_numbers[1])])
    assert await raised(feeds) == [("RS-01", "yellow", household.member_ids[earner])]


async def test_no_labour_capacity_is_no_main_earner(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await feeds.pool.execute("UPDATE persons SET labour_capacity = 'none' WHERE id = $1", household.member_ids[0])
    await feeds.batch(FeedCode.employment, [unemployed(household.id_numbers[1])])
    assert await raised(feeds) == [("RS-01", "yellow", household.member_ids[1])]


async def test_employed_rows_raise_nothing(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    row = {
        "id_number": household.id_numbers[0],
        "status": "employed",
        "monthly_income_fen": 350_000,
        "event_date": day("2026-10-01"),
    }
    await feeds.batch(FeedCode.employment, [row])
    assert await feeds.alerts() == []


# --- disaster -----------------------------------------------------------------------------------


def loss(id_number: str, amount: str) -> dict[str, object]:
    return {"id_number": id_number, "disaster_type": "洪涝", "loss_fen": yuan(amount), "event_date": day("2026-10-03")}


@pytest.mark.parametrize(
    ("amount", "level"),
    [
        ("4999.99", None),
        ("5000", "yellow"),
        ("5000.01", "yellow"),
        ("19999.99", "yellow"),
        ("20000", "red"),
        ("20000.01", "red"),
    ],
)
async def test_disaster(feeds: Feeds, amount: str, level: str | None) -> None:
    household = feeds.world.households["a1a"]
    await feeds.batch(FeedCode.disaster, [loss(household.id_numbers[0], amount)])
    assert [a["level"] for a in await feeds.alerts()] == ([level] if level else [])


async def test_disaster_losses_add_up_and_explain(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    person = household.id_numbers[0]
    await feeds.batch(FeedCode.disaster, [loss(person, "3000"), loss(person, "2000")])
    [alert] = await feeds.alerts()
    assert alert["why"] == "于 2026-10-03 受灾（洪涝），损失 5,000 元，超过阈值 5,000 元"
    assert alert["evidence"]["events"] == 2


# --- civil registry -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "alert"), [("1966-10-06", True), ("1966-10-05", False), ("2010-10-05", True), ("2010-10-06", False)]
)
async def test_death_of_a_working_age_member(feeds: Feeds, birth: str, alert: bool) -> None:
    household = feeds.world.households["a1a"]
    await set_birth(feeds, household.member_ids[1], birth)
    await feeds.batch(
        FeedCode.civil_registry,
        [{"id_number": household.id_numbers[1], "event": "death", "event_date": day("2026-10-05")}],
    )
    assert [(a["rule_code"], a["level"], a["risk_type"]) for a in await feeds.alerts()] == (
        [("GA-01", "red", "accident")] if alert else []
    )
    flags = await feeds.pool.fetch("SELECT person_id, reason FROM registry_update_flags")
    assert [(f["person_id"], f["reason"]) for f in flags] == [(household.member_ids[1], "death")]


async def test_moved_out_flags_the_registry_and_raises_nothing(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    row = {"id_number": household.id_numbers[2], "event": "moved_out", "event_date": day("2026-10-05")}
    _, count = await feeds.batch(FeedCode.civil_registry, [row])
    await feeds.batch(FeedCode.civil_registry, [row])
    assert count == 0
    assert await feeds.alerts() == []
    flags = await feeds.pool.fetch("SELECT person_id, reason, event_date FROM registry_update_flags")
    assert [tuple(f) for f in flags] == [(household.member_ids[2], "moved_out", day("2026-10-05"))]


# --- welfare ------------------------------------------------------------------------------------


def welfare(id_number: str, kind: str, start: str) -> dict[str, object]:
    return {"id_number": id_number, "kind": kind, "start_date": day(start), "end_date": None, "amount_fen": 150_000}


@pytest.mark.parametrize(
    ("start", "expected"), [("2026-10-31", True), ("2026-08-01", True), ("2026-07-31", False), ("2026-11-01", False)]
)
async def test_new_temporary_relief(feeds: Feeds, start: str, expected: bool) -> None:
    household = feeds.world.households["a1a"]
    await feeds.batch(FeedCode.welfare, [welfare(household.id_numbers[0], "temporary_relief", start)])
    alerts = await feeds.alerts()
    assert [(a["rule_code"], a["level"], a["risk_type"]) for a in alerts] == (
        [("MZ-01", "yellow", "income_drop")] if expected else []
    )
    if expected:
        assert alerts[0]["why"] == f"于 {start} 获临时救助 1,500 元"


@pytest.mark.parametrize(("status", "expected"), [("none", True), ("risk_eliminated", True), ("monitoring", False)])
async def test_dibao_or_tekun_for_a_household_not_monitored(feeds: Feeds, status: str, expected: bool) -> None:
    household = feeds.world.households["a1a"]
    await feeds.pool.execute(
        "UPDATE households SET monitoring_status = $2, monitoring_type = CASE WHEN $2 = 'monitoring' "
        "THEN 'marginal' END WHERE id = $1",
        household.id,
        status,
    )
    await feeds.batch(
        FeedCode.welfare,
        [
            welfare(household.id_numbers[0], "dibao", "2026-10-01"),
            welfare(household.id_numbers[1], "tekun", "2026-10-01"),
        ],
    )
    alerts = await feeds.alerts()
    assert [a["rule_code"] for a in alerts] == (["MZ-02", "MZ-02"] if expected else [])
    if expected:
        why = {a["person_id"]: a["why"] for a in alerts}
        assert why[household.member_ids[0]] == "于 2026-10-01 开始享受最低生活保障，该户尚未纳入防返贫监测"
        assert why[household.member_ids[1]] == "于 2026-10-01 开始享受特困人员救助供养，该户尚未纳入防返贫监测"


# --- water --------------------------------------------------------------------------------------


async def test_water_issue_of_a_household(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    row = {"id_number": household.id_numbers[1], "issue": "水质不达标", "event_date": day("2026-10-12")}
    await feeds.batch(FeedCode.water, [row])
    [alert] = await feeds.alerts()
    assert (alert["rule_code"], alert["level"], alert["person_id"]) == ("SL-01", "red", household.member_ids[1])
    assert alert["why"] == "饮水安全问题：水质不达标（2026-10-12）"
    assert await feeds.light(household.id) == "red"


async def test_water_issue_of_a_village_hits_every_household_in_it(feeds: Feeds) -> None:
    async with feeds.pool.acquire() as conn:
        neighbour = await make_household(conn, feeds.pii, VILLAGE_A1A)
    row = {"village_code": VILLAGE_A1A, "issue": "水源枯竭", "event_date": day("2026-10-12")}
    _, count = await feeds.batch(FeedCode.water, [row])
    alerts = await feeds.alerts()
    heads = {feeds.world.households["a1a"].member_ids[0], neighbour.member_ids[0]}
    assert count == 2
    assert {a["person_id"] for a in alerts} == heads
    assert {(a["rule_code"], a["level"]) for a in alerts} == {("SL-02", "red")}
    assert alerts[0]["why"] == "所在村饮水安全问题：水源枯竭（2026-10-12）"
    other = feeds.world.households["a1b"]
    assert await feeds.light(other.id) == "green"


# --- all feeds ----------------------------------------------------------------------------------


async def test_unmatched_rows_raise_nothing(feeds: Feeds) -> None:
    from tests.factories import make_id_number

    stranger = make_id_number()
    await feeds.batch(
        FeedCode.education,
        [{"id_number": stranger, "stage": "compulsory", "status": "dropout", "event_date": day("2026-10-01")}],
    )
    await feeds.batch(
        FeedCode.housing,
        [{"id_number": stranger, "address": "x", "appraisal_grade": "D", "appraisal_date": day("2026-10-01")}],
    )
    assert await feeds.alerts() == []


async def test_a_negative_list_batch_raises_nothing(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    _, count = await feeds.batch(
        FeedCode.negative_list,
        [
            {
                "id_number": household.id_numbers[0],
                "kind": "vehicle",
                "source_department": "车管",
                "description": "小型轿车",
            }
        ],
    )
    assert count == 0


async def test_no_clear_id_number_reaches_an_alert(feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    rows = [
        {"id_number": n, "stage": "compulsory", "status": "dropout", "event_date": PERIOD} for n in household.id_numbers
    ]
    await feeds.batch(FeedCode.education, rows)
    text = await feeds.pool.fetchval("SELECT string_agg(a::text, ' ') FROM alerts a")
    assert text and "********" in text
    assert not any(number in text for number in household.id_numbers)
