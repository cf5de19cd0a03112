"""The arq pool. Connections are lazy so the API starts and serves while Redis is down; work that
must not be lost is in PostgreSQL first (outbox) and a cron sweep picks up anything not enqueued."""

from __future__ import annotations

import logging

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from backend.settings import Settings

log = logging.getLogger("fangpin.queue")

REDIS_TIMEOUT_S = 2.0


def create_redis(settings: Settings) -> ArqRedis:
    pool = ConnectionPool.from_url(
        settings.redis_url or "", socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
    )
    return ArqRedis(pool, default_queue_name=settings.queue_name)


async def enqueue_after_commit(redis: ArqRedis, function: str, *args: object, **kwargs: object) -> bool:
    """Best effort: a failed enqueue is logged, never raised (the cron sweep delivers later)."""
    try:
        await redis.enqueue_job(function, *args, **kwargs)
        return True
    except (RedisError, OSError) as exc:
        log.warning("queue.enqueue_failed", extra={"function": function, "error": str(exc)})
        return False
