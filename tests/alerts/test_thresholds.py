"""Admin-edited thresholds: audited, applied from the next batch on, never rewriting an alert."""

from __future__ import annotations

import datetime as dt

import pytest

from schemas.base import Role
from schemas.feeds import FeedCode
from tests.alerts.conftest import Feeds, yuan
from tests.alerts.test_medical import medical, set_ordinary
from tests.factories import CITY, PROVINCE

URL = "/api/alert-rules/{code}/thresholds/{province}/{year}"


async def put(
    client,
    feeds: Feeds,
    body: dict[str, object],
    *,
    code: str = "YB-01",
    province: str = PROVINCE,
    year: int = 2026,
    role: Role = Role.admin,
):
    return await client.put(
        URL.format(code=code, province=province, year=year), json=body, headers=feeds.world.user(role).headers
    )


async def test_an_edit_applies_to_the_next_batch_only(client, feeds: Feeds) -> None:
    households = [feeds.world.households[k] for k in ("a1a", "a1b", "a2a")]
    for household in households:
        await set_ordinary(feeds, household.id)
    await feeds.batch(FeedCode.medical, [medical(households[0].id_numbers[0], yuan("12000"))])

    response = await put(client, feeds, {"value": yuan("15000"), "red_value": yuan("30000"), "note": "省里新口径"})
    assert response.status_code == 200, response.text
    ours = [t for t in response.json()["thresholds"] if t["province_code"] == PROVINCE]
    assert [(t["year"], t["value"], t["red_value"], t["note"]) for t in ours] == [
        (2026, 1_500_000, 3_000_000, "省里新口径")
    ]

    await feeds.batch(
        FeedCode.medical,
        [medical(households[1].id_numbers[0], yuan("12000")), medical(households[2].id_numbers[0], yuan("15000"))],
    )
    alerts = await feeds.alerts(rule_code="YB-01")
    assert [(a["household_id"], a["threshold"]["value"], a["threshold"]["source"]) for a in alerts] == [
        (households[0].id, 1_000_000, "default"),
        (households[2].id, 1_500_000, "province"),
    ]
    assert alerts[0]["why"] == "近12个月医疗自付 12,000 元，超过阈值 10,000 元"
    assert alerts[1]["why"] == "近12个月医疗自付 15,000 元，超过阈值 15,000 元"

    audit = await feeds.pool.fetchrow(
        "SELECT actor_user_id, object_id, detail FROM audit_log WHERE action = 'alert_threshold.put'"
    )
    assert audit["actor_user_id"] == feeds.world.user(Role.admin).id
    assert audit["object_id"] == "YB-01"
    assert audit["detail"]["before"] is None
    assert audit["detail"]["after"]["value"] == 1_500_000


async def test_a_year_without_its_own_row_takes_the_latest_earlier_year(client, feeds: Feeds) -> None:
    household = feeds.world.households["a1a"]
    await set_ordinary(feeds, household.id)
    assert (await put(client, feeds, {"value": yuan("8000"), "red_value": yuan("16000")}, year=2025)).status_code == 200
    assert (
        await put(client, feeds, {"value": yuan("50000"), "red_value": yuan("90000")}, year=2027)
    ).status_code == 200
    await feeds.batch(FeedCode.medical, [medical(household.id_numbers[0], yuan("8000"))], period=dt.date(2026, 10, 1))
    [alert] = await feeds.alerts()
    assert (alert["threshold"]["value"], alert["threshold"]["year"]) == (800_000, 2025)


async def test_a_second_edit_is_audited_with_what_it_replaced(client, feeds: Feeds) -> None:
    await put(client, feeds, {"value": 40, "red_value": 80}, code="YB-03")
    await put(client, feeds, {"value": 45, "red_value": 90}, code="YB-03")
    details = [r["detail"] for r in await feeds.pool.fetch("SELECT detail FROM audit_log ORDER BY id")]
    assert details[1]["before"] == {"value": 40, "red_value": 80, "note": ""}
    assert details[1]["after"]["value"] == 45


@pytest.mark.parametrize(
    ("code", "province", "body", "status", "error"),
    [
        ("YB-01", PROVINCE, {"value": 1_000_000, "red_value": 1_000_000}, 422, "invalid_threshold"),
        ("SR-01", PROVINCE, {"value": 100, "red_value": 110}, 422, "invalid_threshold"),  # below: red under yellow
        ("YB-03", PROVINCE, {"value": 50, "red_value": 5000}, 422, "invalid_threshold"),
        ("JY-01", PROVINCE, {"value": 1, "red_value": 2}, 422, "invalid_threshold"),  # a flag has no threshold
        ("YB-01", CITY, {"value": 1, "red_value": 2}, 422, "province_not_found"),
        ("YB-99", PROVINCE, {"value": 1, "red_value": 2}, 404, "alert_rule_not_found"),
    ],
)
async def test_thresholds_that_cannot_work_are_refused(
    client, feeds: Feeds, code: str, province: str, body: dict[str, int], status: int, error: str
) -> None:
    response = await put(client, feeds, body, code=code, province=province)
    assert response.status_code == status, response.text
    assert response.json()["code"] == error
    assert await feeds.pool.fetchval("SELECT count(*) FROM alert_thresholds") == 0
    assert await feeds.pool.fetchval("SELECT count(*) FROM audit_log") == 0


@pytest.mark.parametrize("role", [Role.county, Role.township, Role.department])
async def test_only_admins_edit_thresholds(client, feeds: Feeds, role: Role) -> None:
    response = await put(client, feeds, {"value": yuan("8000"), "red_value": yuan("16000")}, role=role)
    assert response.status_code == 403


async def test_rules_list_every_default_rule_with_its_code(client, feeds: Feeds) -> None:
    response = await client.get("/api/alert-rules", headers=feeds.world.user(Role.admin).headers)
    assert response.status_code == 200
    rules = {r["code"]: r for r in response.json()}
    assert set(rules) == {
        "YB-01",
        "YB-02",
        "YB-03",
        "JY-01",
        "JY-02",
        "ZJ-01",
        "CL-01",
        "RS-01",
        "YJ-01",
        "GA-01",
        "MZ-01",
        "MZ-02",
        "SL-01",
        "SL-02",
        "SR-01",
    }
    assert rules["YB-01"]["default_value"] == 1_000_000
    assert rules["JY-01"]["level"] == "red" and "default_value" not in rules["JY-01"]
    county = await client.get("/api/alert-rules", headers=feeds.world.user(Role.county).headers)
    department = await client.get("/api/alert-rules", headers=feeds.world.user(Role.department).headers)
    assert (county.status_code, department.status_code) == (200, 403)
