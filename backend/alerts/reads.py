"""What staff read of alerts, always inside their scope, and the admin's rules and thresholds."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from backend import audit
from backend.alerts import errors, queries, rules, work_queries
from backend.auth import Principal
from backend.calendar.rules import local_date
from backend.db import custom_plans, rows_to
from backend.regions.rules import region_prefix
from schemas.alerts import (
    Alert,
    AlertBrief,
    AlertPage,
    AlertRule,
    AlertSearch,
    Compare,
    LightSummary,
    ThresholdUnit,
    ThresholdUpdate,
    VillageLights,
)
from schemas.base import ErrorDetail, PageMeta


def scope(principal: Principal) -> tuple[str, int | None]:
    return principal.region_like, principal.household_only


def search_params(principal: Principal, search: AlertSearch, today: dt.date) -> list[object]:
    """LIST_ALERTS' / EXPORT_ALERTS' parameters $1-$14 ($7, $8: the page)."""
    return [
        *scope(principal),
        search.level.value if search.level else None,
        search.rule_code,
        region_prefix(search.village_code) if search.village_code else None,
        search.status.value if search.status else None,
        search.page_size,
        (search.page - 1) * search.page_size,
        today,
        search.risk_type.value if search.risk_type else None,
        search.overdue,
        search.min_age_days,
        search.assignee_user_id,
        search.active_only,
    ]


async def list_alerts(
    conn: asyncpg.Connection, principal: Principal, search: AlertSearch, now: dt.datetime | None = None
) -> AlertPage:
    """Alerts of households in scope, newest first, every filter optional; `overdue` on each."""
    today = local_date(now or dt.datetime.now(dt.UTC))
    async with custom_plans(conn):
        rows = await conn.fetch(queries.LIST_ALERTS, *search_params(principal, search, today))
    total = rows[0]["total"] if rows else 0
    items = [msgspec.convert({k: v for k, v in r.items() if k != "total"}, AlertBrief) for r in rows]
    return AlertPage(items=items, meta=PageMeta(total=total, page=search.page, page_size=search.page_size))


async def get_alert(
    conn: asyncpg.Connection, principal: Principal, alert_id: int, now: dt.datetime | None = None
) -> Alert:
    """The alert with its evidence, threshold, work and events, or AlertNotFound outside the
    caller's scope."""
    today = local_date(now or dt.datetime.now(dt.UTC))
    row = await conn.fetchrow(queries.GET_ALERT, *scope(principal), alert_id, today)
    if row is None:
        raise errors.AlertNotFound()
    events = [dict(e) for e in await conn.fetch(work_queries.LIST_EVENTS, alert_id)]
    return msgspec.convert({**dict(row), "events": events}, Alert)


async def summarise_lights(conn: asyncpg.Connection, principal: Principal, region_code: str | None) -> LightSummary:
    """Households per traffic light in each village of the region (default: the caller's)."""
    code = region_code or principal.region_code
    if code is None or not principal.covers_region(code) or await conn.fetchval(queries.GET_REGION, code) is None:
        raise errors.RegionNotFound()
    villages = rows_to(
        await conn.fetch(queries.SUMMARISE_LIGHTS, region_prefix(code), principal.region_like), VillageLights
    )
    return LightSummary(
        region_code=code,
        villages=villages,
        red=sum(v.red for v in villages),
        yellow=sum(v.yellow for v in villages),
        green=sum(v.green for v in villages),
    )


async def list_rules(conn: asyncpg.Connection, code: str | None = None) -> list[AlertRule]:
    return rows_to(await conn.fetch(queries.LIST_RULES, code), AlertRule)


async def put_threshold(
    conn: asyncpg.Connection, principal: Principal, code: str, province_code: str, year: int, data: ThresholdUpdate
) -> AlertRule:
    """Sets a rule's thresholds for a province and year, audited. Batches evaluated from now on use
    them; alerts already raised keep the threshold they were raised under."""
    async with conn.transaction():
        rule = await conn.fetchrow(queries.GET_RULE_FOR_UPDATE, code)
        if rule is None:
            raise errors.AlertRuleNotFound()
        if await conn.fetchval(queries.GET_PROVINCE, province_code) is None:
            raise errors.ProvinceNotFound()
        unit = ThresholdUnit(rule["unit"]) if rule["unit"] else None
        problem = rules.threshold_problem(Compare(rule["compare"]), unit, data.value, data.red_value)
        if problem:
            raise errors.InvalidThreshold(problem, [ErrorDetail(field="red_value", reason=problem)])
        before = await conn.fetchrow(queries.GET_THRESHOLD, code, province_code, year)
        await conn.execute(
            queries.UPSERT_THRESHOLD,
            code,
            province_code,
            year,
            data.value,
            data.red_value,
            data.note,
            principal.user_id,
        )
        await audit.record(
            conn,
            principal.user_id,
            "alert_threshold.put",
            "alert_rule",
            code,
            {
                "province_code": province_code,
                "year": year,
                "before": dict(before) if before else None,
                "after": msgspec.to_builtins(data),
            },
        )
    return (await list_rules(conn, code))[0]
