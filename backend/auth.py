"""Access tokens, the authenticated Principal, role guards and the region scope guard.

Every query that reads or changes registry data takes the caller's scope from here:
staff see rows whose region code starts with their region's prefix; a farmer sees only the
household they are bound to. Anything outside the scope is reported as not found (404), so a
caller cannot even learn that it exists.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import time
from collections.abc import Iterable

import jwt
import msgspec
from litestar import Request

from backend.errors import Forbidden, Unauthorized
from backend.regions.rules import region_prefix
from backend.settings import Settings
from schemas.base import Role

JWT_ALGORITHM = "HS256"
STAFF_ROLES = frozenset(Role) - {Role.farmer, Role.union_buyer, Role.union_approver, Role.supplier}
# Roles whose work is households in a region (registry, cases, alerts).
REGION_ROLES = STAFF_ROLES - {Role.admin}


class TokenExpired(Unauthorized):
    message = "登录已过期，请重新登录"


class TokenInvalid(Unauthorized):
    message = "登录信息无效，请重新登录"


class TokenRevoked(Unauthorized):
    message = "登录已失效（账号已停用或密码已更改），请重新登录"


class PasswordChangeRequired(Forbidden):
    message = "请先修改管理员发给您的初始密码，再继续使用"


# Route option of the few operations a user whose password was handed out may call.
ALLOWED_BEFORE_PASSWORD_CHANGE = "allowed_before_password_change"


class Principal(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    user_id: int
    role: Role
    region_code: str | None = None
    household_id: int | None = None  # a bound farmer's household
    union_id: int | None = None
    supplier_id: int | None = None
    must_change_password: bool = False  # the password was handed out (new account or reset)

    @property
    def region_like(self) -> str:
        """LIKE pattern for region-coded rows. Admins see everything; organisations see no region."""
        if self.role is Role.admin:
            return "%"
        if self.region_code is None:
            return "%" if self.role is Role.farmer else ""  # farmers are narrowed by household_id
        return region_prefix(self.region_code) + "%"

    @property
    def household_only(self) -> int | None:
        """For farmers: the only household they may see (-1 when not yet bound)."""
        if self.role is Role.farmer:
            return self.household_id or -1
        return None

    def covers_region(self, code: str) -> bool:
        return self.role is Role.admin or (
            self.region_code is not None and code.startswith(region_prefix(self.region_code))
        )


def issue_access_token(settings: Settings, principal: Principal, *, now: float | None = None) -> str:
    issued_s = now if now is not None else time.time()
    issued = int(issued_s)
    claims = {
        "sub": str(principal.user_id),
        "iat": issued,
        "exp": issued + settings.access_token_ttl_s,
        "t": int(issued_s * 1000),  # issued, in ms: compared with the account's revocations
        "p": msgspec.to_builtins(principal),
    }
    return jwt.encode(claims, settings.key_bytes("secret_key"), algorithm=JWT_ALGORITHM)


# Tokens whose signature was already checked: a client sends the same token on every request for
# its lifetime, and PyJWT's full decode is a tenth of a short read's time. Entries hold no more
# than the token itself says; expiry is still checked on every use.
VERIFIED_TOKENS_CACHED = 8192


def decode_access_token(settings: Settings, token: str) -> Principal:
    return verify_access_token(settings, token)[0]


def verify_access_token(settings: Settings, token: str) -> tuple[Principal, int]:
    """The token's caller and when it was issued (ms); raises when it is invalid or expired."""
    principal, expires_at, issued_ms = _verify_access_token(settings.secret_key, token)
    if expires_at <= time.time():
        raise TokenExpired()
    return principal, issued_ms


@functools.lru_cache(maxsize=VERIFIED_TOKENS_CACHED)
def _verify_access_token(secret_key: str, token: str) -> tuple[Principal, int, int]:
    """Signature and claims checked once per token; failures raise and are not cached."""
    try:
        claims = jwt.decode(
            token,
            base64.b64decode(secret_key),
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpired() from None
    except jwt.PyJWTError:
        raise TokenInvalid() from None
    try:
        issued_ms = int(claims.get("t", int(claims.get("iat", 0)) * 1000))
        return msgspec.convert(claims["p"], Principal), int(claims["exp"]), issued_ms
    except (KeyError, TypeError, ValueError, msgspec.ValidationError):
        raise TokenInvalid() from None


async def provide_principal(request: Request) -> Principal:
    """Litestar dependency: the caller, from `Authorization: Bearer <access token>`. A token issued
    before its account's sessions were ended is refused; a caller who must change a handed-out
    password reaches only routes marked ALLOWED_BEFORE_PASSWORD_CHANGE."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized()
    state = request.app.state
    principal, issued_ms = verify_access_token(state.settings, token.strip())
    await state.revocations.refresh_if_stale(state.db)
    if state.revocations.refuses(principal.user_id, issued_ms):
        raise TokenRevoked()
    if principal.must_change_password and not request.route_handler.opt.get(ALLOWED_BEFORE_PASSWORD_CHANGE):
        raise PasswordChangeRequired()
    return principal


def require_role(principal: Principal, roles: Iterable[Role]) -> None:
    if principal.role not in roles:
        raise Forbidden()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
