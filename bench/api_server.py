"""The API as `fangpin serve` runs it, for the benches that drive it over HTTP from another
process (bench/api_read.py, bench/load.py, bench/orders.py): settings for a scratch database, the
demo data loaded as `fangpin seed-demo` loads it, the server process, and latency figures.

`fangpin serve` runs uvicorn. bench/api_read.py also measures granian (`pip install -e '.[bench]'`)
serving the same factory, `backend.app:create_app`, with uvloop and HTTP/1 as uvicorn has them."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httptools
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend import db  # noqa: E402
from backend.demo import DemoSeed, seed_demo  # noqa: E402
from backend.embedded import servers  # noqa: E402
from backend.pii import Pii  # noqa: E402
from backend.settings import GENERATED_KEYS, Settings, env_name, load_settings  # noqa: E402

START_WAIT_S = 30
# What the server process is given from the settings (the rest are its defaults).
SERVER_FIELDS = (
    "database_url", "redis_url", "port", "data_dir", "queue_name", "redis_prefix",
    "rate_limits_enabled", *GENERATED_KEYS,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


T = TypeVar("T")


def run_on_bench_servers(measure: Callable[[str, str], Awaitable[T]]) -> T:
    """Runs `measure(admin_dsn, redis_url)` on DATABASE_URL / REDIS_URL, or on the embedded servers
    under .fangpin/bench when they are unset."""
    with servers(ROOT / ".fangpin/bench", os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")) as urls:
        return asyncio.run(measure(*urls))


def bench_settings(dsn: str, redis_url: str, **overrides: object) -> Settings:
    """Settings for a scratch database: fresh keys, a free port, the bench's own Redis keys, and
    the rate limits off (a few accounts send thousands of requests a minute; the limiter is not
    what is measured)."""
    keys = {name: base64.b64encode(secrets.token_bytes(32)).decode() for name in GENERATED_KEYS}
    run = secrets.token_hex(3)
    fields = {
        "queue_name": f"fangpin-bench-{run}:queue",
        "redis_prefix": f"fangpin-bench-{run}:",
        "rate_limits_enabled": False,
        **overrides,
    }
    return load_settings({}, database_url=dsn, redis_url=redis_url, port=free_port(), **keys, **fields)


async def load_demo(settings: Settings) -> DemoSeed:
    """The demo data, loaded into the migrated database through the app's connection set-up (its
    JSON codecs), as `fangpin seed-demo` does."""
    pool = await db.create_pool(settings.database_url or "", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            return await seed_demo(conn, Pii(settings.key_bytes("pii_key"), settings.key_bytes("pii_index_key")))
    finally:
        await pool.close()


SERVERS = {
    "uvicorn": ["-m", "backend.cli", "serve"],
    "granian": ["-m", "granian", "--interface", "asgi", "--factory", "--loop", "uvloop", "--http", "1",
                "--no-log", "--host", "127.0.0.1", "--port", "{port}", "backend.app:create_app"],
}


@contextmanager
def api_process(settings: Settings, server: str = "uvicorn") -> Iterator[tuple[str, int]]:
    """The API in its own process until the block ends (uvicorn: `fangpin serve`, granian: the
    same app factory on granian); yields its base URL and pid."""
    env = {**os.environ, **{env_name(f): str(getattr(settings, f)) for f in SERVER_FIELDS}}
    env[env_name("log_level")] = "WARNING"
    command = [arg.format(port=settings.port) for arg in SERVERS[server]]
    process = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{settings.port}"
    try:
        _wait_healthy(base, process)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"the API did not start (exit code {process.poll()})")


def cpu_s(pid: int) -> float:
    """CPU seconds (user and system) the process and its running children have used so far
    (granian serves from a worker process it starts)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    children = [
        int(child) for task in Path(f"/proc/{pid}/task").iterdir() for child in (task / "children").read_text().split()
    ]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(map(cpu_s, children))


def figures(latencies: list[float], duration_s: float) -> tuple[float, float, float]:
    """Per second, p50 ms, p99 ms of latencies in seconds."""
    if not latencies:
        return 0.0, 0.0, 0.0
    ordered = sorted(latencies)
    return len(ordered) / duration_s, statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99)] * 1000


class HttpConnection:
    """One keep-alive HTTP/1.1 connection for a load generator, the answers parsed by httptools:
    a tenth of httpx's CPU a request (3 ms with 32 clients and multipart uploads), so that the
    API, not the client beside it on the same cores, is what the load measures."""

    def __init__(self, base: str) -> None:
        self.host, _, port = base.removeprefix("http://").partition(":")
        self.port = int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        """(status, body); a connection the server closed is opened again once."""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
        message = (head + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode() + body
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(message)
                return await self._answer()
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _answer(self) -> tuple[int, bytes]:
        assert self.reader is not None
        answer = _Answer()
        parser = httptools.HttpResponseParser(answer)
        while not answer.complete:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            parser.feed_data(data)
        return parser.get_status_code(), b"".join(answer.body)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


class _Answer:
    def __init__(self) -> None:
        self.body: list[bytes] = []
        self.complete = False

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


def multipart(field: str, filename: str, content_type: str, data: bytes) -> tuple[str, bytes]:
    """(Content-Type header, body) of a form with one file."""
    boundary = secrets.token_hex(16)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body
