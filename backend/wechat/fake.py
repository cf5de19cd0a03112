"""A local fake of the WeChat server APIs fangpin calls (DOMAIN §10), for tests, the demo and benches.

Run it with `fangpin wechat-fake [--port 8088]`. It speaks the real request and answer formats:

- `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code` → `{openid,
  session_key}` (as text/plain, like WeChat). Every js_code maps to the same openid each time:
  `"o" + sha256(js_code)[:27]`. An empty code → 40029; wrong appid → 40013, wrong secret → 40125.
- `POST /cgi-bin/stable_token {grant_type: client_credential, appid, secret, force_refresh?}` →
  `{access_token, expires_in: 7200}`. Like WeChat, the current token is returned again while it has
  more than 5 minutes left; `force_refresh: true` issues a new one and invalidates the old.
- `POST /wxa/business/getuserphonenumber?access_token= {code}` → `{errcode: 0, phone_info:
  {phoneNumber, purePhoneNumber, countryCode}}`. A code `phone-13800001234` returns that number;
  other codes must be registered with `/__fake__/phone`, else 40029.
- `POST /cgi-bin/message/subscribe/send?access_token= {touser, template_id, page, data,
  miniprogram_state, lang}` → `{errcode: 0}`; values longer than WeChat allows (`thing` 20,
  `phrase` 5, `name` 10, `character_string` 32 characters) → 47003. Accepted messages are recorded.

Token checks: a missing token → 41001, an unknown or replaced token → 40001, an expired one → 42001.

Control API (JSON; endpoint names `jscode2session`, `stable_token`, `getuserphonenumber`,
`subscribe_send`):

- `POST /__fake__/fail {"endpoint", "errcode": 40029|45011|40001|42001|43101|-1|..., "times": 1,
  "http_status"?: 503, "touser"?: openid}` — the next `times` calls to the endpoint (only those
  to `touser`, if given) answer that errcode, or with `http_status` an HTTP error page (WeChat down).
- `POST /__fake__/expire-tokens` — every issued access token is now expired (42001).
- `POST /__fake__/token-lifetime {"expires_in": 7200}` — lifetime of tokens issued from now on.
- `POST /__fake__/phone {"code", "phone"}` — what getuserphonenumber returns for a code.
- `POST /__fake__/answer-delay {"seconds": 2.5}` — subscribe sends are accepted (recorded) at
  once and answered that much later: a sender that dies or times out meanwhile has delivered.
- `GET /__fake__/sent` — the accepted subscribe messages, oldest first.
- `GET /__fake__/stats` — calls received per endpoint (including failed ones).
- `POST /__fake__/reset` — forget tokens, failures, phones, messages and stats.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.params import JSONBody

from backend.settings import Settings, load_settings

TOKEN_LIFETIME_S = 7200  # WeChat access tokens live two hours
TOKEN_REUSE_MIN_LEFT_S = 300  # stable_token hands out the current token while it has 5 min left
# Subscribe-message value limits per key type (订阅消息参数值内容限制).
VALUE_MAX_CHARS = {"thing": 20, "phrase": 5, "name": 10, "character_string": 32, "letter": 32, "symbol": 5}
MINIPROGRAM_STATES = {"developer", "trial", "formal"}
ENDPOINTS = ("jscode2session", "stable_token", "getuserphonenumber", "subscribe_send")

_decode = msgspec.json.Decoder(dict[str, Any])


class FailRule(msgspec.Struct):
    endpoint: str
    errcode: int = -1
    times: int = 1
    http_status: int | None = None
    touser: str | None = None


class SentMessage(msgspec.Struct):
    touser: str
    template_id: str
    data: dict[str, str]
    page: str | None
    miniprogram_state: str
    lang: str
    at: float


@dataclass
class FakeState:
    appid: str
    secret: str
    token_lifetime_s: int = TOKEN_LIFETIME_S
    tokens: dict[str, float] = field(default_factory=dict)  # token → expires at (epoch s)
    replaced: set[str] = field(default_factory=set)  # invalidated by force_refresh
    current: str | None = None
    rules: list[FailRule] = field(default_factory=list)
    phones: dict[str, str] = field(default_factory=dict)
    sent: list[SentMessage] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    answer_delay_s: float = 0.0  # a subscribe send is taken at once and answered this much later

    def reset(self) -> None:
        fresh = FakeState(self.appid, self.secret)
        self.__dict__.update(fresh.__dict__)


def _answer(body: dict[str, Any], media_type: str = MediaType.JSON) -> Response[bytes]:
    # WeChat answers errors with HTTP 200 too.
    return Response(msgspec.json.encode(body), status_code=200, media_type=media_type)


def _error(errcode: int, errmsg: str) -> Response[bytes]:
    return _answer({"errcode": errcode, "errmsg": errmsg})


def openid_for(js_code: str) -> str:
    return "o" + hashlib.sha256(js_code.encode()).hexdigest()[:27]


def create_fake_app(appid: str, secret: str) -> Litestar:
    state = FakeState(appid, secret)

    def injected(endpoint: str, touser: str | None = None) -> Response[bytes] | None:
        state.stats[endpoint] += 1
        for rule in state.rules:
            if rule.endpoint == endpoint and rule.times > 0 and rule.touser in (None, touser):
                rule.times -= 1
                if rule.http_status is not None:
                    return Response(b"<html>502 Bad Gateway</html>", status_code=rule.http_status, media_type=MediaType.HTML)
                return _error(rule.errcode, f"injected by fake, rid: {secrets.token_hex(4)}")
        return None

    def token_problem(request: Request) -> Response[bytes] | None:
        token = request.query_params.get("access_token")
        if not token:
            return _error(41001, "access_token missing")
        expires_at = state.tokens.get(token)
        if expires_at is None or token in state.replaced:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        if expires_at <= time.time():
            return _error(42001, "access_token expired")
        return None

    async def body_of(request: Request) -> dict[str, Any] | None:
        try:
            return _decode.decode(await request.body())
        except msgspec.DecodeError:
            return None

    @get("/sns/jscode2session", sync_to_thread=False)
    def jscode2session(request: Request) -> Response[bytes]:
        if failure := injected("jscode2session"):
            return failure
        query = request.query_params
        if query.get("appid") != state.appid:
            return _error(40013, "invalid appid")
        if query.get("secret") != state.secret:
            return _error(40125, "invalid appsecret")
        if query.get("grant_type") != "authorization_code":
            return _error(40002, "invalid grant_type")
        code = query.get("js_code") or ""
        if not code:
            return _error(40029, "invalid code")
        session = {"openid": openid_for(code), "session_key": secrets.token_urlsafe(16)}
        return _answer(session, media_type=MediaType.TEXT)

    @post("/cgi-bin/stable_token")
    async def stable_token(request: Request) -> Response[bytes]:
        if failure := injected("stable_token"):
            return failure
        body = await body_of(request)
        if body is None:
            return _error(47001, "data format error")
        if body.get("grant_type") != "client_credential":
            return _error(40002, "invalid grant_type")
        if body.get("appid") != state.appid:
            return _error(40013, "invalid appid")
        if body.get("secret") != state.secret:
            return _error(40125, "invalid appsecret")
        now = time.time()
        current_left = state.tokens.get(state.current or "", 0) - now
        if body.get("force_refresh") or current_left <= TOKEN_REUSE_MIN_LEFT_S:
            if body.get("force_refresh") and state.current:
                state.replaced.add(state.current)
            state.current = secrets.token_urlsafe(48)
            state.tokens[state.current] = now + state.token_lifetime_s
            current_left = state.token_lifetime_s
        return _answer({"access_token": state.current, "expires_in": int(current_left)})

    @post("/wxa/business/getuserphonenumber")
    async def getuserphonenumber(request: Request) -> Response[bytes]:
        if failure := injected("getuserphonenumber") or token_problem(request):
            return failure
        body = await body_of(request)
        code = (body or {}).get("code") or ""
        phone = state.phones.get(code) or (code.removeprefix("phone-") if code.startswith("phone-") else None)
        if not phone:
            return _error(40029, "invalid code")
        return _answer(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": phone,
                    "purePhoneNumber": phone,
                    "countryCode": "86",
                    "watermark": {"timestamp": int(time.time()), "appid": state.appid},
                },
            }
        )

    @post("/cgi-bin/message/subscribe/send")
    async def subscribe_send(request: Request) -> Response[bytes]:
        body = await body_of(request)
        if body is None:
            injected("subscribe_send")
            return _error(47001, "data format error")
        touser = str(body.get("touser") or "")
        if failure := injected("subscribe_send", touser) or token_problem(request):
            return failure
        if not touser:
            return _error(40003, "invalid openid")
        if not body.get("template_id"):
            return _error(40037, "invalid template_id")
        state_name = body.get("miniprogram_state", "formal")
        if state_name not in MINIPROGRAM_STATES:
            return _error(47003, f"argument invalid! miniprogram_state {state_name}")
        data: dict[str, str] = {}
        for key, item in (body.get("data") or {}).items():
            value = item.get("value") if isinstance(item, dict) else None
            kind = key.rstrip("0123456789")
            if not isinstance(value, str) or len(value) > VALUE_MAX_CHARS.get(kind, 200):
                return _error(47003, f"argument invalid! data.{key}.value invalid")
            data[key] = value
        state.sent.append(
            SentMessage(
                touser=touser,
                template_id=str(body["template_id"]),
                data=data,
                page=body.get("page"),
                miniprogram_state=state_name,
                lang=str(body.get("lang", "zh_CN")),
                at=time.time(),
            )
        )
        msgid = len(state.sent)
        await asyncio.sleep(state.answer_delay_s)
        return _answer({"errcode": 0, "errmsg": "ok", "msgid": msgid})

    @post("/__fake__/fail", status_code=200)
    async def control_fail(data: JSONBody[FailRule]) -> dict[str, str]:
        state.rules.append(data)
        return {"status": "ok"}

    @post("/__fake__/expire-tokens", status_code=200, sync_to_thread=False)
    def control_expire_tokens() -> dict[str, str]:
        state.tokens = {token: 0.0 for token in state.tokens}
        return {"status": "ok"}

    @post("/__fake__/token-lifetime", status_code=200, sync_to_thread=False)
    def control_token_lifetime(data: JSONBody[dict[str, int]]) -> dict[str, str]:
        state.token_lifetime_s = data["expires_in"]
        return {"status": "ok"}

    @post("/__fake__/phone", status_code=200, sync_to_thread=False)
    def control_phone(data: JSONBody[dict[str, str]]) -> dict[str, str]:
        state.phones[data["code"]] = data["phone"]
        return {"status": "ok"}

    @post("/__fake__/answer-delay", status_code=200, sync_to_thread=False)
    def control_answer_delay(data: JSONBody[dict[str, float]]) -> dict[str, str]:
        state.answer_delay_s = data["seconds"]
        return {"status": "ok"}

    @get("/__fake__/sent", sync_to_thread=False)
    def control_sent() -> list[SentMessage]:
        return state.sent

    @get("/__fake__/stats", sync_to_thread=False)
    def control_stats() -> dict[str, int]:
        return {endpoint: state.stats[endpoint] for endpoint in ENDPOINTS}

    @post("/__fake__/reset", status_code=200, sync_to_thread=False)
    def control_reset() -> dict[str, str]:
        state.reset()
        return {"status": "ok"}

    return Litestar(
        route_handlers=[
            jscode2session,
            stable_token,
            getuserphonenumber,
            subscribe_send,
            control_fail,
            control_expire_tokens,
            control_token_lifetime,
            control_phone,
            control_answer_delay,
            control_sent,
            control_stats,
            control_reset,
        ],
        openapi_config=None,
        logging_config=None,  # keep the JSON log handler (litestar's default replaces it)
    )


def serve_fake(host: str, port: int, settings: Settings | None = None) -> None:
    import uvicorn

    settings = settings or load_settings()
    uvicorn.run(
        create_fake_app(settings.wechat_appid, settings.wechat_secret),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
    )


@contextmanager
def fake_in_thread(appid: str, secret: str, host: str = "127.0.0.1") -> Iterator[str]:
    """Runs the fake on a free port in a background thread; yields its base URL."""
    import uvicorn

    config = uvicorn.Config(
        create_fake_app(appid, secret), host=host, port=0, log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="wechat-fake", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the WeChat fake did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


class FakeControl:
    """The control API from Python (tests, benches)."""

    def __init__(self, base_url: str) -> None:
        self._base = base_url.rstrip("/") + "/__fake__"

    async def _post(self, path: str, body: dict[str, Any] | None = None) -> None:
        async with httpx.AsyncClient() as http:
            (await http.post(self._base + path, json=body or {})).raise_for_status()

    async def _get(self, path: str) -> Any:
        async with httpx.AsyncClient() as http:
            response = await http.get(self._base + path)
            response.raise_for_status()
            return response.json()

    async def fail(
        self, endpoint: str, errcode: int = -1, times: int = 1, *, http_status: int | None = None, touser: str | None = None
    ) -> None:
        assert endpoint in ENDPOINTS, endpoint
        rule = {"endpoint": endpoint, "errcode": errcode, "times": times, "http_status": http_status, "touser": touser}
        await self._post("/fail", rule)

    async def expire_tokens(self) -> None:
        await self._post("/expire-tokens")

    async def token_lifetime(self, expires_in: int) -> None:
        await self._post("/token-lifetime", {"expires_in": expires_in})

    async def phone(self, code: str, phone: str) -> None:
        await self._post("/phone", {"code": code, "phone": phone})

    async def answer_delay(self, seconds: float) -> None:
        """Messages are received (and counted as sent) at once, their answers held this long."""
        await self._post("/answer-delay", {"seconds": seconds})

    async def sent(self) -> list[dict[str, Any]]:
        return await self._get("/sent")

    async def stats(self) -> dict[str, int]:
        return await self._get("/stats")

    async def reset(self) -> None:
        await self._post("/reset")
