"""Raising alerts: a finished feed batch's rules, the income rule for a region, the traffic lights.

Everything here runs on the caller's connection inside one transaction (a savepoint when the
caller already holds one), set-based, and is safe to run again: the dedupe key (household,
person, rule, period) never lets a re-run raise an alert twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg
import msgspec

from backend import db
from backend.alerts import feed_queries, queries, rules
from backend.calendar.rules import local_date
from backend.regions.rules import region_prefix
from schemas.alerts import BatchRef
from schemas.feeds import FeedCode

__all__ = ["BatchRef", "evaluate_batch", "evaluate_income", "evaluate_income_everywhere", "refresh_traffic_lights"]

log = logging.getLogger("fangpin.alerts")


class _FeedRules(NamedTuple):
    raise_sql: str
    months: int | None  # the statement's $5: a look-back or "new" window, in months


_FEED_RULES = {
    FeedCode.medical: _FeedRules(feed_queries.RAISE_MEDICAL, rules.MEDICAL_LOOKBACK_MONTHS),
    FeedCode.welfare: _FeedRules(feed_queries.RAISE_WELFARE, rules.NEW_WITHIN_MONTHS),
    FeedCode.education: _FeedRules(feed_queries.RAISE_EDUCATION, None),
    FeedCode.housing: _FeedRules(feed_queries.RAISE_HOUSING, None),
    FeedCode.disability: _FeedRules(feed_queries.RAISE_DISABILITY, rules.NEW_WITHIN_MONTHS),
    FeedCode.employment: _FeedRules(feed_queries.RAISE_EMPLOYMENT, None),
    FeedCode.disaster: _FeedRules(feed_queries.RAISE_DISASTER, None),
    FeedCode.civil_registry: _FeedRules(feed_queries.RAISE_DEATH, None),
    FeedCode.water: _FeedRules(feed_queries.RAISE_WATER, None),
}


async def evaluate_batch(conn: asyncpg.Connection, batch: BatchRef) -> int:
    """Applies the feed's rules to the batch's matched staging rows, then the income rule to the
    households they touched; keeps the medical look-back, flags registry updates, refreshes the
    traffic lights and writes the outbox rows. Returns how many alerts were newly raised (0 on a
    re-run); stores on the batch how many matches the exemption list kept back
    (`alerts_exempted`). A negative-list batch raises nothing here."""
    feed_rules = _FEED_RULES.get(batch.feed)
    if feed_rules is None:
        return 0
    thresholds = await resolve_thresholds(conn, rules.province_of(batch.region_code), batch.period.year)
    async with conn.transaction():
        await conn.execute(db.BULK_TRANSACTION)
        if batch.feed is FeedCode.medical:
            await conn.execute(feed_queries.UPSERT_MEDICAL_MONTH, batch.id, batch.period, batch.region_code)
        if batch.feed is FeedCode.civil_registry:
            await conn.execute(feed_queries.FLAG_REGISTRY_UPDATES, batch.id)
        extra = () if feed_rules.months is None else (feed_rules.months,)
        raised, exempted = await _raise(conn, feed_rules.raise_sql, batch.id, batch.period, thresholds, *extra)
        income_raised, income_exempted = await _raise(
            conn, feed_queries.RAISE_INCOME_FOR_BATCH[batch.feed], batch.id, batch.period, thresholds
        )
        raised += income_raised
        await conn.execute(queries.SET_BATCH_EXEMPTED, batch.id, exempted + income_exempted)
        await _after_raising(conn, raised, batch.id)
    log.info(
        "alerts.batch.evaluated",
        extra={"batch_id": batch.id, "feed": batch.feed.value, "raised": len(raised),
               "exempted": exempted + income_exempted},
    )
    return len(raised)


async def evaluate_income(conn: asyncpg.Connection, region_code: str, *, today: dt.date | None = None) -> int:
    """The income rule (SR-01) for every household of the region, against each household's latest
    survey up to this year: for a cron or the CLI after surveys or monitoring lines changed.
    Returns how many alerts were newly raised."""
    today = today or local_date(dt.datetime.now(dt.UTC))
    period = today.replace(day=1)
    thresholds = await resolve_thresholds(conn, rules.province_of(region_code), today.year)
    async with conn.transaction():
        await conn.execute(db.BULK_TRANSACTION)
        raised, _ = await _raise(
            conn, feed_queries.RAISE_INCOME_IN_REGION, None, period, thresholds, region_prefix(region_code) + "%"
        )
        await _after_raising(conn, raised, None)
    log.info("alerts.income.evaluated", extra={"region_code": region_code, "raised": len(raised)})
    return len(raised)


async def evaluate_income_everywhere(pool: asyncpg.Pool, *, today: dt.date | None = None) -> int:
    """The income rule for each province in turn, one transaction each (the daily cron)."""
    raised = 0
    for province in await pool.fetch(queries.LIST_PROVINCES):
        async with pool.acquire() as conn:
            raised += await evaluate_income(conn, province["code"], today=today)
    return raised


async def refresh_traffic_lights(conn: asyncpg.Connection, household_ids: Sequence[int]) -> None:
    """Sets each household's 红黄绿 to its worst open alert (green without one). Call it in the
    transaction that opens or closes alerts."""
    await conn.execute(queries.REFRESH_TRAFFIC_LIGHTS, list(household_ids), list(rules.OPEN_STATUSES))


async def resolve_thresholds(conn: asyncpg.Connection, province_code: str, year: int) -> list[rules.Threshold]:
    """The threshold each rule applies to a batch of this province and year."""
    rows = await conn.fetch(queries.RESOLVE_THRESHOLDS, province_code, year)
    return [rules.Threshold(province_code=province_code, **dict(r)) for r in rows]


async def _raise(
    conn: asyncpg.Connection,
    sql: str,
    batch_id: int | None,
    period: dt.date,
    thresholds: list[rules.Threshold],
    *extra: object,
) -> tuple[list[int], int]:
    """The ids of the alerts newly raised, and how many matches an exemption kept back."""
    applied = [{"code": t.code, "value": t.value, "red_value": t.red_value, "applied": t.applied()} for t in thresholds]
    rows = await conn.fetch(
        sql, batch_id, period, msgspec.json.encode(applied).decode(), list(rules.OPEN_STATUSES), *extra
    )
    raised = [r["id"] for r in rows if r["id"] is not None]
    return raised, len(rows) - len(raised)


async def _after_raising(conn: asyncpg.Connection, alert_ids: list[int], batch_id: int | None) -> None:
    if not alert_ids:
        return
    households = [r["household_id"] for r in await conn.fetch(queries.HOUSEHOLDS_OF_ALERTS, alert_ids)]
    await refresh_traffic_lights(conn, households)
    await conn.execute(queries.NOTIFY_NEW_ALERTS, alert_ids, batch_id)
