"""The real WeChat client against the shipped fake, with the shared token cached in real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
from arq.connections import ArqRedis

from backend.queue import create_redis
from backend.settings import Settings
from backend.wechat import client as wx
from backend.wechat.client import WeChatClient, WeChatError, access_token_key
from backend.wechat.fake import FakeControl, openid_for


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[ArqRedis]:
    redis = create_redis(settings)
    yield redis
    await redis.aclose()


@pytest.fixture
async def wechat(settings: Settings, redis: ArqRedis, wechat_fake: FakeControl) -> AsyncIterator[WeChatClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield WeChatClient(settings, http, redis)


async def test_login_maps_each_code_to_a_stable_openid(wechat: WeChatClient) -> None:
    first = await wechat.code_to_session("code-a")
    again = await wechat.code_to_session("code-a")
    other = await wechat.code_to_session("code-b")
    assert first.openid == again.openid == openid_for("code-a")
    assert other.openid != first.openid
    assert first.session_key


@pytest.mark.parametrize("errcode", [wx.INVALID_CODE, wx.RATE_LIMITED])
async def test_login_errors_reach_the_caller(wechat: WeChatClient, wechat_fake: FakeControl, errcode: int) -> None:
    await wechat_fake.fail("jscode2session", errcode)
    with pytest.raises(WeChatError) as caught:
        await wechat.code_to_session("code-a")
    assert caught.value.errcode == errcode
    assert caught.value.retryable is (errcode == wx.RATE_LIMITED)
    assert (await wechat.code_to_session("code-a")).openid == openid_for("code-a")  # one failure only


async def test_wrong_app_secret_is_refused(settings: Settings, redis: ArqRedis, wechat_fake: FakeControl) -> None:
    wrong = msgspec.structs.replace(settings, wechat_secret="not-the-secret")
    async with httpx.AsyncClient() as http:
        with pytest.raises(WeChatError) as caught:
            await WeChatClient(wrong, http, redis).code_to_session("code-a")
    assert caught.value.errcode == 40125


async def test_wechat_unreachable_or_broken_is_a_retryable_error(
    settings: Settings, redis: ArqRedis, wechat: WeChatClient, wechat_fake: FakeControl
) -> None:
    nowhere = msgspec.structs.replace(settings, wechat_base_url="http://127.0.0.1:9")
    async with httpx.AsyncClient(timeout=2.0) as http:
        with pytest.raises(WeChatError) as caught:
            await WeChatClient(nowhere, http, redis).code_to_session("code-a")
    assert caught.value.errcode == wx.NETWORK_ERROR and caught.value.retryable

    await wechat_fake.fail("jscode2session", http_status=502)
    with pytest.raises(WeChatError) as caught:
        await wechat.code_to_session("code-a")
    assert caught.value.errcode == wx.BAD_RESPONSE and caught.value.retryable


async def test_phone_number_from_code(wechat: WeChatClient, wechat_fake: FakeControl) -> None:
    await wechat_fake.phone("button-code", "13912345678")
    assert await wechat.phone_number("button-code") == "13912345678"
    assert await wechat.phone_number("phone-13800001234") == "13800001234"
    with pytest.raises(WeChatError) as caught:
        await wechat.phone_number("unknown-code")
    assert caught.value.errcode == wx.INVALID_CODE


async def test_subscribe_message_is_delivered_in_wechat_format(wechat: WeChatClient, wechat_fake: FakeControl) -> None:
    await wechat.send_subscribe_message("o-farmer", "tmpl-1", "pages/case/index?id=7", {"thing1": "申请已受理", "phrase2": "审核中"})
    [sent] = await wechat_fake.sent()
    assert sent["touser"] == "o-farmer" and sent["template_id"] == "tmpl-1"
    assert sent["data"] == {"thing1": "申请已受理", "phrase2": "审核中"}
    assert sent["page"] == "pages/case/index?id=7"
    assert sent["lang"] == "zh_CN" and sent["miniprogram_state"] == "formal"


async def test_subscribe_value_over_wechat_limit_is_refused(wechat: WeChatClient, wechat_fake: FakeControl) -> None:
    with pytest.raises(WeChatError) as caught:
        await wechat.send_subscribe_message("o-farmer", "tmpl-1", None, {"thing1": "长" * 21})
    assert caught.value.errcode == 47003
    assert await wechat_fake.sent() == []


async def test_no_grant_is_reported_and_not_retried(wechat: WeChatClient, wechat_fake: FakeControl) -> None:
    await wechat_fake.fail("subscribe_send", wx.NO_SUBSCRIBE_GRANT, touser="o-no-grant")
    with pytest.raises(WeChatError) as caught:
        await wechat.send_subscribe_message("o-no-grant", "tmpl-1", None, {"thing1": "已批准"})
    assert caught.value.errcode == wx.NO_SUBSCRIBE_GRANT and not caught.value.retryable
    assert (await wechat_fake.stats())["subscribe_send"] == 1
    assert await wechat_fake.sent() == []


@pytest.mark.parametrize("errcode", [wx.INVALID_TOKEN, wx.TOKEN_EXPIRED])
async def test_rejected_token_is_refreshed_once_and_the_call_succeeds(
    wechat: WeChatClient, wechat_fake: FakeControl, errcode: int
) -> None:
    old = await wechat.access_token()
    await wechat_fake.fail("subscribe_send", errcode)
    await wechat.send_subscribe_message("o-farmer", "tmpl-1", None, {"thing1": "已批准"})
    assert len(await wechat_fake.sent()) == 1
    assert await wechat.access_token() != old
    assert await wechat_fake.stats() == {
        "jscode2session": 0,
        "stable_token": 2,
        "getuserphonenumber": 0,
        "subscribe_send": 2,
    }


async def test_tokens_expired_at_wechat_are_replaced(wechat: WeChatClient, wechat_fake: FakeControl) -> None:
    await wechat.access_token()
    await wechat_fake.expire_tokens()  # WeChat forgot them before our cache did
    assert await wechat.phone_number("phone-13800001234") == "13800001234"
    assert (await wechat_fake.stats())["stable_token"] == 2


async def test_token_rejected_twice_gives_up_after_one_retry(wechat: WeChatClient, wechat_fake: FakeControl) -> None:
    await wechat_fake.fail("getuserphonenumber", wx.INVALID_TOKEN, times=5)
    with pytest.raises(WeChatError) as caught:
        await wechat.phone_number("phone-13800001234")
    assert caught.value.errcode == wx.INVALID_TOKEN
    assert (await wechat_fake.stats())["getuserphonenumber"] == 2


async def test_force_refresh_replaces_the_token_everywhere(
    wechat: WeChatClient, wechat_fake: FakeControl, redis: ArqRedis, settings: Settings
) -> None:
    old = await wechat.access_token()
    new = await wechat.access_token(force_refresh=True)
    assert new != old
    assert (await redis.get(access_token_key(settings))).decode() == new
    # WeChat invalidates the replaced token: a process still holding it recovers by itself.
    await redis.set(access_token_key(settings), old)
    assert await wechat.phone_number("phone-13800001234") == "13800001234"


async def test_token_is_cached_and_shared_by_concurrent_callers(
    settings: Settings, wechat_fake: FakeControl
) -> None:
    # Eight "processes": each its own HTTP client and Redis connection, all asking at once.
    rediss = [create_redis(settings) for _ in range(8)]
    async with httpx.AsyncClient() as http:
        clients = [WeChatClient(settings, http, redis) for redis in rediss]
        tokens = await asyncio.gather(*(c.access_token() for c in clients))
        tokens += await asyncio.gather(*(c.access_token() for c in clients))
    for redis in rediss:
        await redis.aclose()
    assert len(set(tokens)) == 1
    assert (await wechat_fake.stats())["stable_token"] == 1


async def test_token_is_cached_until_the_margin_before_expiry(
    wechat: WeChatClient, redis: ArqRedis, settings: Settings
) -> None:
    await wechat.access_token()
    ttl_s = await redis.ttl(access_token_key(settings))
    assert 7200 - wx.ACCESS_TOKEN_REFRESH_MARGIN_S - 5 <= ttl_s <= 7200 - wx.ACCESS_TOKEN_REFRESH_MARGIN_S


async def test_token_is_refreshed_before_it_expires(wechat: WeChatClient, wechat_fake: FakeControl) -> None:
    # Tokens that expire one second after the refresh margin: the cache must let go after ~1 s,
    # while WeChat would still accept the old token for the whole margin.
    await wechat_fake.token_lifetime(wx.ACCESS_TOKEN_REFRESH_MARGIN_S + 1)
    first = await wechat.access_token()
    await asyncio.sleep(1.2)
    second = await wechat.access_token()
    assert second != first
    assert (await wechat_fake.stats())["stable_token"] == 2


async def test_a_crashed_refresher_blocks_others_only_until_its_lock_expires(
    wechat: WeChatClient, wechat_fake: FakeControl, redis: ArqRedis, settings: Settings
) -> None:
    await redis.set(access_token_key(settings) + ":lock", "dead-process", px=300)
    assert await wechat.access_token()
    assert (await wechat_fake.stats())["stable_token"] == 1
