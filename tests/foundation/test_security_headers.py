"""Every answer carries the security headers; CORS answers only the configured console origins."""

from __future__ import annotations

import asyncio
import json
import time

import msgspec
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.settings import Settings

CONSOLE = "https://console.fangpin.example.gov.cn"


async def test_every_answer_carries_the_security_headers(client: AsyncTestClient) -> None:
    for path, status in (("/ping", 200), ("/api/no-such-route", 404), ("/api/auth/me", 401)):
        response = await client.get(path)
        assert response.status_code == status
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert headers["cache-control"] == "no-store"  # personal data stays out of shared caches
        assert "max-age=" in headers["strict-transport-security"]
        assert "access-control-allow-origin" not in headers  # no origin configured in tests
    docs = await client.get("/schema/swagger")
    assert docs.status_code == 200 and "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    assert "default-src 'self'" in docs.headers["content-security-policy"]


async def test_cors_answers_the_configured_console_and_nobody_else(settings: Settings) -> None:
    app = create_app(msgspec.structs.replace(settings, cors_origins=f"{CONSOLE}, https://other.example"),
                     configure_logs=False)
    async with AsyncTestClient(app=app) as client:
        preflight = await client.options("/api/auth/login", headers={
            "Origin": CONSOLE, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        })
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == CONSOLE
        assert "POST" in preflight.headers["access-control-allow-methods"]
        answered = await client.get("/ping", headers={"Origin": CONSOLE})
        assert answered.headers["access-control-allow-origin"] == CONSOLE
        assert "Retry-After" in answered.headers["access-control-expose-headers"]
        stranger = await client.get("/ping", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in stranger.headers


async def test_a_client_dripping_its_body_is_cut_off_with_408(settings: Settings) -> None:
    """Straight through the app's ASGI entry (the test client would send the body at once): half
    a body, then nothing; the request ends within the timeout, not when the client gives up."""
    app = create_app(msgspec.structs.replace(settings, request_body_timeout_s=0.3), configure_logs=False)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/api/auth/login", "raw_path": b"/api/auth/login", "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"60")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }
    pieces = [{"type": "http.request", "body": b'{"username": "zhang', "more_body": True}]

    async def receive() -> dict:
        if pieces:
            return pieces.pop(0)
        await asyncio.sleep(60)  # the client's next byte never comes
        return {"type": "http.disconnect"}

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    started = time.perf_counter()
    await asyncio.wait_for(app(scope, receive, send), 10)
    assert time.perf_counter() - started < 5
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 408
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["code"] == "request_body_timeout" and "重试" in body["message"]


async def test_headers_beyond_16_kib_are_refused_before_any_route(client: AsyncTestClient) -> None:
    answer = await client.get("/api/auth/me", headers={"X-Padding": "x" * 20_000})
    assert answer.status_code == 431
    assert answer.json()["code"] == "headers_too_large" and answer.json()["message"] == "请求头太大，请清理后重试"
    assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["x-request-id"]
    assert (await client.get("/ping", headers={"X-Padding": "x" * 8_000})).status_code == 200
