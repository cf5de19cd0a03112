"""The WeChat server APIs the service calls (DOMAIN §10), over HTTP, base URL from settings.

WeChat answers HTTP 200 with `{errcode, errmsg}` on failure; a missing errcode or 0 is success.
Network failures and unreadable answers raise WeChatError with a negative errcode so callers
can tell "try again later" from a refusal.

The access token is shared by every API process and worker through Redis: one of them refreshes
it (holding a Redis lock) while the others wait for the new value.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

import httpx
import msgspec
from arq.connections import ArqRedis

from backend.settings import Settings

# httpx logs every request URL at INFO, and WeChat puts the access token (a credential) in the URL.
logging.getLogger("httpx").setLevel(logging.WARNING)

# WeChat keeps an old token valid for 5 minutes after issuing a new one ("新老 access_token 在
# 5 分钟内都可用"), so refreshing this long before expiry never leaves a gap.
ACCESS_TOKEN_REFRESH_MARGIN_S = 300
# A refresher that dies holding the lock blocks the others at most this long.
TOKEN_LOCK_TTL_S = 15
# Waiters poll for the refresher's token; give up (as a network failure) after this.
TOKEN_WAIT_S = 20.0
TOKEN_POLL_S = 0.05

# errcodes (https://developers.weixin.qq.com, 全局返回码)
NETWORK_ERROR = -1  # connection failed or timed out; WeChat's own -1 (系统繁忙) also means "later"
BAD_RESPONSE = -2  # ours: non-200 status or a body that is not WeChat's JSON
ANSWER_LOST = -3  # ours: the request went out, then no answer (timeout, reset); it may have acted
INVALID_TOKEN = 40001
INVALID_CODE = 40029
TOKEN_EXPIRED = 42001
RATE_LIMITED = 45011
NO_SUBSCRIBE_GRANT = 43101
TOKEN_REJECTED = frozenset({INVALID_TOKEN, TOKEN_EXPIRED})

# Lua: delete the lock only if we still own it (it may have expired and been taken by another).
_RELEASE_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def access_token_key(settings: Settings) -> str:
    """Where the shared access token is cached in Redis."""
    return settings.redis_prefix + "wechat:access_token"


class WeChatError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"wechat errcode {errcode}: {errmsg}")

    @property
    def retryable(self) -> bool:
        """Network trouble, WeChat busy or rate limited: the same call may succeed later."""
        return self.errcode < 0 or self.errcode == RATE_LIMITED


class WxSession(msgspec.Struct):
    openid: str
    session_key: str
    unionid: str | None = None


class _TokenAnswer(msgspec.Struct):
    access_token: str
    expires_in: int


class _PhoneInfo(msgspec.Struct):
    purePhoneNumber: str  # noqa: N815 (WeChat's field name)


class _PhoneAnswer(msgspec.Struct):
    phone_info: _PhoneInfo


_decode_json = msgspec.json.Decoder(dict[str, Any])


class WeChatClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient, redis: ArqRedis) -> None:
        self._settings = settings
        self._http = http
        self._redis = redis
        self._base = settings.wechat_base_url.rstrip("/")
        self._token_key = access_token_key(settings)
        self._lock_key = self._token_key + ":lock"

    async def code_to_session(self, js_code: str) -> WxSession:
        """The mini-program user behind a wx.login code (40029 invalid code, 45011 rate limit)."""
        params = {
            "appid": self._settings.wechat_appid,
            "secret": self._settings.wechat_secret,
            "js_code": js_code,
            "grant_type": "authorization_code",
        }
        answer = await self._call("GET", "/sns/jscode2session", params=params)
        return _convert(answer, WxSession)

    async def access_token(self, *, force_refresh: bool = False) -> str:
        """A valid access token, from the shared cache unless it is missing or force_refresh."""
        rejected = await self._redis.get(self._token_key) if force_refresh else None
        return await self._shared_token(rejected.decode() if rejected else None, force=force_refresh)

    async def phone_number(self, code: str) -> str:
        """The phone number the user agreed to share (getPhoneNumber button code)."""
        answer = await self._call_with_token("/wxa/business/getuserphonenumber", {"code": code})
        return _convert(answer, _PhoneAnswer).phone_info.purePhoneNumber

    async def send_subscribe_message(
        self, touser: str, template_id: str, page: str | None, data: dict[str, str]
    ) -> None:
        """Sends one subscribe message; WeChatError 43101 means the user holds no grant."""
        body: dict[str, Any] = {
            "touser": touser,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
            "miniprogram_state": "formal",
            "lang": "zh_CN",
        }
        if page:
            body["page"] = page
        await self._call_with_token("/cgi-bin/message/subscribe/send", body)

    async def _call_with_token(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        token = await self.access_token()
        try:
            return await self._call("POST", path, params={"access_token": token}, json=body)
        except WeChatError as exc:
            if exc.errcode not in TOKEN_REJECTED:
                raise
        # The token expired or was replaced elsewhere: get a newer one and try exactly once more.
        token = await self._shared_token(token, force=True)
        return await self._call("POST", path, params={"access_token": token}, json=body)

    async def _shared_token(self, rejected: str | None, *, force: bool) -> str:
        """The cached token unless it is `rejected`; otherwise one caller refreshes, others wait."""
        deadline = time.monotonic() + TOKEN_WAIT_S
        owner = secrets.token_hex(8)
        while True:
            cached = await self._usable_cached(rejected, force)
            if cached:
                return cached
            if await self._redis.set(self._lock_key, owner, nx=True, ex=TOKEN_LOCK_TTL_S):
                try:
                    # Another caller may have finished a refresh between our read and the lock.
                    return await self._usable_cached(rejected, force) or await self._fetch_token(force)
                finally:
                    await self._redis.eval(_RELEASE_LOCK, 1, self._lock_key, owner)
            if time.monotonic() > deadline:
                raise WeChatError(NETWORK_ERROR, "timed out waiting for the access token refresh")
            await asyncio.sleep(TOKEN_POLL_S)

    async def _usable_cached(self, rejected: str | None, force: bool) -> str | None:
        raw = await self._redis.get(self._token_key)
        cached = raw.decode() if raw else None
        if cached is None or (force and cached == rejected):
            return None
        return cached

    async def _fetch_token(self, force: bool) -> str:
        body: dict[str, Any] = {
            "grant_type": "client_credential",
            "appid": self._settings.wechat_appid,
            "secret": self._settings.wechat_secret,
        }
        if force:
            body["force_refresh"] = True
        answer = _convert(await self._call("POST", "/cgi-bin/stable_token", json=body), _TokenAnswer)
        # Cached until the margin before WeChat's expiry, so nobody is handed a dying token.
        cache_s = max(answer.expires_in - ACCESS_TOKEN_REFRESH_MARGIN_S, 1)
        await self._redis.set(self._token_key, answer.access_token, ex=cache_s)
        return answer.access_token

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            response = await self._http.request(method, self._base + path, params=params, json=json)
        except (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError) as exc:
            raise WeChatError(ANSWER_LOST, f"{type(exc).__name__}: {exc}") from None
        except httpx.HTTPError as exc:
            raise WeChatError(NETWORK_ERROR, f"{type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise WeChatError(BAD_RESPONSE, f"HTTP {response.status_code}")
        try:
            # jscode2session answers JSON labelled text/plain, so the content type is ignored.
            answer = _decode_json.decode(response.content)
        except msgspec.DecodeError:
            raise WeChatError(BAD_RESPONSE, "answer is not JSON") from None
        errcode = answer.get("errcode") or 0
        if errcode != 0:
            raise WeChatError(int(errcode), str(answer.get("errmsg", "")))
        return answer


def _convert(answer: dict[str, Any], type_: type[Any]) -> Any:
    try:
        return msgspec.convert(answer, type_)
    except msgspec.ValidationError as exc:
        raise WeChatError(BAD_RESPONSE, f"unexpected answer: {exc}") from None
