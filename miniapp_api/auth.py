"""Mini-program log-in: WeChat code → farmer tokens, and binding the farmer to their household."""

from __future__ import annotations

from litestar import Router, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from backend.accounts import errors as accounts_errors
from backend.accounts import service
from backend.auth import require_role
from backend.deps import PUBLIC, Caller, Conn, LimiterDep, PiiDep, RedisDep, SettingsDep
from backend.errors import responses
from backend.ratelimit import errors as ratelimit_errors
from backend.ratelimit.rules import Action as Limited
from backend.wechat.client import WeChatClient
from schemas.accounts import FarmerBind, TokenPair, WeChatLogin
from schemas.base import Role


def provide_wechat(state: State) -> WeChatClient:
    return WeChatClient(state.settings, state.http, state.redis)


WeChat = NamedDependency[WeChatClient]


@post(
    "/login",
    operation_id="FarmerWeChatLogin",
    responses=responses(
        accounts_errors.WechatCodeInvalid,
        accounts_errors.AccountDisabled,
        accounts_errors.WechatRateLimited,
        accounts_errors.WechatUnavailable,
    ),
    status_code=200,
    dependencies=PUBLIC,
)
async def login(data: JSONBody[WeChatLogin], conn: Conn, settings: SettingsDep, wechat: WeChat) -> TokenPair:
    return await service.login_farmer(conn, settings, wechat, data.code)


@post(
    "/bind",
    operation_id="FarmerBindHousehold",
    responses=responses(
        accounts_errors.PhoneCodeInvalid,
        accounts_errors.AlreadyBoundToOther,
        accounts_errors.PersonAlreadyBound,
        accounts_errors.BindingMismatch,
        accounts_errors.IdNumberInvalid,
        accounts_errors.BindingThrottled,
        accounts_errors.WechatPhoneRateLimited,
        accounts_errors.ThrottleUnavailable,
        accounts_errors.WechatUnavailable,
        ratelimit_errors.RateLimited,
        ratelimit_errors.RateLimiterUnavailable,
    ),
    status_code=200,
)
async def bind(
    data: JSONBody[FarmerBind],
    conn: Conn,
    redis: RedisDep,
    pii: PiiDep,
    settings: SettingsDep,
    wechat: WeChat,
    principal: Caller,
    limiter: LimiterDep,
) -> TokenPair:
    require_role(principal, {Role.farmer})
    await limiter.check(Limited.farmer_bind, principal.user_id)
    return await service.bind_farmer(conn, redis, pii, settings, wechat, principal, data)


router = Router(
    path="/api/miniapp/auth",
    route_handlers=[login, bind],
    dependencies={"wechat": Provide(provide_wechat, sync_to_thread=False)},
    tags=["miniapp-auth"],
)
