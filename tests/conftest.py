"""Real PostgreSQL and Redis for every test.

With DATABASE_URL / REDIS_URL set they are used; otherwise embedded servers start under
`.fangpin/test`. Each test session gets its own database (created, migrated, dropped) and its own
Redis key prefix and arq queue, so several runs can share one server. Every test starts with
empty tables.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from backend.app import create_app
from backend.db import create_pool
from backend.embedded import servers
from backend.pii import Pii
from backend.settings import GENERATED_KEYS, Settings, load_settings
from backend.wechat.client import access_token_key
from backend.wechat.fake import FakeControl, fake_in_thread
from migrations.runner import migrate
from tests.contract import ResponseRecorder
from tests.factories import World, make_world

RUN_ID = secrets.token_hex(4)


def database_url_for(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture(scope="session")
def server_urls() -> Iterator[tuple[str, str]]:
    data_dir = Path(".fangpin/test").resolve()
    with servers(data_dir, os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")) as urls:
        yield urls


@pytest.fixture(scope="session")
def wechat_fake_url() -> Iterator[str]:
    """The shipped WeChat fake (backend/wechat/fake.py) on a free port for the whole run."""
    defaults = Settings()
    with fake_in_thread(defaults.wechat_appid, defaults.wechat_secret) as url:
        yield url


@pytest.fixture(scope="session")
async def settings(server_urls: tuple[str, str], wechat_fake_url: str) -> AsyncIterator[Settings]:
    admin_dsn, redis_url = server_urls
    database = f"fangpin_t_{RUN_ID}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    dsn = database_url_for(admin_dsn, database)
    await migrate(dsn)
    keys = {name: base64.b64encode(secrets.token_bytes(32)).decode() for name in GENERATED_KEYS}
    yield load_settings(
        {},
        database_url=dsn,
        redis_url=redis_url,
        data_dir=str(Path(f".fangpin/test/run-{RUN_ID}").resolve()),
        queue_name=f"fangpin-test-{RUN_ID}:queue",
        redis_prefix=f"fangpin-test-{RUN_ID}:",
        wechat_base_url=wechat_fake_url,
        rate_limits_enabled=False,  # on in tests/foundation/test_rate_limits.py, which counts on purpose
        **keys,
    )
    await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings.database_url or "")
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def pii(settings: Settings) -> Pii:
    return Pii(settings.key_bytes("pii_key"), settings.key_bytes("pii_index_key"))


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    """The app every API test talks to; what it answers is checked against its OpenAPI document
    when the session ends (tests/contract.py)."""
    app = create_app(settings, configure_logs=False)
    recorder = ResponseRecorder(app)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
    missing = recorder.undocumented()
    assert not missing, "answers the OpenAPI document does not describe:\n" + "\n".join(missing)


# Kept between tests: what the migrations themselves write (the default alert rules, 0013).
MIGRATION_DATA_TABLES = ["schema_migrations", "alert_rules"]


# TRUNCATE of every table costs 300+ ms a test (a new file for each of 60 tables); most tests touch
# a dozen. This empties only the tables that hold rows and restarts only the sequences that moved.
CLEAN_FUNCTION = """
CREATE OR REPLACE FUNCTION fangpin_test_clean(keep text[]) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
    t text;
    dirty text[] := '{}';
    used boolean;
    s record;
BEGIN
    FOR t IN SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename <> ALL(keep) LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', t) INTO used;
        IF used THEN
            dirty := dirty || t;
        END IF;
    END LOOP;
    IF cardinality(dirty) > 0 THEN
        EXECUTE 'TRUNCATE ' || array_to_string(dirty, ', ') || ' CASCADE';
    END IF;
    FOR s IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL LOOP
        EXECUTE format('ALTER SEQUENCE public.%I RESTART', s.sequencename);
    END LOOP;
END
$f$
"""


@pytest.fixture(scope="session")
async def _clean_function(pool: asyncpg.Pool) -> None:
    await pool.execute(CLEAN_FUNCTION)


@pytest.fixture(autouse=True)
async def clean_database(pool: asyncpg.Pool, _clean_function: None) -> None:
    """Every test starts with empty tables (but for the migrations' own data) and ids from 1."""
    await pool.execute("SELECT fangpin_test_clean($1)", MIGRATION_DATA_TABLES)


@pytest.fixture
async def wechat_fake(settings: Settings) -> FakeControl:
    """The WeChat fake, reset, with no cached access token: a test starts from a clean WeChat."""
    fake = FakeControl(settings.wechat_base_url)
    await fake.reset()
    redis = Redis.from_url(settings.redis_url or "")
    await redis.delete(access_token_key(settings))
    await redis.aclose()
    return fake


@pytest.fixture
async def world(pool: asyncpg.Pool, pii: Pii, settings: Settings) -> World:
    return await make_world(pool, pii, settings)


class SmallDisk:
    """A real file system of its own (a 1 MiB tmpfs), to be filled up."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.filler = root / "filler"

    def free_bytes(self) -> int:
        stat = os.statvfs(self.root)
        return stat.f_bavail * stat.f_frsize

    def fill(self, leave_bytes: int = 0) -> None:
        """Takes all the free space but `leave_bytes`."""
        with self.filler.open("ab") as out:
            out.write(b"\0" * max(self.free_bytes() - leave_bytes, 0))

    def empty(self) -> None:
        self.filler.unlink(missing_ok=True)

    def files(self) -> list[str]:
        """Every file left on the disk but the filler, relative to its root."""
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file() and p != self.filler)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """Mounting needs root, as the CI machine has; elsewhere the test is skipped and says why."""
    root = tmp_path / "small-disk"
    root.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(root)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"a small file system could not be mounted: {mounted.stderr.decode().strip()}")
    try:
        yield SmallDisk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=True)
