"""`fangpin worker`: arq's worker in a loop that outlives Redis. arq gives up on the first lost
connection (its `main` raises redis-py's ConnectionError); here the worker is torn down, the loss
is logged, and a fresh one starts after a backoff (1, 2, 4 … capped at 30 s). Nothing queued is lost meanwhile: what must be
delivered is in PostgreSQL (the notification outbox) and the start-up sweep picks it up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import Any

from arq.worker import Worker
from redis.exceptions import RedisError

from backend.settings import Settings
from backend.supervisor import backoff_s  # the same 1, 2, 4 … 30 s as `fangpin up`'s restarts
from workers.settings import create_worker, shutdown

log = logging.getLogger("fangpin.worker")

# Jobs running when Redis goes away may finish their PostgreSQL and WeChat work (a job cut short
# mid-send is sent again after its lease); past this they are cancelled.
JOB_DRAIN_S = 10.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def close_worker(worker: Worker) -> None:
    """arq's `Worker.close` with Redis possibly gone: the PostgreSQL pool and HTTP client are
    closed whatever Redis answers, and running jobs get JOB_DRAIN_S to finish."""
    tasks = list(worker.tasks.values())
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=JOB_DRAIN_S)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    with contextlib.suppress(RedisError, OSError):
        await worker.pool.delete(worker.health_check_key)
    await shutdown(worker.ctx)
    with contextlib.suppress(RedisError, OSError):
        await worker.pool.close(close_connection_pool=True)


async def run_worker(settings: Settings, **overrides: Any) -> None:
    """Runs workers until SIGINT / SIGTERM (or, with burst=True, until the queue is empty),
    starting a new one after every lost Redis connection."""
    stopping = asyncio.Event()
    current: list[Worker] = []

    def stop(signum: signal.Signals) -> None:
        stopping.set()
        for worker in current:
            worker.handle_sig(signum)  # arq's own stop: logs, cancels its jobs and its main task

    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop, signum)
    try:
        await _run_until(stopping, current, settings, overrides)
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)


async def _run_until(
    stopping: asyncio.Event, current: list[Worker], settings: Settings, overrides: dict[str, Any]
) -> None:
    attempt, lost_at = 0, 0.0
    while not stopping.is_set():
        worker = create_worker(settings, **overrides)
        current[:] = [worker]
        try:
            await worker.pool.ping()
            if stopping.is_set():
                return
            if attempt:
                log.info("worker.reconnected", extra={"down_s": round(time.monotonic() - lost_at, 1)})
            attempt = 0
            await worker.async_run()
            return  # burst mode: the queue is empty
        except asyncio.CancelledError:
            if not stopping.is_set():
                raise
            return
        except (RedisError, OSError) as exc:  # redis-py wraps socket errors; OSError: PostgreSQL at start-up
            attempt += 1
            lost_at = lost_at if attempt > 1 else time.monotonic()
            log.warning(
                "worker.redis_lost" if isinstance(exc, RedisError) else "worker.connection_lost",
                extra={
                    "error": f"{type(exc).__name__}: {exc}",
                    "attempt": attempt,
                    "retry_in_s": backoff_s(attempt),
                },
            )
        finally:
            current.clear()
            await close_worker(worker)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), backoff_s(attempt))
