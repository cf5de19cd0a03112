"""Staff log-in and the token endpoints every client uses. Thin: the rules live in the service."""

from __future__ import annotations

from litestar import Router, get, post
from litestar.params import JSONBody

from backend.accounts import errors as accounts_errors
from backend.accounts import service
from backend.auth import ALLOWED_BEFORE_PASSWORD_CHANGE
from backend.deps import PUBLIC, Caller, Conn, LimiterDep, RedisDep, RevocationsDep, SettingsDep
from backend.errors import responses
from backend.ratelimit import errors as ratelimit_errors
from backend.ratelimit.rules import Action as Limited
from schemas.accounts import PasswordChange, Profile, RefreshRequest, StaffLogin, TokenPair


@post(
    "/login",
    operation_id="StaffLogin",
    responses=responses(
        accounts_errors.InvalidCredentials, accounts_errors.AccountLocked, ratelimit_errors.RateLimited,
        ratelimit_errors.RateLimiterUnavailable,
    ),
    status_code=200,
    dependencies=PUBLIC,
)
async def login(
    data: JSONBody[StaffLogin], conn: Conn, redis: RedisDep, settings: SettingsDep, limiter: LimiterDep
) -> TokenPair:
    await limiter.check(Limited.staff_login, data.username.casefold())
    return await service.login_staff(conn, redis, settings, data)


@post(
    "/refresh",
    operation_id="RefreshTokens",
    responses=responses(
        accounts_errors.RefreshTokenExpired,
        accounts_errors.RefreshTokenInvalid,
        accounts_errors.RefreshTokenReused,
        accounts_errors.AccountDisabled,
    ),
    status_code=200,
    dependencies=PUBLIC,
)
async def refresh(data: JSONBody[RefreshRequest], conn: Conn, settings: SettingsDep) -> TokenPair:
    return await service.refresh(conn, settings, data.refresh_token)


@post("/logout", operation_id="Logout", status_code=204, dependencies=PUBLIC)
async def logout(data: JSONBody[RefreshRequest], conn: Conn) -> None:
    await service.logout(conn, data.refresh_token)


@get("/me", operation_id="GetMyProfile", opt={ALLOWED_BEFORE_PASSWORD_CHANGE: True})
async def me(conn: Conn, principal: Caller) -> Profile:
    return await service.get_profile(conn, principal)


@post(
    "/password",
    operation_id="ChangeMyPassword",
    responses=responses(
        accounts_errors.CurrentPasswordWrong,
        accounts_errors.PasswordTooWeak,
        accounts_errors.PasswordUnchanged,
        accounts_errors.AccountLocked,
    ),
    status_code=200,
    opt={ALLOWED_BEFORE_PASSWORD_CHANGE: True},
)
async def change_password(
    data: JSONBody[PasswordChange],
    conn: Conn,
    principal: Caller,
    settings: SettingsDep,
    revocations: RevocationsDep,
) -> TokenPair:
    """Sets the caller's own password; answers a new token pair (other sessions are ended)."""
    return await service.change_password(conn, settings, revocations, principal, data)


router = Router(path="/api/auth", route_handlers=[login, refresh, logout, me, change_password], tags=["auth"])
