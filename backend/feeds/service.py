"""Department feed batches: accept a file inside the caller's feeds and region, store it once per
(feed, region, month, bytes), queue its job, and show the batches and their reject reports to
those who may see them."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import asyncpg
import msgspec
from arq.connections import ArqRedis

from backend import audit
from backend.auth import Principal, utcnow
from backend.feeds import errors, queries, rules
from backend.feeds.columns import SPECS
from backend.photos.storage import PhotoStorage, StorageUnavailable
from backend.queue import enqueue_after_commit
from backend.settings import Settings
from backend.uploads import receive_upload
from schemas.base import PageMeta, Role
from schemas.feeds import FeedBatch, FeedBatchPage, FeedBatchStatus, FeedCode, FeedSource, FeedUploadForm

log = logging.getLogger("fangpin.feeds")

PROCESS_JOB = "feeds_process"
REJECTS_PAGE_ROWS = 5000


class NewBatch(msgspec.Struct, frozen=True, kw_only=True):
    feed: FeedCode
    region_code: str
    period: dt.date
    source: FeedSource
    uploaded_by: int | None
    file_name: str
    sha256: bytes
    size_bytes: int
    sheet: str | None


def process_job_id(settings: Settings, batch_id: int, *, sweep: bool = False) -> str:
    """One queued job per batch from the upload and one from the sweep: the sweep never piles up
    jobs behind a busy queue, and never waits for a killed worker's job to time out."""
    return f"{settings.redis_prefix}{PROCESS_JOB}:{batch_id}{':sweep' if sweep else ''}"


async def enqueue_batch(redis: ArqRedis, settings: Settings, batch_id: int, *, sweep: bool = False) -> bool:
    return await enqueue_after_commit(
        redis, PROCESS_JOB, batch_id, _job_id=process_job_id(settings, batch_id, sweep=sweep)
    )


# Scope -----------------------------------------------------------------------------------------


async def _feeds_in_view(conn: asyncpg.Connection, principal: Principal) -> list[str]:
    feeds = await conn.fetchval(queries.GET_USER_FEEDS, principal.user_id) if principal.role is Role.department else []
    return rules.feeds_in_view(principal, feeds or [])


async def check_new_batch(
    conn: asyncpg.Connection, principal: Principal | None, form: FeedUploadForm, now: dt.datetime
) -> tuple[FeedCode, str, dt.date, str | None]:
    """(feed, 12-digit region, period, sheet) of an upload form, or the error naming what was
    wrong. `principal` None: the operator's CLI, unscoped."""
    feed = rules.parse_feed(form.feed)
    if principal is not None and feed.value not in await _feeds_in_view(conn, principal):
        raise errors.FeedTypeNotAllowed(rules.FEED_LABELS[feed])
    period = rules.parse_period(form.period, rules.local_today(now))
    region_text = form.region_code or (principal.region_code if principal else None)
    if not region_text:
        raise errors.FeedRegionInvalid("")
    region_code = rules.normalize_region(region_text)
    if principal is not None:
        rules.check_region_in_scope(principal, region_code)
    if await conn.fetchval(queries.REGION_EXISTS, region_code) is None:
        raise errors.FeedRegionNotFound(region_code)
    return feed, region_code, period, rules.check_sheet(form.sheet)


# Upload ----------------------------------------------------------------------------------------


async def upload_batch(
    conn: asyncpg.Connection,
    redis: ArqRedis,
    storage: PhotoStorage,
    settings: Settings,
    principal: Principal,
    body: AsyncIterator[bytes],
    content_type: str,
    content_length: int | None,
) -> tuple[FeedBatch, bool]:
    """Accepts one department file; returns its batch and whether the batch is new.

    The body is refused as soon as it passes `feed_max_bytes`; a refused upload stores nothing.
    The same bytes for the same feed, region and month return the existing batch (a failed one is
    started again from these bytes). The job is queued after the commit.
    """
    if principal.role is Role.department and not await _feeds_in_view(conn, principal):
        raise errors.FeedTypeNotAllowed()  # refused before a byte of the body is read
    async with receive_upload(
        body, content_type, content_length, max_file_bytes=settings.feed_max_bytes, errors=errors.UPLOAD_ERRORS,
        spool_dir=settings.upload_spool_path,
    ) as upload:
        try:
            form = msgspec.convert(upload.fields, FeedUploadForm)
        except msgspec.ValidationError as exc:
            raise errors.FeedFormInvalid(f"表单字段有误：{exc}") from None
        feed, region_code, period, sheet = await check_new_batch(conn, principal, form, utcnow())
        new = NewBatch(
            feed=feed,
            region_code=region_code,
            period=period,
            source=FeedSource.upload,
            uploaded_by=principal.user_id,
            file_name=rules.file_name_of(upload.filename),
            sha256=upload.sha256,
            size_bytes=upload.size_bytes,
            sheet=sheet,
        )
        batch_id, created, queue_it = await store_batch(conn, storage, new, upload.path)
    if queue_it:
        await enqueue_batch(redis, settings, batch_id)
    return await get_batch(conn, principal, batch_id), created


