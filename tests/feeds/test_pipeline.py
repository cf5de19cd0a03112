"""The pipeline and its job without the API: counts that grow chunk by chunk, a retry after an
interrupted run, runs that never overlap, the lost-batch sweep, the negative list, the CLI."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import asyncpg
import pytest
from arq.connections import ArqRedis

from backend.cli import build_parser
from backend.feeds import pipeline, queries, service
from backend.feeds.cli import run_import_department_cli
from backend.photos.storage import storage_for
from backend.pii import Pii
from backend.settings import Settings
from schemas.feeds import FeedCode, FeedSource
from tests.factories import COUNTY_A, World, make_id_number
from tests.feeds.conftest import (
    batch_outcome,
    batch_row,
    csv_file,
    forget_batch,
    medical_rows,
    run_worker,
    staging_count,
    stored_feed_files,
)

NEGATIVE_HEADER = ("id_number", "kind", "source_department", "description", "amount")


async def new_batch(
    pool: asyncpg.Pool,
    settings: Settings,
    tmp_path: Path,
    content: bytes,
    *,
    feed: FeedCode = FeedCode.medical,
    period: dt.date = dt.date(2026, 10, 1),
) -> int:
    """A stored batch whose job was never queued (as if Redis were down at upload)."""
    path = tmp_path / f"{hashlib.sha256(content).hexdigest()[:8]}.csv"
    path.write_bytes(content)
    new = service.NewBatch(
        feed=feed,
        region_code=COUNTY_A,
        period=period,
        source=FeedSource.upload,
        uploaded_by=None,
        file_name=path.name,
        sha256=hashlib.sha256(content).digest(),
        size_bytes=len(content),
        sheet=None,
    )
    async with pool.acquire() as conn:
        batch_id, created, _ = await service.store_batch(conn, storage_for(settings), new, path)
    assert created
    return batch_id


def big_medical_file(world: World, rows: int) -> bytes:
    """`rows` rows over the registry's county A members and strangers, every 100th one bad."""
    members = [n for k in ("a1a", "a1b", "a2a") for n in world.households[k].id_numbers]
    strangers = [make_id_number("19900101") for _ in range(50)]
    numbers = [members[i % len(members)] if i % 3 == 0 else strangers[i % len(strangers)] for i in range(rows)]
    amounts = ["abc" if i % 100 == 99 else str(100 + i % 900) for i in range(rows)]
    return csv_file(medical_rows(numbers, amounts))


async def test_counts_grow_chunk_by_chunk_while_the_file_is_read(
    pool: asyncpg.Pool, settings: Settings, pii: Pii, world: World, tmp_path: Path
) -> None:
    batch_id = await new_batch(pool, settings, tmp_path, big_medical_file(world, 100_000))
    seen: list[tuple] = []

    async def watch() -> None:
        while True:
            row = await batch_row(pool, batch_id)
            seen.append((row["status"], row["rows_read"], row["rows_loaded"], row["rows_rejected"]))
            await asyncio.sleep(0.005)

    progress: list[tuple] = []
    watcher = asyncio.create_task(watch())
    try:
        outcome = await pipeline.run_batch(
            pool, storage_for(settings), pii, batch_id, on_progress=lambda *p: progress.append(p)
        )
    finally:
        watcher.cancel()
    assert outcome is pipeline.RunOutcome.done
    parsing = [p for p in progress if p[0] == "parsing"]
    assert len(parsing) >= 3 and [p[1] for p in parsing] == sorted(p[1] for p in parsing)
    assert parsing[-1][1:] == (100_000, 100_000)  # rows read, rows expected (from the line count)
    assert progress[-1][0] == "matching"
    midway = [s for s in seen if s[0] == "parsing" and 0 < s[1] < 100_000]
    assert midway, seen[:5]
    assert all(s[2] + s[3] == s[1] for s in midway)  # loaded + rejected = read, at every moment
    row = await batch_row(pool, batch_id)
    assert (row["rows_read"], row["rows_rejected"], row["rows_loaded"]) == (100_000, 1_000, 99_000)
    assert row["rows_expected"] == 100_000


