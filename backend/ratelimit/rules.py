"""Who may do what how often (issue 19): a fixed window per action, counted per account and per
client address, so one account cannot hammer the service from many addresses and one address
(a script) cannot use many accounts. Pure: the limits as a table and the verdict as a function."""

from __future__ import annotations

import enum

import msgspec


class Action(enum.StrEnum):
    staff_login = "staff_login"  # per username typed, known or not
    farmer_bind = "farmer_bind"
    application_submit = "application_submit"
    photo_upload = "photo_upload"
    batch_upload = "batch_upload"
    order_submit = "order_submit"


class Limit(msgspec.Struct, frozen=True, kw_only=True):
    per_account: int  # hits per window for one account
    per_address: int  # hits per window from one client address (a township office shares one)
    window_s: int


class LimitSetting(Limit, frozen=True, kw_only=True):
    """One action's limit from the settings (FANGPIN_RATE_LIMITS), replacing its default."""

    action: Action


# Generous for people, tight for scripts. A township office behind one NAT logs in dozens of staff
# in the morning; a farmer sends one application and a handful of photos; a department uploads a
# few files a month; a union buyer places orders by the dozen, not by the thousand.
DEFAULT_LIMITS: dict[Action, Limit] = {
    Action.staff_login: Limit(per_account=10, per_address=100, window_s=300),
    Action.farmer_bind: Limit(per_account=10, per_address=60, window_s=3600),
    Action.application_submit: Limit(per_account=10, per_address=200, window_s=3600),
    Action.photo_upload: Limit(per_account=200, per_address=2000, window_s=3600),
    Action.batch_upload: Limit(per_account=30, per_address=60, window_s=3600),
    Action.order_submit: Limit(per_account=120, per_address=600, window_s=3600),
}

# Without Redis these are refused rather than left unthrottled: a log-in or a binding with no
# limit is what a password-guessing script waits for. Everything else goes through (a farmer's
# application must not be lost because the limiter is down).
FAIL_CLOSED = frozenset({Action.staff_login, Action.farmer_bind})


def limit_for(action: Action, settings: tuple[LimitSetting, ...]) -> Limit:
    return next((s for s in settings if s.action is action), DEFAULT_LIMITS[action])


def retry_after(counts: tuple[int, int], ttls: tuple[int, int], limit: Limit) -> int | None:
    """Seconds until the caller may try again, or None when both counts are within the limit."""
    waits = [
        max(ttl, 1)
        for count, allowed, ttl in zip(counts, (limit.per_account, limit.per_address), ttls, strict=True)
        if count > allowed
    ]
    return max(waits) if waits else None