async def store_batch(
    conn: asyncpg.Connection, storage: PhotoStorage, new: NewBatch, path: Path
) -> tuple[int, bool, bool]:
    """(batch id, created, to be queued). One transaction; the file is stored inside it, so a
    failed write leaves no batch, and a failed insert at most an unreferenced object."""
    async with conn.transaction():
        existing = await conn.fetchrow(
            queries.GET_BATCH_BY_CONTENT, new.feed.value, new.region_code, new.period, new.sha256
        )
        if existing is not None and existing["status"] != FeedBatchStatus.failed:
            return existing["id"], False, False
        key = rules.storage_key(new.sha256, secrets.token_hex(8))
        if existing is not None:
            batch_id, created = existing["id"], False
            await conn.execute(queries.REQUEUE_FAILED_BATCH, batch_id, key, new.sheet, new.file_name)
        else:
            batch_id, created = await _insert(conn, new, key), True
            if batch_id is None:  # the same file, sent twice at once: the other one won
                return await store_batch(conn, storage, new, path)
        try:
            await storage.put_file(key, path)
        except StorageUnavailable:
            log.warning("feeds.storage.put_failed", exc_info=True)
            raise errors.FeedStorageUnavailable() from None
        await audit.record(
            conn,
            new.uploaded_by,
            "feed_batch.upload" if created else "feed_batch.retry",
            "feed_batch",
            batch_id,
            {
                "feed": new.feed.value,
                "region_code": new.region_code,
                "period": rules.period_label(new.period),
                "source": new.source.value,
                "size_bytes": new.size_bytes,
            },
        )
    return batch_id, created, True


async def _insert(conn: asyncpg.Connection, new: NewBatch, key: str) -> int | None:
    return await conn.fetchval(
        queries.INSERT_BATCH,
        new.feed.value,
        new.region_code,
        new.period,
        new.source.value,
        new.uploaded_by,
        new.file_name,
        new.sha256,
        new.size_bytes,
        key,
        new.sheet,
    )


# Reading ---------------------------------------------------------------------------------------


def batch_view(row: asyncpg.Record) -> FeedBatch:
    fields = dict(row)
    fields["progress_percent"] = rules.progress_percent(
        FeedBatchStatus(row["status"]), row["rows_read"], row["rows_expected"]
    )
    return msgspec.convert(fields, FeedBatch)


async def get_batch(conn: asyncpg.Connection, principal: Principal, batch_id: int) -> FeedBatch:
    """A batch the caller may see (its status and counts as they grow); out of scope is not found."""
    row = await conn.fetchrow(
        queries.GET_BATCH_IN_SCOPE, principal.region_like, await _feeds_in_view(conn, principal), batch_id
    )
    if row is None:
        raise errors.FeedBatchNotFound()
    return batch_view(row)


async def get_batch_unscoped(conn: asyncpg.Connection, batch_id: int) -> FeedBatch:
    """For the operator's CLI."""
    row = await conn.fetchrow(queries.GET_BATCH_IN_SCOPE, "%", [f.value for f in FeedCode], batch_id)
    if row is None:
        raise errors.FeedBatchNotFound()
    return batch_view(row)


async def list_batches(conn: asyncpg.Connection, principal: Principal, page: int, page_size: int) -> FeedBatchPage:
    """The batches the caller may see, newest first."""
    scope = (principal.region_like, await _feeds_in_view(conn, principal))
    rows = await conn.fetch(queries.LIST_BATCHES_IN_SCOPE, *scope, page_size, (page - 1) * page_size)
    total = await conn.fetchval(queries.COUNT_BATCHES_IN_SCOPE, *scope)
    return FeedBatchPage(
        items=[batch_view(r) for r in rows], meta=PageMeta(total=total, page=page, page_size=page_size)
    )


async def reject_pages(pool: asyncpg.Pool, batch: FeedBatch) -> AsyncIterator[Sequence[Sequence[object]]]:
    """The reject report's rows (行号, 列 by its Chinese name, 值, 原因) in pages, each page its own
    short query."""
    labels = {c.key: c.label for c in SPECS[batch.feed].columns}
    after: tuple[int, str] = (0, "")
    while True:
        rows = await pool.fetch(queries.LIST_REJECTS_AFTER, batch.id, *after, REJECTS_PAGE_ROWS)
        if not rows:
            return
        yield [
            (r["row_no"], labels.get(r["column_key"], r["column_key"]), r["value_masked"], r["reason"]) for r in rows
        ]
        after = (rows[-1]["row_no"], rows[-1]["column_key"])


# The sweep -------------------------------------------------------------------------------------


async def enqueue_lost_batches(pool: asyncpg.Pool, redis: ArqRedis, settings: Settings, *, limit: int) -> int:
    """Queues the batches no worker holds that should have one (their job was lost while Redis
    was down, or its worker was killed). Returns how many."""
    async with pool.acquire() as conn:
        candidates = [
            r["id"]
            for r in await conn.fetch(queries.LIST_LOST_BATCH_CANDIDATES, float(rules.QUEUED_LOST_AFTER_S), limit)
        ]
        if not candidates:
            return 0
        idle = [r["id"] for r in await conn.fetch(queries.LOCK_IDLE_BATCHES, candidates)]
        await conn.execute(queries.UNLOCK_BATCHES, idle)
    for batch_id in idle:
        log.info("feeds.sweep.requeued", extra={"batch_id": batch_id})
        await enqueue_batch(redis, settings, batch_id, sweep=True)
    return len(idle)
