"""`fangpin import-department FILE --feed medical --region 660121 --period 2026-10 [--sheet S]`:
the same batch as an upload, run in this process with a progress bar, for an operator on the
server with a file too large to send through a browser.

The file is stored like an upload, so if this process dies the worker's sweep finishes the batch.
The bar is rich's (installed with litestar already): rows read, rows per second, time left.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from backend import tabular
from backend.auth import utcnow
from backend.db import create_pool
from backend.errors import DomainError
from backend.feeds import errors, pipeline, rules, service
from backend.photos.storage import PhotoStorage, storage_for
from backend.pii import Pii
from backend.settings import Settings
from schemas.feeds import FeedBatch, FeedBatchStatus, FeedSource, FeedUploadForm

HASH_BLOCK_BYTES = 1024 * 1024
# Their INFO lines (batch started, done) would break up the bar.
QUIET_LOGGERS = ("fangpin.feeds", "fangpin.alerts")


def summary(batch: FeedBatch) -> str:
    head = f"部门数据批次 #{batch.id}（{rules.FEED_LABELS[batch.feed]} {batch.region_code} {batch.period}）"
    if batch.status is FeedBatchStatus.failed:
        return f"{head}: 失败 — {batch.failure_message}"
    return (
        f"{head}: 读取 {batch.rows_read} 行，有误 {batch.rows_rejected} 行，载入 {batch.rows_loaded} 行，"
        f"匹配到人 {batch.rows_matched} 行，新预警 {batch.alerts_raised} 条"
    )


def file_digest(path: Path) -> tuple[bytes, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as source:
        while block := source.read(HASH_BLOCK_BYTES):
            digest.update(block)
            size += len(block)
    return digest.digest(), size


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} 行/秒"),
        TextColumn("剩余"),
        TimeRemainingColumn(),
        console=console,
    )


async def run_import_department_cli(
    settings: Settings, file: str, feed: str, region: str, period: str, sheet: str | None
) -> bool:
    """Imports `file` as a batch; prints the summary and writes `<file>.rejects.csv` when rows were
    rejected. True when the batch is done."""
    console = Console()
    path = Path(file)
    if not path.is_file():
        print(f"找不到文件 {file}")
        return False
    storage = storage_for(settings)
    pii = Pii(settings.key_bytes("pii_key"), settings.key_bytes("pii_index_key"))
    pool = await create_pool(settings.database_url or "", min_size=1, max_size=2)
    try:
        batch_id = await _store(
            pool, storage, path, FeedUploadForm(feed=feed, period=period, region_code=region, sheet=sheet)
        )
        if batch_id is None:
            return False
        outcome = await _run(pool, storage, pii, path, batch_id, console)
        if outcome is pipeline.RunOutcome.busy:
            print(errors.FeedBatchBusy(batch_id).message)
            return False
        async with pool.acquire() as conn:
            batch = await service.get_batch_unscoped(conn, batch_id)
        print(summary(batch))
        if batch.rows_rejected:
            rejects_path = path.with_name(path.name + ".rejects.csv")
            await write_rejects(pool, batch, rejects_path)
            print(f"有误的行及原因: {rejects_path}")
        return batch.status is FeedBatchStatus.done
    finally:
        await pool.close()


async def _store(pool: asyncpg.Pool, storage: PhotoStorage, path: Path, form: FeedUploadForm) -> int | None:
    sha256, size = await asyncio.to_thread(file_digest, path)
    async with pool.acquire() as conn:
        try:
            feed, region_code, period, sheet = await service.check_new_batch(conn, None, form, utcnow())
            new = service.NewBatch(
                feed=feed,
                region_code=region_code,
                period=period,
                source=FeedSource.cli,
                uploaded_by=None,
                file_name=rules.file_name_of(path.name),
                sha256=sha256,
                size_bytes=size,
                sheet=sheet,
            )
            batch_id, created, _ = await service.store_batch(conn, storage, new, path)
        except DomainError as exc:
            print(exc.message)
            return None
    if not created:
        print(f"这个文件（同一数据类型、地区和月份）已经导入过，是第 {batch_id} 批")
    return batch_id


async def _run(
    pool: asyncpg.Pool, storage: PhotoStorage, pii: Pii, path: Path, batch_id: int, console: Console
) -> pipeline.RunOutcome:
    with progress_bar(console) as bar:
        task = bar.add_task("读取并检查", total=None, rate="-")

        def update(status: FeedBatchStatus, rows_read: int, rows_expected: int | None) -> None:
            if status is FeedBatchStatus.matching:
                bar.update(task, description="匹配到人并比对规则", completed=rows_read, total=rows_read or 1)
                return
            speed = bar.tasks[task].speed
            total = max(rows_expected, rows_read) if rows_expected else None
            bar.update(task, completed=rows_read, total=total, rate=f"{speed:,.0f}" if speed else "-")

        try:
            outcome = await pipeline.run_batch(pool, storage, pii, batch_id, local_path=path, on_progress=update)
        except Exception as exc:  # noqa: BLE001  (any error: the batch is failed, not left half-run)
            bar.stop()
            print(f"处理出错（{pipeline.error_summary(exc)}），本批已标为失败")
            await pipeline.fail_batch(pool, storage, batch_id, "feed_worker_failed")
            return pipeline.RunOutcome.failed
        bar.update(task, description="完成", total=bar.tasks[task].completed or 1)
    return outcome


async def write_rejects(pool: asyncpg.Pool, batch: FeedBatch, target: Path) -> None:
    """The reject report, byte for byte as the API serves it, written page by page."""
    with target.open("wb") as out:
        async for piece in tabular.csv_chunks(rules.REJECTS_CSV_HEADER, service.reject_pages(pool, batch)):
            out.write(piece)
