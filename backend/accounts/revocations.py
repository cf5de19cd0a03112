"""Access tokens that stop before they expire: a deactivation, a password reset or change ends
the account's sessions at a moment; a token issued before it is refused from then on.

Tokens are checked by signature, without a database read per request (the read path's budget).
Each API process keeps the recent revocations in memory and re-reads them at most every
REVOCATIONS_REFRESH_S, so a revoked token stops within that everywhere, and at once in the
process that revoked it. Only revocations younger than a token's lifetime matter: older tokens
have expired anyway."""

from __future__ import annotations

import logging
import math
import time

import asyncpg

from backend.accounts import queries

log = logging.getLogger("fangpin.accounts")

REVOCATIONS_REFRESH_S = 5.0  # how stale a process's view may be: one small indexed query per interval


def now_ms() -> int:
    """The app's clock, in the unit tokens and revocations are compared in."""
    return int(time.time() * 1000)


class Revocations:
    def __init__(self, token_ttl_s: int) -> None:
        self._token_ttl_s = token_ttl_s
        self._revoked_ms: dict[int, int] = {}  # user id → when their sessions were ended
        self._fetched_at = -math.inf

    def expire(self) -> None:
        """Re-read at the next request (this process has just revoked something)."""
        self._fetched_at = -math.inf

    async def refresh_if_stale(self, pool: asyncpg.Pool) -> None:
        started = time.monotonic()
        if started - self._fetched_at < REVOCATIONS_REFRESH_S:
            return
        self._fetched_at = started  # concurrent requests use the current view meanwhile
        try:
            rows = await pool.fetch(queries.LIST_RECENT_REVOCATIONS, self._token_ttl_s + REVOCATIONS_REFRESH_S)
        except (OSError, asyncpg.PostgresError):
            self._fetched_at = -math.inf
            log.warning("accounts.revocations_unavailable")
            return
        self._revoked_ms = {r["id"]: r["revoked_ms"] for r in rows}

    def refuses(self, user_id: int, issued_ms: int) -> bool:
        revoked_ms = self._revoked_ms.get(user_id)
        return revoked_ms is not None and issued_ms < revoked_ms
