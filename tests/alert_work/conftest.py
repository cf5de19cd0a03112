"""Alerts raised through the real rules (a housing batch: red ZJ-01; an education batch: yellow
JY-02) on the known world's households, and the calls each role's screen makes on them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from schemas.feeds import FeedCode
from tests.alerts.conftest import Feeds, feeds  # noqa: F401  (fixture)
from tests.factories import User

PERIOD = dt.date(2026, 10, 1)


def housing(id_number: str, grade: str = "D") -> dict[str, object]:
    return {"id_number": id_number, "address": "测试地址", "appraisal_grade": grade,
            "appraisal_date": dt.date(2026, 10, 8)}


def suspended(id_number: str) -> dict[str, object]:
    return {"id_number": id_number, "stage": "compulsory", "status": "suspended", "event_date": dt.date(2026, 10, 9)}


async def raise_red(feeds: Feeds, key: str, member: int = 0, *, period: dt.date = PERIOD) -> int:
    """A red housing alert on the household's member; returns its id."""
    person = feeds.world.households[key]
    await feeds.batch(FeedCode.housing, [housing(person.id_numbers[member])], period=period)
    (alert,) = await feeds.alerts(person_id=person.member_ids[member], rule_code="ZJ-01", period=period)
    return alert["id"]


async def raise_yellow(feeds: Feeds, key: str, member: int = 2) -> int:
    person = feeds.world.households[key]
    await feeds.batch(FeedCode.education, [suspended(person.id_numbers[member])])
    (alert,) = await feeds.alerts(person_id=person.member_ids[member], rule_code="JY-02")
    return alert["id"]


async def call(
    client: AsyncTestClient, method: str, path: str, user: User, body: Any = None, *, status: int = 200, **params: Any
) -> Any:
    response = await client.request(method, path, json=body, params=params or None, headers=user.headers)
    assert response.status_code == status, response.text
    return response.json() if response.content and response.headers.get("content-type", "").startswith(
        "application/json") else response


async def assign(client: AsyncTestClient, county: User, ids: list[int], **body: Any) -> dict[str, Any]:
    return await call(client, "POST", "/api/alerts/assign", county, {"alert_ids": ids, **body})


async def alert(client: AsyncTestClient, user: User, alert_id: int) -> dict[str, Any]:
    return await call(client, "GET", f"/api/alerts/{alert_id}", user)


DISMISS = {"reason": "data_error", "note": "入户核实：房屋已于去年翻建，鉴定数据为旧数据。", "figures": {"income_fen": 3_000_000}}
CONFIRM = {"note": "入户核实属实：房屋墙体开裂，需危房改造。"}
