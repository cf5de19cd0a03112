"""Response headers every answer carries, and which browser origins may call the API (a web
console; the WeChat mini-program is not a browser page and needs no CORS). docs/security.md."""

from __future__ import annotations

import asyncio

from litestar.config.cors import CORSConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import RequestBodyTimeout
from backend.settings import Settings

# The API answers JSON, files and photos, never pages to frame or scripts to run; the OpenAPI
# viewer under /schema loads its own scripts and styles, so it gets a looser policy.
_API_POLICY = b"default-src 'none'; frame-ancestors 'none'"
_DOCS_POLICY = (
    b"default-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com; img-src 'self' data:; "
    b"frame-ancestors 'none'"
)
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def security_headers(app: ASGIApp) -> ASGIApp:
    """Adds the headers to every HTTP answer that does not set its own (photos set Cache-Control)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        policy = _DOCS_POLICY if scope["path"].startswith("/schema") else _API_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [*_HEADERS, (b"content-security-policy", policy), (b"cache-control", b"no-store")]
                headers.extend((name, value) for name, value in extra if name not in present)
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


def body_deadline(app: ASGIApp, timeout_s: float) -> ASGIApp:
    """Each piece of a request body must arrive within `timeout_s` of the one before, or the
    request ends with 408 (raised from `receive`, so the route's own error handling answers it
    and nothing half-read is stored)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def receive_in_time() -> Message:
            try:
                return await asyncio.wait_for(receive(), timeout_s)
            except TimeoutError:
                raise RequestBodyTimeout() from None

        await app(scope, receive_in_time, send)

    return middleware


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS for the configured web console origins only; none configured, no CORS answers at all."""
    origins = settings.cors_origin_list
    if not origins:
        return None
    return CORSConfig(
        allow_origins=origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
        expose_headers=["Location", "Retry-After", "X-Request-ID", "Content-Disposition"],
        allow_credentials=False,  # bearer tokens, never cookies
        max_age=600,
    )
