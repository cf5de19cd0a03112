"""One batch through the worker: read the stored file, COPY its valid rows into the feed's staging
table and its bad cells into the reject report, chunk by chunk in short transactions (the counts
grow as it goes), then in ONE transaction match the rows to persons, evaluate the rules (or load
the negative list), record the counts and drop the staging rows.

A run holds the batch's advisory lock throughout, so two runs never overlap, and starts by
deleting whatever an earlier, interrupted run left: a retry gives exactly the result of a run that
was never interrupted. The file's clear ID numbers live only in the reader's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import tempfile
import traceback
from collections.abc import Callable, Generator
from pathlib import Path
from typing import cast

import asyncpg

from backend import db
from backend.alerts.service import BatchRef, evaluate_batch
from backend.feeds import queries, rules
from backend.feeds.columns import STAGING_COLUMNS
from backend.feeds.reader import FeedChunk, FeedFileRejected, FeedReader, open_feed
from backend.photos.storage import PhotoStorage, StorageUnavailable, StoredObjectMissing
from backend.pii import Pii
from schemas.feeds import FeedBatchStatus, FeedCode

log = logging.getLogger("fangpin.feeds.pipeline")

LINE_COUNT_BLOCK_BYTES = 1024 * 1024
# Statements over a whole batch (a province's million rows) may run past the pool's 60 s default.
BATCH_STATEMENT_TIMEOUT_S = 1800

Progress = Callable[[FeedBatchStatus, int, int | None], None]  # (status, rows read, rows expected)


class RunOutcome(enum.StrEnum):
    done = "done"
    failed = "failed"
    busy = "busy"  # another run holds the batch
    finished_before = "finished_before"  # done or failed already: nothing to do


async def run_batch(
    pool: asyncpg.Pool,
    storage: PhotoStorage,
    pii: Pii,
    batch_id: int,
    *,
    local_path: Path | None = None,
    on_progress: Progress | None = None,
) -> RunOutcome:
    """Runs the batch to done or failed (a file the reader refuses fails it for good). Other
    errors propagate with the batch left unfinished, for the caller to retry or `fail_batch`.
    `local_path`: the same bytes already on this machine (the CLI), read instead of a fetched copy."""
    async with pool.acquire() as conn:
        if not await conn.fetchval(queries.TRY_LOCK_BATCH, batch_id):
            return RunOutcome.busy
        try:
            return await _run_locked(conn, storage, pii, batch_id, local_path, on_progress)
        finally:
            await _unlock(conn, batch_id)


async def _unlock(conn: asyncpg.Connection, batch_id: int) -> None:
    """The session lock must not outlive the run on a pooled connection: when the unlock cannot be
    sent (the run was cancelled mid-query, the job timed out), the connection is closed, which
    ends the lock too."""
    try:
        await conn.execute(queries.UNLOCK_BATCH, batch_id)
    except BaseException:
        conn.terminate()
        raise


async def _run_locked(
    conn: asyncpg.Connection,
    storage: PhotoStorage,
    pii: Pii,
    batch_id: int,
    local_path: Path | None,
    on_progress: Progress | None,
) -> RunOutcome:
    batch = await conn.fetchrow(queries.GET_BATCH_FOR_RUN, batch_id)
    if batch is None or batch["status"] not in rules.UNFINISHED:
        return RunOutcome.finished_before
    if batch["attempts"] >= rules.MAX_ATTEMPTS:
        await _fail(conn, storage, batch_id, "feed_worker_lost", rules.FAILURE_MESSAGES["feed_worker_lost"])
        return RunOutcome.failed
    ref = BatchRef(id=batch_id, feed=FeedCode(batch["feed"]), region_code=batch["region_code"], period=batch["period"])
    async with conn.transaction():
        await _clear(conn, ref)
        await conn.execute(queries.START_RUN, batch_id)
    log.info(
        "feeds.batch.started", extra={"batch_id": batch_id, "feed": ref.feed.value, "attempt": batch["attempts"] + 1}
    )
    with tempfile.TemporaryDirectory(prefix="fangpin-feed-") as scratch:
        path = local_path
        if path is None:
            path = Path(scratch) / "batch"
            try:
                await storage.get_file(batch["storage_key"], path)
            except StoredObjectMissing:
                await _fail(conn, storage, batch_id, "feed_file_lost", rules.FAILURE_MESSAGES["feed_file_lost"])
                return RunOutcome.failed
        try:
            rows_read = await _load(conn, pii, ref, path, batch["sheet"], on_progress)
        except FeedFileRejected as exc:
            log.info("feeds.batch.file_rejected", extra={"batch_id": batch_id, "code": exc.code})
            await _fail(conn, storage, batch_id, exc.code, exc.message)
            return RunOutcome.failed
    await conn.execute(queries.SET_MATCHING, batch_id, rows_read)
    if on_progress is not None:
        on_progress(FeedBatchStatus.matching, rows_read, rows_read)
    await _finish(conn, storage, ref)
    return RunOutcome.done


async def _clear(conn: asyncpg.Connection, ref: BatchRef) -> None:
    await conn.execute(queries.delete_staging(ref.feed), ref.id, timeout=BATCH_STATEMENT_TIMEOUT_S)
    await conn.execute(queries.DELETE_REJECTS, ref.id, timeout=BATCH_STATEMENT_TIMEOUT_S)


async def _load(
    conn: asyncpg.Connection, pii: Pii, ref: BatchRef, path: Path, sheet: str | None, on_progress: Progress | None
) -> int:
    """COPYs the file's chunks in; the next chunk is parsed (in a thread) while this one is
    written. Returns the data rows read."""
    reader: FeedReader = await asyncio.to_thread(open_feed, path, ref.feed, pii, sheet=sheet)
    expected = None
    if reader.encoding != "xlsx":
        expected = rules.estimate_rows(await asyncio.to_thread(count_lines, path), reader.header_row)
    await conn.execute(queries.SET_FILE_FACTS, ref.id, reader.encoding, reader.header_row, expected)
    columns = ("batch_id", *STAGING_COLUMNS[ref.feed])
    chunks = cast(Generator[FeedChunk, None, None], iter(reader))
    rows_read = 0
    pending = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
    try:
        while (chunk := await pending) is not None:
            pending = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
            await _write_chunk(conn, ref, columns, chunk)
            rows_read = chunk.rows_read
            if on_progress is not None:
                on_progress(FeedBatchStatus.parsing, rows_read, expected)
    finally:
        if not pending.done():  # an error while writing: let the parse in flight end, unused
            with contextlib.suppress(Exception):
                await pending
        chunks.close()  # the reader's generator: its open file and sheet are released now
    return rows_read


async def _write_chunk(conn: asyncpg.Connection, ref: BatchRef, columns: tuple[str, ...], chunk: FeedChunk) -> None:
    async with conn.transaction():
        if chunk.rows:
            await conn.copy_records_to_table(
                rules.staging_table(ref.feed),
                records=[(ref.id, *row) for row in chunk.rows],
                columns=columns,
                timeout=BATCH_STATEMENT_TIMEOUT_S,
            )
        if chunk.rejects:
            await conn.copy_records_to_table(
                "feed_rejects",
                records=[(ref.id, r.row_no, r.column_key, r.value_masked, r.reason) for r in chunk.rejects],
                columns=queries.REJECT_COLUMNS,
                timeout=BATCH_STATEMENT_TIMEOUT_S,
            )
        rejected_rows = len({r.row_no for r in chunk.rejects})
        await conn.execute(queries.ADD_CHUNK_COUNTS, ref.id, chunk.rows_read, rejected_rows, len(chunk.rows))


async def _finish(conn: asyncpg.Connection, storage: PhotoStorage, ref: BatchRef) -> None:
    """Matching, the rules and the final counts: all of it or none of it."""
    # Fresh statistics, before matching and again after: a staging table just filled looks empty
    # to the planner, which then nests loops over it (300,000 rows against 450 persons: matching
    # 35 s instead of 0.3 s; the rules, which read the matched rows, 6.8 s instead of 0.4 s).
    analyze = queries.analyze_staging(ref.feed)
    await conn.execute(analyze, timeout=BATCH_STATEMENT_TIMEOUT_S)
    async with conn.transaction():
        await conn.execute(db.BULK_TRANSACTION)
        status = await conn.execute(
            queries.match_staging(ref.feed),
            ref.id,
            rules.region_like(ref.region_code),
            timeout=BATCH_STATEMENT_TIMEOUT_S,
        )
        matched = int(status.split()[-1])
        await conn.execute(analyze, timeout=BATCH_STATEMENT_TIMEOUT_S)
        if ref.feed is FeedCode.negative_list:
            await conn.execute(queries.REPLACE_NEGATIVE_LIST_ENTRIES, ref.id, ref.region_code, ref.period)
            await conn.execute(
                queries.INSERT_NEGATIVE_LIST_ENTRIES, ref.id, ref.period, timeout=BATCH_STATEMENT_TIMEOUT_S
            )
            alerts = 0
        else:
            alerts = await evaluate_batch(conn, ref)
        key = await conn.fetchval(queries.FINISH_BATCH, ref.id, matched, alerts)
        await conn.execute(queries.delete_staging(ref.feed), ref.id, timeout=BATCH_STATEMENT_TIMEOUT_S)
    log.info("feeds.batch.done", extra={"batch_id": ref.id, "rows_matched": matched, "alerts_raised": alerts})
    await _forget_file(storage, key)


async def fail_batch(pool: asyncpg.Pool, storage: PhotoStorage, batch_id: int, code: str) -> bool:
    """Fails an unfinished batch with one of rules.FAILURE_MESSAGES, unless a run holds it (a
    run that started meanwhile decides its fate). True when it was failed."""
    async with pool.acquire() as conn:
        if not await conn.fetchval(queries.TRY_LOCK_BATCH, batch_id):
            return False
        try:
            return await _fail(conn, storage, batch_id, code, rules.FAILURE_MESSAGES[code])
        finally:
            await _unlock(conn, batch_id)


async def _fail(conn: asyncpg.Connection, storage: PhotoStorage, batch_id: int, code: str, message: str) -> bool:
    """Leaves nothing of the batch but its row saying why: no staging rows, no rejects, no alerts
    (the rules run only in the finishing transaction). False when it had finished already."""
    async with conn.transaction():
        key = await conn.fetchval(queries.FAIL_BATCH, batch_id, code, message)
        if key is None:
            return False
        feed = FeedCode(await conn.fetchval(queries.GET_BATCH_FEED, batch_id))
        await conn.execute(queries.delete_staging(feed), batch_id, timeout=BATCH_STATEMENT_TIMEOUT_S)
        await conn.execute(queries.DELETE_REJECTS, batch_id, timeout=BATCH_STATEMENT_TIMEOUT_S)
    log.warning("feeds.batch.failed", extra={"batch_id": batch_id, "failure_code": code})
    await _forget_file(storage, key)
    return True


async def _forget_file(storage: PhotoStorage, key: str) -> None:
    """The stored file holds clear ID numbers: it is kept only while its batch may still run."""
    try:
        await storage.delete(key)
    except StorageUnavailable:
        log.warning("feeds.storage.delete_failed", extra={"storage_key": key})


def count_lines(path: Path) -> int:
    lines, last = 0, b"\n"
    with path.open("rb") as source:
        while block := source.read(LINE_COUNT_BLOCK_BYTES):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


def error_summary(exc: BaseException) -> str:
    """An error's type and where it was raised, never its message: an error raised while a row
    was parsed may quote the row, clear ID number included."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else ""
    return f"{type(exc).__module__}.{type(exc).__qualname__}{where}"