async def test_a_retry_after_an_interrupted_run_gives_the_same_result(
    pool: asyncpg.Pool, settings: Settings, pii: Pii, world: World, tmp_path: Path
) -> None:
    content = big_medical_file(world, 60_000)
    storage = storage_for(settings)
    calm = await new_batch(pool, settings, tmp_path, content)
    assert await pipeline.run_batch(pool, storage, pii, calm) is pipeline.RunOutcome.done
    expected_counts, expected_alerts = await batch_outcome(pool, calm)
    assert expected_alerts
    await forget_batch(pool, calm)

    stormy = await new_batch(pool, settings, tmp_path, content)

    def crash(status: str, rows_read: int, _: int | None) -> None:
        if rows_read >= 40_000:
            raise RuntimeError("the worker died")

    with pytest.raises(RuntimeError):
        await pipeline.run_batch(pool, storage, pii, stormy, on_progress=crash)
    interrupted = await batch_row(pool, stormy)
    assert interrupted["status"] == "parsing" and interrupted["rows_loaded"] > 0  # half a batch is there
    assert await pipeline.run_batch(pool, storage, pii, stormy) is pipeline.RunOutcome.done
    assert await batch_outcome(pool, stormy) == (expected_counts, expected_alerts)
    assert (await batch_row(pool, stormy))["attempts"] == 2
    assert await staging_count(pool) == 0


async def test_two_runs_never_overlap_and_a_finished_batch_is_left_alone(
    pool: asyncpg.Pool, settings: Settings, pii: Pii, world: World, tmp_path: Path, redis: ArqRedis
) -> None:
    storage = storage_for(settings)
    batch_id = await new_batch(pool, settings, tmp_path, big_medical_file(world, 100))
    async with pool.acquire() as holder:
        assert await holder.fetchval(queries.TRY_LOCK_BATCH, batch_id)
        await pool.execute("UPDATE feed_batches SET status = 'parsing' WHERE id = $1", batch_id)
        assert await pipeline.run_batch(pool, storage, pii, batch_id) is pipeline.RunOutcome.busy
        assert await service.enqueue_lost_batches(pool, redis, settings, limit=10) == 0  # held: not lost
        assert not await pipeline.fail_batch(pool, storage, batch_id, "feed_worker_failed")
        await holder.execute(queries.UNLOCK_BATCH, batch_id)
    assert await pipeline.run_batch(pool, storage, pii, batch_id) is pipeline.RunOutcome.done
    assert await pipeline.run_batch(pool, storage, pii, batch_id) is pipeline.RunOutcome.finished_before
    assert (await batch_row(pool, batch_id))["attempts"] == 1


async def test_the_sweep_runs_batches_whose_job_was_lost(
    pool: asyncpg.Pool, settings: Settings, world: World, tmp_path: Path, redis: ArqRedis
) -> None:
    lost = await new_batch(pool, settings, tmp_path, big_medical_file(world, 10))
    fresh = await new_batch(pool, settings, tmp_path, big_medical_file(world, 11))
    await pool.execute("UPDATE feed_batches SET created_at = now() - interval '5 minutes' WHERE id = $1", lost)
    await run_worker(settings)  # nothing queued: its start-up sweep finds the lost batch
    assert (await batch_row(pool, lost))["status"] == "done"
    assert (await batch_row(pool, fresh))["status"] == "queued"  # its own job may still come


async def test_a_batch_that_keeps_dying_or_lost_its_file_fails_with_a_reason(
    pool: asyncpg.Pool, settings: Settings, pii: Pii, world: World, tmp_path: Path
) -> None:
    storage = storage_for(settings)
    dying = await new_batch(pool, settings, tmp_path, big_medical_file(world, 10))
    await pool.execute("UPDATE feed_batches SET attempts = 5, status = 'parsing' WHERE id = $1", dying)
    assert await pipeline.run_batch(pool, storage, pii, dying) is pipeline.RunOutcome.failed
    row = await batch_row(pool, dying)
    assert (row["status"], row["failure_code"]) == ("failed", "feed_worker_lost") and "5 次" in row["failure_message"]

    lost_file = await new_batch(pool, settings, tmp_path, big_medical_file(world, 12))
    for name in stored_feed_files(settings):
        (settings.data_path / "photos" / "feeds" / name).unlink()
    assert await pipeline.run_batch(pool, storage, pii, lost_file) is pipeline.RunOutcome.failed
    assert (await batch_row(pool, lost_file))["failure_code"] == "feed_file_lost"


