"""Staff log-in, token rotation, farmer WeChat log-in and binding to the registry (DOMAIN §10, §11)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import uuid

import asyncpg
from arq.connections import ArqRedis
from redis.exceptions import RedisError

from backend import audit
from backend.accounts import errors, queries, rules
from backend.accounts.revocations import Revocations, now_ms
from backend.auth import Principal, TokenInvalid, issue_access_token
from backend.db import row_to
from backend.errors import DomainError
from backend.passwords import hash_password, verify_password
from backend.pii import InvalidIdNumber, Pii, mask_phone, normalize_id_number
from backend.ratelimit.service import count_in_window
from backend.settings import Settings
from backend.wechat.client import WeChatClient, WeChatError
from schemas.accounts import FarmerBind, PasswordChange, Profile, StaffLogin, TokenPair
from schemas.base import ErrorDetail

log = logging.getLogger("fangpin.accounts")


async def login_staff(conn: asyncpg.Connection, redis: ArqRedis, settings: Settings, login: StaffLogin) -> TokenPair:
    """Tokens for a right username and password. Wrong ones answer the same whether or not the
    username exists; MAX_FAILED_LOGINS in a row lock the account (AccountLocked) for LOCKOUT_S."""
    user = await conn.fetchrow(queries.GET_STAFF_FOR_LOGIN, login.username)
    if user is None or not user["active"] or user["password_hash"] is None:
        await asyncio.to_thread(verify_password, rules.decoy_password_hash(), login.password)
        raise await _unknown_user_failure(conn, redis, settings, login.username)
    if user["locked"]:
        raise errors.AccountLocked(user["locked_until"])
    if not await asyncio.to_thread(verify_password, user["password_hash"], login.password):
        async with conn.transaction():
            failure = await conn.fetchrow(
                queries.RECORD_LOGIN_FAILURE, user["id"], rules.MAX_FAILED_LOGINS, rules.LOCKOUT_S
            )
            await audit.record(conn, None, "auth.login_failed", "user", user["id"], {"locked": failure["locked"]})
        raise errors.AccountLocked(failure["locked_until"]) if failure["locked"] else errors.InvalidCredentials()
    async with conn.transaction():
        await conn.execute(queries.RECORD_LOGIN_SUCCESS, user["id"])
        await audit.record(conn, user["id"], "auth.login", "user", user["id"])
        return await _issue_tokens(conn, settings, rules.principal_from_user(user))


async def _unknown_user_failure(
    conn: asyncpg.Connection, redis: ArqRedis, settings: Settings, username: str
) -> DomainError:
    """Unknown usernames lock like real ones, so a lock reveals nothing. Counted in Redis (best
    effort: without Redis the answer is simply "wrong username or password")."""
    # What was typed is not kept: it may be a password typed into the wrong box.
    await audit.record(conn, None, "auth.login_failed", "username", None, {"known": False})
    key = settings.redis_prefix + "auth:unknown_user:" + hashlib.sha256(username.encode()).hexdigest()
    try:
        failures, ttl_s = await count_in_window(redis, key, rules.LOCKOUT_S, refresh_window=True)
    except (RedisError, OSError):
        return errors.InvalidCredentials()
    if failures >= rules.MAX_FAILED_LOGINS:
        return errors.AccountLocked(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ttl_s))
    return errors.InvalidCredentials()


async def refresh(conn: asyncpg.Connection, settings: Settings, refresh_token: str) -> TokenPair:
    """A new token pair for an unused refresh token, which is used up. Presenting a used one again
    means it was copied: its whole family is revoked (RefreshTokenReused)."""
    refused: DomainError | None = None
    async with conn.transaction():
        token = await conn.fetchrow(queries.LOCK_REFRESH_TOKEN, rules.hash_refresh_token(refresh_token))
        if token is None or token["revoked_at"] is not None:
            refused = errors.RefreshTokenInvalid()
        elif token["used_at"] is not None:
            await conn.execute(queries.REVOKE_TOKEN_FAMILY, token["family_id"])
            await audit.record(conn, token["user_id"], "auth.refresh_reused", "token_family", token["family_id"])
            refused = errors.RefreshTokenReused()
        elif token["expired"]:
            refused = errors.RefreshTokenExpired()
        else:
            await conn.execute(queries.MARK_REFRESH_TOKEN_USED, token["id"])
            # The identity is re-read, so role, scope or binding changes apply at the next refresh.
            user = await conn.fetchrow(queries.GET_USER_PRINCIPAL, token["user_id"])
            if not user["active"]:
                await conn.execute(queries.REVOKE_TOKEN_FAMILY, token["family_id"])
                refused = errors.AccountDisabled()
            else:
                pair = await _issue_tokens(conn, settings, rules.principal_from_user(user), token["family_id"])
    if refused is not None:
        raise refused  # after the commit: a revoked family stays revoked
    return pair


async def logout(conn: asyncpg.Connection, refresh_token: str) -> None:
    """Ends the session the refresh token belongs to (every token of its family). Idempotent."""
    async with conn.transaction():
        token = await conn.fetchrow(queries.LOCK_REFRESH_TOKEN, rules.hash_refresh_token(refresh_token))
        if token is not None:
            await conn.execute(queries.REVOKE_TOKEN_FAMILY, token["family_id"])
            await audit.record(conn, token["user_id"], "auth.logout", "token_family", token["family_id"])


async def change_password(
    conn: asyncpg.Connection, settings: Settings, revocations: Revocations, principal: Principal, change: PasswordChange
) -> TokenPair:
    """Sets the caller's own password after checking the current one; every other session ends and
    the returned tokens no longer carry must_change_password. A wrong current password counts
    towards the lockout like a failed log-in; the lock ends the sessions too."""
    user = await conn.fetchrow(queries.GET_STAFF_PASSWORD, principal.user_id)
    if user is None or user["password_hash"] is None:
        raise TokenInvalid()
    if not await asyncio.to_thread(verify_password, user["password_hash"], change.current_password):
        async with conn.transaction():
            failure = await conn.fetchrow(
                queries.RECORD_LOGIN_FAILURE, principal.user_id, rules.MAX_FAILED_LOGINS, rules.LOCKOUT_S
            )
            await audit.record(conn, principal.user_id, "auth.password_change_failed", "user", principal.user_id)
        if failure["locked"]:
            async with conn.transaction():
                await end_sessions(conn, principal.user_id)
            revocations.expire()
            raise errors.AccountLocked(failure["locked_until"])
        raise errors.CurrentPasswordWrong()
    if change.new_password == change.current_password:
        raise errors.PasswordUnchanged()
    if (problem := rules.password_problem(change.new_password, user["username"])) is not None:
        raise errors.PasswordTooWeak(problem)
    new_hash = await asyncio.to_thread(hash_password, change.new_password)
    async with conn.transaction():
        row = await conn.fetchrow(queries.SET_OWN_PASSWORD, principal.user_id, new_hash)
        await end_sessions(conn, principal.user_id)
        await audit.record(conn, principal.user_id, "auth.password_changed", "user", principal.user_id)
        pair = await _issue_tokens(conn, settings, rules.principal_from_user(row))
    revocations.expire()
    return pair


async def end_sessions(conn: asyncpg.Connection, user_id: int) -> None:
    """Revokes every refresh token of the user and every access token issued until now. Call in
    the transaction of the change, then `Revocations.expire()` after it commits."""
    await conn.execute(queries.REVOKE_USER_TOKENS, user_id)
    await conn.execute(queries.END_ACCESS_TOKENS, user_id, now_ms())


async def login_farmer(conn: asyncpg.Connection, settings: Settings, wechat: WeChatClient, code: str) -> TokenPair:
    """Tokens for the WeChat user behind a wx.login code; the farmer account is made on first use."""
    try:
        session = await wechat.code_to_session(code)
    except WeChatError as exc:
        log.warning("accounts.wechat_login_failed", extra={"errcode": exc.errcode})
        raise rules.login_error(exc) from None
    async with conn.transaction():
        user = await conn.fetchrow(queries.UPSERT_FARMER, session.openid, session.unionid)
        if user is None or not user["active"]:
            raise errors.AccountDisabled()
        await audit.record(conn, user["id"], "auth.wechat_login", "user", user["id"], {"created": user["created"]})
        return await _issue_tokens(conn, settings, rules.principal_from_user(user))


async def bind_farmer(
    conn: asyncpg.Connection,
    redis: ArqRedis,
    pii: Pii,
    settings: Settings,
    wechat: WeChatClient,
    principal: Principal,
    bind: FarmerBind,
) -> TokenPair:
    """Binds the farmer to the registry person with this ID number and name, proven by the phone
    WeChat vouches for being the household's registered phone. Every mismatch gets the same
    BindingMismatch; BIND_MAX_FAILURES per hour per WeChat account, then BindingThrottled."""
    try:
        id_number = normalize_id_number(bind.id_number)
    except InvalidIdNumber as exc:
        raise errors.IdNumberInvalid(str(exc), [ErrorDetail(field="id_number", reason=str(exc))]) from None
    farmer = await conn.fetchrow(queries.GET_ACTIVE_FARMER, principal.user_id)
    if farmer is None:
        raise TokenInvalid()
    throttle_key = settings.redis_prefix + "bind_failures:" + farmer["openid"]
    # The attempt is counted before it is checked, so parallel guesses cannot slip past the limit;
    # an attempt that fails for a reason other than a mismatch is given back.
    try:
        attempts, ttl_s = await count_in_window(redis, throttle_key, rules.BIND_FAILURE_WINDOW_S)
    except (RedisError, OSError):
        raise errors.ThrottleUnavailable() from None
    if attempts > rules.BIND_MAX_FAILURES:
        raise errors.BindingThrottled(ttl_s)
    try:
        person = await _verified_person(conn, pii, wechat, bind, id_number)
        if person is None:
            async with conn.transaction():
                await audit.record(conn, principal.user_id, "farmer.bind_failed", "user", principal.user_id)
            raise errors.BindingMismatch()
        if farmer["person_id"] not in (None, person["person_id"]):
            raise errors.AlreadyBoundToOther()
        if person["bound_user_id"] not in (None, principal.user_id):
            raise errors.PersonAlreadyBound()
        async with conn.transaction():
            try:
                user = await conn.fetchrow(
                    queries.BIND_FARMER,
                    principal.user_id,
                    person["person_id"],
                    person["household_id"],
                    pii.encrypt(person["phone"]),
                    mask_phone(person["phone"]),
                    person["name"],
                )
            except asyncpg.UniqueViolationError:  # bound by another account a moment ago
                raise errors.PersonAlreadyBound() from None
            await audit.record(conn, principal.user_id, "farmer.bind", "person", person["person_id"])
            pair = await _issue_tokens(conn, settings, rules.principal_from_user(user))
    except errors.BindingMismatch:
        raise
    except DomainError:
        await _give_back_attempt(redis, throttle_key)
        raise
    await _forget_failures(redis, throttle_key)
    return pair


async def _verified_person(
    conn: asyncpg.Connection, pii: Pii, wechat: WeChatClient, bind: FarmerBind, id_number: str
) -> dict[str, object] | None:
    """The registry person if ID number, name and phone all match, else None."""
    try:
        phone = await wechat.phone_number(bind.phone_code)
    except WeChatError as exc:
        log.warning("accounts.wechat_phone_failed", extra={"errcode": exc.errcode})
        raise rules.phone_error(exc) from None
    person = await conn.fetchrow(queries.GET_PERSON_FOR_BINDING, pii.id_index(id_number))
    if not rules.identity_matches(person, bind.name, pii.phone_index(phone)):
        return None
    return {**dict(person), "phone": phone}  # type: ignore[arg-type]


async def get_profile(conn: asyncpg.Connection, principal: Principal) -> Profile:
    profile = row_to(await conn.fetchrow(queries.GET_PROFILE, principal.user_id), Profile)
    if profile is None:
        raise TokenInvalid()
    return profile


async def _issue_tokens(
    conn: asyncpg.Connection, settings: Settings, principal: Principal, family_id: uuid.UUID | None = None
) -> TokenPair:
    """An access token and a new refresh token in `family_id` (a new family for a new log-in)."""
    refresh_token = rules.new_refresh_token()
    await conn.execute(
        queries.INSERT_REFRESH_TOKEN,
        uuid.uuid4(),
        family_id or uuid.uuid4(),
        principal.user_id,
        rules.hash_refresh_token(refresh_token),
        settings.refresh_token_ttl_s,
    )
    return TokenPair(
        access_token=issue_access_token(settings, principal),
        refresh_token=refresh_token,
        expires_in=settings.access_token_ttl_s,
        role=principal.role,
        household_id=principal.household_id,
        must_change_password=principal.must_change_password,
    )


async def _give_back_attempt(redis: ArqRedis, key: str) -> None:
    try:
        await redis.decr(key)
    except (RedisError, OSError):
        log.warning("accounts.throttle_give_back_failed")


async def _forget_failures(redis: ArqRedis, key: str) -> None:
    try:
        await redis.delete(key)
    except (RedisError, OSError):
        log.warning("accounts.throttle_reset_failed")
