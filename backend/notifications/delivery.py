"""Delivery of outbox rows to WeChat subscribe messages and SMS (DOMAIN §9, §10).

One batch is three steps, and no transaction is held across the network:

1. claim (one transaction): due rows go `pending` → `sending` with a lease, `FOR UPDATE SKIP
   LOCKED` so concurrent workers take disjoint rows; the subscribe grants the batch will use are
   locked and spent in the same transaction; rows with nowhere else to go end `inbox_only` here.
2. send, concurrently (a wave at a time), outside any transaction.
3. finish (one transaction a wave): each row → `sent` / `inbox_only` / back to `pending` with a backoff
   delay / `failed`; grants of sends that did not happen are given back, and a 43101 clears them.

Guarantee: every row is in the inbox from the moment it is written, and no WeChat or SMS message
is sent twice. Step 2 goes in waves of SEND_CONCURRENCY rows: a wave's `send_started_at` is
committed before its requests go out, and its outcomes (step 3) as soon as its answers are in. A
worker that dies in between leaves the wave `sending` with the mark; after the lease the sweep
makes those rows `unconfirmed` (they may have arrived) rather than send them again, and a request
whose answer is lost (timeout, reset) is `unconfirmed` at once. Rows claimed but never started go
back to `pending` with their grant given back. Sending an unconfirmed row again is an admin's
decision (the retry endpoint); it would also need another grant, one message each.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import asyncpg
import msgspec

from backend.db import rows_to
from backend.notifications import queries, rules
from backend.notifications.rules import Outcome
from backend.notifications.sms import SmsError, SmsMessage, SmsSender
from backend.pii import Pii
from backend.wechat.client import WeChatError
from schemas.notifications import Channel, DeliveryStatus

log = logging.getLogger("fangpin.notifications")

CLAIM_BATCH = 200  # rows per claim: one short transaction, big enough to keep the senders busy
SEND_CONCURRENCY = 32  # concurrent HTTP calls per batch; WeChat allows far more per app


class SubscribeSender(Protocol):
    async def send_subscribe_message(
        self, touser: str, template_id: str, page: str | None, data: dict[str, str]
    ) -> None: ...


@dataclass(frozen=True)
class Channels:
    wechat: SubscribeSender
    sms: SmsSender | None
    pii: Pii


class ClaimedRow(msgspec.Struct, kw_only=True):
    id: int
    user_id: int
    event: str
    title: str
    body: str
    page: str | None
    data: dict[str, str]
    created_at: dt.datetime
    attempts: int
    openid: str | None
    phone_enc: bytes | None
    template_id: str | None
    template_page: str | None
    template_fields: dict[str, str] | None
    sms_fallback: bool | None

    @property
    def message(self) -> rules.Message:
        return rules.Message(self.title, self.body, self.created_at, self.data, self.page)


@dataclass(frozen=True)
class Result:
    id: int
    status: DeliveryStatus
    channel: Channel | None = None
    error: str | None = None
    retry_s: float | None = None
    wechat_template_id: str | None = None  # set when this attempt spent a grant
    grant_unused: bool = False  # the spent grant was not consumed by WeChat: give it back
    grant_gone: bool = False  # WeChat said 43101: the user holds none of this template's grants


async def deliver_batch(
    conn: asyncpg.Connection, channels: Channels, ids: list[int] | None = None, limit: int = CLAIM_BATCH
) -> list[Result]:
    """Claims up to `limit` due rows (only `ids`, if given), delivers them and records the outcome.
    Rows another worker holds, or not yet due, are left alone. Returns one Result per claimed row."""
    async with conn.transaction():
        if ids is None:
            claimed = await conn.fetch(queries.CLAIM_DUE, rules.CLAIM_LEASE_S, limit)
        else:
            claimed = await conn.fetch(queries.CLAIM_DUE_IDS, rules.CLAIM_LEASE_S, limit, ids)
        rows = rows_to(claimed, ClaimedRow)
        if not rows:
            return []
        granted = await _spend_grants(conn, rows)
        inbox_only = [
            Result(r.id, DeliveryStatus.inbox_only)
            for r in rows
            if r.id not in granted and not _sms_possible(r, channels)
        ]
        await _finish(conn, inbox_only, {})
    settled = {r.id for r in inbox_only}
    users = {r.id: r.user_id for r in rows}
    to_send = [r for r in rows if r.id not in settled]
    sent: list[Result] = []
    for start in range(0, len(to_send), SEND_CONCURRENCY):  # waves: marked, sent together, finished
        wave = to_send[start : start + SEND_CONCURRENCY]
        await conn.execute(queries.MARK_SEND_STARTED, [r.id for r in wave])
        results = await asyncio.gather(*(_attempt(r, channels, r.id in granted) for r in wave))
        async with conn.transaction():
            await _finish(conn, results, users)
        sent += results
    for result in sent:
        if result.status in (DeliveryStatus.pending, DeliveryStatus.failed, DeliveryStatus.unconfirmed):
            log.warning(
                "notifications.deliver.failed",
                extra={"notification_id": result.id, "status": result.status, "error": result.error},
            )
    return inbox_only + list(sent)


async def deliver_due(conn: asyncpg.Connection, channels: Channels, *, max_batches: int = 1000) -> int:
    """Delivers everything due, batch after batch (the cron sweep); returns how many rows it handled.
    First takes back the claims of workers that died."""
    await conn.execute(queries.RELEASE_EXPIRED_CLAIMS, rules.MAX_ATTEMPTS, rules.STOPPED_WHILE_SENDING)
    handled = 0
    for _ in range(max_batches):
        results = await deliver_batch(conn, channels)
        handled += len(results)
        if len(results) < CLAIM_BATCH:
            break
    return handled


async def _attempt(row: ClaimedRow, channels: Channels, use_wechat: bool) -> Result:
    try:
        return await _send(row, channels, use_wechat)
    except Exception as exc:  # e.g. Redis gone while fetching the token: retry, never stall
        log.exception("notifications.deliver.crashed", extra={"notification_id": row.id})
        unsent = _not_delivered(row, Outcome.retry, f"{type(exc).__name__}: {exc}")
        if not use_wechat:
            return unsent
        return replace(unsent, wechat_template_id=row.template_id, grant_unused=True)


def _sms_possible(row: ClaimedRow, channels: Channels) -> bool:
    return bool(row.sms_fallback and channels.sms is not None and row.phone_enc)


async def _spend_grants(conn: asyncpg.Connection, rows: list[ClaimedRow]) -> set[int]:
    """Ids of the rows that will go to WeChat; their grants are spent in the caller's transaction."""
    wanted = [(r.id, r.user_id, r.template_id) for r in rows if r.template_id and r.openid]
    if not wanted:
        return set()
    pairs = sorted({(user_id, template_id) for _, user_id, template_id in wanted})
    locked = await conn.fetch(queries.LOCK_GRANTS, [p[0] for p in pairs], [p[1] for p in pairs])
    remaining = {(g["user_id"], g["template_id"]): g["remaining"] for g in locked}
    granted = rules.allocate_grants(wanted, remaining)
    spent = Counter((user_id, template_id) for nid, user_id, template_id in wanted if nid in granted)
    await _adjust_grants(conn, {pair: -count for pair, count in spent.items()})
    spent_by = [(nid, template_id) for nid, _, template_id in wanted if nid in granted]
    await conn.execute(queries.RECORD_SPENT_GRANTS, [s[0] for s in spent_by], [s[1] for s in spent_by])
    return granted


