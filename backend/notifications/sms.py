"""SMS, the pluggable fallback channel (DOMAIN §9). No provider is configured by default.

A provider plugs in in three steps (see docs/notifications.md):

1. Write a class with `async def send(self, message: SmsMessage) -> None` that raises `SmsError`
   (`retryable=True` for network trouble or rate limits, False for a refusal such as a bad number).
   Chinese gateways (Aliyun, Tencent Cloud) only send pre-approved templates: map
   `message.event` to your template code and fill its parameters from `title`, `body` and `data`.
2. Register a factory for it: `SMS_PROVIDERS["aliyun"] = lambda settings, http: AliyunSms(...)`
   in a module imported at start-up (e.g. your package's `__init__`).
3. Set `FANGPIN_SMS_PROVIDER=aliyun`. Then every template with `sms_fallback` on sends an SMS to a
   user with a phone on file when the WeChat message cannot go (no grant, no openid, 43101).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import httpx
import msgspec

from backend.settings import Settings


class SmsMessage(msgspec.Struct, frozen=True, kw_only=True):
    phone: str
    event: str
    title: str
    body: str
    data: dict[str, str]


class SmsError(Exception):
    def __init__(self, reason: str, *, retryable: bool) -> None:
        self.retryable = retryable
        super().__init__(reason)


class SmsSender(Protocol):
    async def send(self, message: SmsMessage) -> None: ...


SmsFactory = Callable[[Settings, httpx.AsyncClient], SmsSender]
SMS_PROVIDERS: dict[str, SmsFactory] = {}


class UnknownSmsProvider(SystemExit):
    pass


def load_sms_sender(settings: Settings, http: httpx.AsyncClient) -> SmsSender | None:
    """The configured provider, or None (SMS off) when FANGPIN_SMS_PROVIDER is empty."""
    name = settings.sms_provider
    if not name:
        return None
    factory = SMS_PROVIDERS.get(name)
    if factory is None:
        raise UnknownSmsProvider(f"配置错误: FANGPIN_SMS_PROVIDER={name!r} is not a registered SMS provider")
    return factory(settings, http)