async def test_negative_list_batches_load_matched_members_replacing_the_same_source_and_month(
    pool: asyncpg.Pool, settings: Settings, pii: Pii, world: World, tmp_path: Path
) -> None:
    storage = storage_for(settings)
    a1a, b1a = world.households["a1a"], world.households["b1a"]
    stranger = make_id_number("19900101")

    def listing(rows: list[tuple[str, ...]]) -> bytes:
        return csv_file(rows, header=NEGATIVE_HEADER)

    first = await new_batch(
        pool,
        settings,
        tmp_path,
        listing(
            [
                (a1a.id_numbers[0], "vehicle", "车管", "小型轿车 桂A·12345", "150000"),
                (a1a.id_numbers[1], "commercial_housing", "不动产", "商品房 120㎡", ""),
                (stranger, "vehicle", "车管", "货车", ""),
                (b1a.id_numbers[0], "vehicle", "车管", "轿车", ""),  # county B: outside the batch
            ]
        ),
        feed=FeedCode.negative_list,
    )
    assert await pipeline.run_batch(pool, storage, pii, first) is pipeline.RunOutcome.done
    entries = await pool.fetch("SELECT kind, source_department, evidence FROM negative_list_entries ORDER BY kind")
    assert [(e["kind"], e["source_department"]) for e in entries] == [
        ("commercial_housing", "不动产"),
        ("vehicle", "车管"),
    ]
    assert entries[1]["evidence"]["description"] == "小型轿车 桂A·12345"
    assert entries[1]["evidence"]["amount_fen"] == 15_000_000
    assert (await batch_row(pool, first))["rows_matched"] == 2

    # 车管 corrects its October list: its entries are replaced, 不动产's stay.
    corrected = await new_batch(
        pool,
        settings,
        tmp_path,
        listing([(a1a.id_numbers[2], "vehicle", "车管", "摩托车", "")]),
        feed=FeedCode.negative_list,
    )
    assert await pipeline.run_batch(pool, storage, pii, corrected) is pipeline.RunOutcome.done
    held = await pool.fetch(
        "SELECT n.source_department, p.id FROM negative_list_entries n JOIN persons p USING (id_number_bidx) ORDER BY 1"
    )
    assert [(h["source_department"], h["id"]) for h in held] == [
        ("不动产", a1a.member_ids[1]),
        ("车管", a1a.member_ids[2]),
    ]
    assert await pool.fetchval("SELECT count(*) FROM alerts") == 0


async def test_the_cli_runs_a_batch_in_process_and_writes_the_rejects_beside_the_file(
    pool: asyncpg.Pool, settings: Settings, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = build_parser().parse_args(
        ["import-department", "x.csv", "--feed", "medical", "--region", "450102", "--period", "2026-10"]
    )
    assert (args.feed, args.region, args.period, args.sheet) == ("medical", "450102", "2026-10", None)
    path = tmp_path / "医保10月.csv"
    path.write_bytes(big_medical_file(world, 300))
    assert await run_import_department_cli(settings, str(path), "medical", "450102", "2026-10", None)
    out = capsys.readouterr().out
    assert "读取 300 行，有误 3 行，载入 297 行" in out
    row = await pool.fetchrow("SELECT source, uploaded_by, region_code, status FROM feed_batches")
    assert tuple(row) == ("cli", None, COUNTY_A, "done")
    report = path.with_name(path.name + ".rejects.csv").read_bytes()
    assert report.startswith("\ufeff".encode())
    assert len(list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))) == 1 + 3 * 2  # 总费用 and 个人自付

    assert not await run_import_department_cli(settings, str(path), "medical", "450102", "2027-01", None)
    assert "还没有到" in capsys.readouterr().out
    assert await run_import_department_cli(settings, str(path), "medical", "450102000000", "2026-10", None)
    assert "已经导入过" in capsys.readouterr().out
    assert await pool.fetchval("SELECT count(*) FROM feed_batches") == 1
