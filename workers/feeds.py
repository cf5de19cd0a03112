"""Department feed jobs: `feeds_process` for one batch, queued after the upload's commit, and
`feeds_sweep` by cron for batches whose job was lost (Redis down at upload, a killed worker)."""

from __future__ import annotations

import logging
from typing import Any

from arq import Retry, cron, func

from backend.feeds import pipeline, rules, service
from backend.photos.storage import storage_for
from workers.context import WorkerContext

log = logging.getLogger("fangpin.workers.feeds")

# A province's 1,000,000-row file takes about a minute; past this a run is stuck, not slow. arq
# retries a killed worker's job only after its longest timeout, so this also bounds that wait
# for every job type (the sweep below does not wait for it).
PROCESS_TIMEOUT_S = 900
RETRY_DEFER_S = 15  # per try: a database or storage hiccup usually passes within seconds
SWEEP_BATCH = 50


async def feeds_process(ctx: dict[str, Any], batch_id: int) -> str:
    """Runs the batch; safe to run twice (a finished batch is left alone, a batch another run
    holds is skipped). Transient errors are retried; after the last try the batch fails."""
    worker = WorkerContext(ctx)
    storage = storage_for(worker.settings)
    try:
        return await pipeline.run_batch(worker.db, storage, worker.pii, batch_id)
    except Exception as exc:
        failure = {"batch_id": batch_id, "try": worker.job_try, "error": pipeline.error_summary(exc)}
        if worker.job_try < rules.MAX_ATTEMPTS:
            log.warning("feeds.process.retry", extra=failure)
            raise Retry(defer=worker.job_try * RETRY_DEFER_S) from exc
        log.error("feeds.process.gave_up", extra=failure)
        await pipeline.fail_batch(worker.db, storage, batch_id, "feed_worker_failed")
        return pipeline.RunOutcome.failed


async def feeds_sweep(ctx: dict[str, Any]) -> int:
    worker = WorkerContext(ctx)
    return await service.enqueue_lost_batches(worker.db, worker.redis, worker.settings, limit=SWEEP_BATCH)


# No result kept: the job id blocks a second job only while one is queued or running.
FUNCTIONS = [func(feeds_process, keep_result=0, timeout=PROCESS_TIMEOUT_S, max_tries=rules.MAX_ATTEMPTS)]
CRON_JOBS = [cron(feeds_sweep, second={15, 45}, run_at_startup=True, timeout=60)]
