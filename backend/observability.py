"""Request ids and JSON logs: every response carries `X-Request-ID`, every log line its id.

The id is always the server's own. One a client sent in `X-Request-ID` is kept beside it as
`client_request_id` (printable ASCII, at most CLIENT_REQUEST_ID_MAX_CHARS) in log lines and the
audit trail, so a caller's trace can be found but never stands in for ours."""

from __future__ import annotations

import contextvars
import logging
import secrets
import sys
import time
from types import TracebackType

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
CLIENT_REQUEST_ID_MAX_CHARS = 64
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_client_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_request_id", default=None)
_json = msgspec.json.Encoder()

# Attributes every LogRecord has; anything else was passed with `extra=` and goes into the line
# (but not uvicorn's `color_message`, the message again with terminal colour codes).
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


def current_request_id() -> str:
    return _request_id.get()


def current_client_request_id() -> str | None:
    return _client_request_id.get()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            "request_id": current_request_id(),
        }
        if (client_request_id := current_client_request_id()) is not None:
            line["client_request_id"] = client_request_id
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return _json.encode(line).decode(errors="replace")


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # a Python warning is a JSON line too, not raw text on stderr
    # uvicorn's access log duplicates ours and is not JSON.
    logging.getLogger("uvicorn.access").disabled = True


def log_uncaught_exceptions() -> None:
    """A crash ends in one JSON line (`process.crashed`, the traceback in `exc`), not raw text."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        logging.getLogger("fangpin").critical("process.crashed", exc_info=(kind, value, tb))

    sys.excepthook = hook


def _client_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            text = value.decode("latin-1")[:CLIENT_REQUEST_ID_MAX_CHARS]
            return text if text.isascii() and text.isprintable() and text else None
    return None


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Plain ASGI middleware, wrapped around the whole app (backend/app.py) so that unmatched
    routes (404, 405) carry an id too; cheap enough for every request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = secrets.token_hex(16)
        token = _request_id.set(request_id)
        client_token = _client_request_id.set(_client_id(scope))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)
            _client_request_id.reset(client_token)

    return middleware