async def _adjust_grants(conn: asyncpg.Connection, deltas: dict[tuple[int, str], int]) -> None:
    if deltas:
        pairs = sorted(deltas)
        await conn.execute(
            queries.ADJUST_GRANTS, [p[0] for p in pairs], [p[1] for p in pairs], [deltas[p] for p in pairs]
        )


async def _send(row: ClaimedRow, channels: Channels, use_wechat: bool) -> Result:
    if use_wechat:
        assert row.openid and row.template_id and row.template_fields is not None
        try:
            await channels.wechat.send_subscribe_message(
                row.openid,
                row.template_id,
                rules.render_page(row.template_page or "", row.message) or None,
                rules.render_fields(row.template_fields, row.message),
            )
            return Result(row.id, DeliveryStatus.sent, Channel.wechat, wechat_template_id=row.template_id)
        except WeChatError as exc:
            outcome = rules.outcome_of_errcode(exc.errcode)
            error = f"wechat {exc.errcode}: {exc.errmsg}"
        if outcome is Outcome.unconfirmed:  # the grant was very likely used: not given back
            return Result(row.id, DeliveryStatus.unconfirmed, Channel.wechat, error, wechat_template_id=row.template_id)
        if outcome is not Outcome.inbox_only:
            unsent = _not_delivered(row, outcome, error)
            return replace(unsent, wechat_template_id=row.template_id, grant_unused=True)
        gone = Result(
            row.id,
            DeliveryStatus.inbox_only,
            error=error,
            wechat_template_id=row.template_id,
            grant_gone=True,
        )
        if not _sms_possible(row, channels):
            return gone
        sms = await _send_sms(row, channels)
        return replace(
            gone, status=sms.status, channel=sms.channel, error=sms.error or error, retry_s=sms.retry_s
        )
    return await _send_sms(row, channels)


async def _send_sms(row: ClaimedRow, channels: Channels) -> Result:
    assert channels.sms is not None and row.phone_enc is not None
    message = SmsMessage(
        phone=channels.pii.decrypt(row.phone_enc),
        event=row.event,
        title=row.title,
        body=row.body,
        data=row.data,
    )
    try:
        await channels.sms.send(message)
    except SmsError as exc:
        return _not_delivered(row, Outcome.retry if exc.retryable else Outcome.failed, f"sms: {exc}")
    return Result(row.id, DeliveryStatus.sent, Channel.sms)


def _not_delivered(row: ClaimedRow, outcome: Outcome, error: str) -> Result:
    delay = rules.retry_delay_s(row.attempts) if outcome is Outcome.retry else None
    if delay is None:
        return Result(row.id, DeliveryStatus.failed, error=error)
    return Result(row.id, DeliveryStatus.pending, error=error, retry_s=delay)


async def _finish(conn: asyncpg.Connection, results: Sequence[Result], users: Mapping[int, int]) -> None:
    """Records outcomes; `users` maps each row to its user, for the grants given back or cleared."""
    if not results:
        return
    await conn.execute(
        queries.FINISH_DELIVERIES,
        [r.id for r in results],
        [r.status.value for r in results],
        [r.channel.value if r.channel else None for r in results],
        [r.wechat_template_id for r in results],
        [r.retry_s for r in results],
        [r.error for r in results],
    )
    refunds = Counter((users[r.id], r.wechat_template_id) for r in results if r.grant_unused)
    await _adjust_grants(conn, dict(refunds))
    gone = sorted({(users[r.id], r.wechat_template_id) for r in results if r.grant_gone})
    if gone:
        await conn.execute(queries.CLEAR_GRANTS, [g[0] for g in gone], [g[1] for g in gone])
