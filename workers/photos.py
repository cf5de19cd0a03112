"""Photo jobs: make derivatives and hashes; sweep up photos whose job was never queued."""

from __future__ import annotations

import logging
from typing import Any

from arq import Retry, cron, func

from backend.photos import service
from backend.photos.storage import StorageUnavailable, StoredObjectMissing, storage_for
from workers.context import WorkerContext

log = logging.getLogger("fangpin.workers.photos")

# A photo still `processing` this long after upload has no job (Redis was down at upload).
STUCK_AFTER_S = 120
SWEEP_BATCH = 200
RETRY_DEFER_S = 10  # per try: storage hiccups usually pass within seconds


async def photos_process(ctx: dict[str, Any], photo_id: int) -> str:
    worker = WorkerContext(ctx)
    try:
        return await service.process_photo(worker.db, storage_for(worker.settings), photo_id)
    except (StorageUnavailable, StoredObjectMissing) as exc:
        # Missing too: with several replicas the original may not be visible yet.
        log.warning("photos.process.storage", extra={"photo_id": photo_id, "error": str(exc)})
        raise Retry(defer=worker.job_try * RETRY_DEFER_S) from exc


async def photos_sweep(ctx: dict[str, Any]) -> int:
    worker = WorkerContext(ctx)
    return await service.enqueue_stuck_photos(
        worker.db, worker.redis, worker.settings, older_than_s=STUCK_AFTER_S, limit=SWEEP_BATCH
    )


# No result kept: the job id then only blocks while a job is queued or running, so the sweep can
# queue a photo again at once if its job was lost.
FUNCTIONS = [func(photos_process, keep_result=0)]
CRON_JOBS = [cron(photos_sweep, minute=None, second=30, run_at_startup=True, timeout=120)]
