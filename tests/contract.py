"""Every answer the test suite sees must be one the OpenAPI document promises.

The session's client runs through `ResponseRecorder`; when the session ends, `undocumented()`
lists each (operation, status, code) seen that the document does not describe, and the run fails.
"""

from __future__ import annotations

import json
import re
from typing import Any

from litestar import Litestar

_TYPED_PARAMETER = re.compile(r"\{(\w+):\w+\}")


class ResponseRecorder:
    def __init__(self, app: Litestar) -> None:
        self.app = app
        self.inner = app.asgi_handler
        self.seen: set[tuple[str, str, int, str | None]] = set()
        app.asgi_handler = self  # type: ignore[assignment]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        answer: dict[str, Any] = {"body": b""}

        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["json"] = any(
                    k == b"content-type" and v.startswith(b"application/json") for k, v in message["headers"]
                )
            elif (
                message["type"] == "http.response.body" and answer.get("status", 0) >= 400 and answer["json"]
            ):
                answer["body"] += message.get("body", b"")
            await send(message)

        await self.inner(scope, receive, recording_send)
        template = scope.get("path_template")
        if template is None:  # no route matched: a 404/405 of the router, not of an operation
            return
        code = json.loads(answer["body"]).get("code") if answer["body"] else None
        self.seen.add(
            (scope["method"].lower(), _TYPED_PARAMETER.sub(r"{\1}", template), answer["status"], code)
        )

    def undocumented(self) -> list[str]:
        paths = self.app.openapi_schema.to_schema()["paths"]
        missing = []
        for method, path, status, code in sorted(self.seen, key=str):
            operation = paths.get(path, {}).get(method)
            if operation is None:
                continue  # not in the schema at all (e.g. the schema page itself)
            response = operation["responses"].get(str(status))
            codes = {
                e["summary"]
                for e in (response or {})
                .get("content", {})
                .get("application/json", {})
                .get("examples", {})
                .values()
            }
            if response is None or (code is not None and code not in codes):
                missing.append(f"{method.upper()} {path} → {status} {code or ''}".rstrip())
        return missing
