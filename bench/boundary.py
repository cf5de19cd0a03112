"""CPU the boundary check (backend/boundary.py) adds to a request, in process, no servers needed:

    .venv/bin/python bench/boundary.py [--calls 100000]

The app's before_request hook is timed on the requests a household read and a household search
make (path id; three query parameters) and on a household create's JSON body, each taken from a
real pass through the app, so litestar's parsed parameters and body are what the hook sees.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import msgspec
from litestar import Request

from backend import app as app_module
from backend import boundary

CREATE_BODY = msgspec.json.encode(
    {
        "household_no": "NEW0001",
        "village_code": "450102001001",
        "category": "ordinary",
        "address": "一组1号",
        "head_phone": "13900001111",
        "members": [
            {"name": "张三", "id_number": "450102198503150011", "relation": "head"},
            {"name": "李四", "id_number": "450102198703150021", "relation": "spouse"},
        ],
    }
)
CASES = [
    ("household read", "GET", "/api/households/12345", b"", b""),
    ("household search", "GET", "/api/households", b"name=%E5%BC%A0&page=2&page_size=20", b""),
    ("household create", "POST", "/api/households", b"", CREATE_BODY),
]


async def captured_request(method: str, path: str, query: bytes, body: bytes) -> Request[Any, Any, Any]:
    """The Request the hook sees, from one pass through the app (which then answers 401)."""
    seen: list[Request[Any, Any, Any]] = []

    async def capture(request: Request[Any, Any, Any]) -> None:
        seen.append(request)
        await boundary.check_request(request)

    app_module.check_request = capture  # create_app reads it when it builds the app
    app = app_module.create_app(configure_logs=False)
    headers = [(b"content-type", b"application/json")] if body else []
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
        "method": method, "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query, "headers": headers, "server": ("bench", 80), "client": ("bench", 1),
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(_: Any) -> None:
        return None

    await app(scope, receive, send)
    await seen[0].json() if body else None
    return seen[0]


async def main(calls: int) -> None:
    for label, method, path, query, body in CASES:
        request = await captured_request(method, path, query, body)
        started = time.perf_counter()
        for _ in range(calls):
            await boundary.check_request(request)
        print(f"{label:18} {(time.perf_counter() - started) / calls * 1e6:5.2f} µs per request")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().calls))
