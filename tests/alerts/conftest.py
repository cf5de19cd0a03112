"""Feed batches built by hand the way the pipeline leaves them for the rules: a batch row, staging
rows keyed by blind index and masked ID, matched to persons; then `evaluate_batch`."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from backend.alerts.service import BatchRef, evaluate_batch
from backend.pii import Pii, mask_id_number
from schemas.feeds import FeedCode
from tests.factories import COUNTY_A, World

PERIOD = dt.date(2026, 10, 1)
_files = itertools.count(1)

# The pipeline's matching, as plain SQL: staging rows to persons by blind index.
MATCH = """
UPDATE feed_rows_{feed} f
SET person_id = p.id, household_id = p.household_id
FROM persons p
WHERE f.batch_id = $1 AND p.id_number_bidx = f.id_number_bidx
"""


@dataclass
class Feeds:
    pool: asyncpg.Pool
    pii: Pii
    world: World

    async def batch(
        self,
        feed: FeedCode,
        rows: list[dict[str, Any]],
        *,
        period: dt.date = PERIOD,
        region: str = COUNTY_A,
    ) -> tuple[BatchRef, int]:
        """A batch of `rows` (each with `id_number` in clear, or `village_code` for water), matched
        and evaluated in one transaction; returns the batch and the alerts it raised."""
        async with self.pool.acquire() as conn, conn.transaction():
            ref = await self.stage(conn, feed, rows, period=period, region=region)
            raised = await evaluate_batch(conn, ref)
        return ref, raised

    async def stage(
        self, conn: asyncpg.Connection, feed: FeedCode, rows: list[dict[str, Any]], *, period: dt.date, region: str
    ) -> BatchRef:
        n = next(_files)
        batch_id = await conn.fetchval(
            "INSERT INTO feed_batches (feed, region_code, period, source, file_name, file_sha256, size_bytes, "
            "storage_key, status) VALUES ($1, $2, $3, 'cli', $4, $5, 0, $4, 'matching') RETURNING id",
            feed.value,
            region,
            period,
            f"{feed.value}-{n}.csv",
            hashlib.sha256(str(n).encode()).digest(),
        )
        for row_no, row in enumerate(rows, start=2):
            values = dict(row)
            number = values.pop("id_number", None)
            if number is not None:
                values["id_number_bidx"] = self.pii.id_index(number)
                values["id_number_masked"] = mask_id_number(number)
            columns = ["batch_id", "row_no", *values]
            placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
            await conn.execute(
                f"INSERT INTO feed_rows_{feed.value} ({', '.join(columns)}) VALUES ({placeholders})",
                batch_id,
                row_no,
                *values.values(),
            )
        await conn.execute(MATCH.format(feed=feed.value), batch_id)
        return BatchRef(id=batch_id, feed=feed, region_code=region, period=period)

    async def alerts(self, **where: object) -> list[asyncpg.Record]:
        clauses = " AND ".join(f"{k} = ${i}" for i, k in enumerate(where, start=1)) or "true"
        return await self.pool.fetch(
            "SELECT id, household_id, person_id, rule_code, risk_type, level, period, why, evidence, threshold, "
            f"batch_id, status FROM alerts WHERE {clauses} ORDER BY id",
            *where.values(),
        )

    async def light(self, household_id: int) -> str:
        return await self.pool.fetchval("SELECT traffic_light FROM households WHERE id = $1", household_id)


@pytest.fixture
def feeds(pool: asyncpg.Pool, pii: Pii, world: World) -> Feeds:
    return Feeds(pool, pii, world)


def yuan(amount: str) -> int:
    """'10000.01' → 1000001 fen."""
    whole, _, cents = amount.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])
