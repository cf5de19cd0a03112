import asyncio
import shutil

import asyncpg
import pytest

from migrations.runner import MIGRATIONS_DIR, MigrationError, migrate
from tests.conftest import RUN_ID, database_url_for


@pytest.fixture
async def empty_database(server_urls):
    admin_dsn = server_urls[0]
    name = f"fangpin_m_{RUN_ID}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield database_url_for(admin_dsn, name)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def applied_versions(dsn: str) -> list[int]:
    conn = await asyncpg.connect(dsn)
    try:
        return [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")]
        assert await applied_versions(empty_database) == [1]
    finally:
        await conn.close()


async def test_from_empty_then_rerun_is_a_no_op(empty_database) -> None:
    applied = await migrate(empty_database)
    assert applied and applied[0].startswith("0001_")
    assert await migrate(empty_database) == []
    assert len(await applied_versions(empty_database)) == len(applied)


async def test_two_processes_at_once_apply_each_file_once(empty_database) -> None:
    first, second = await asyncio.gather(migrate(empty_database), migrate(empty_database))
    assert sorted(first + second) == sorted(set(first + second))
    assert len(first + second) == len(list(MIGRATIONS_DIR.glob("*.sql")))


async def test_edited_applied_migration_is_refused(empty_database, tmp_path) -> None:
    for path in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path / path.name)
    await migrate(empty_database, tmp_path)
    first = sorted(tmp_path.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match="edited"):
        await migrate(empty_database, tmp_path)


async def test_failed_migration_leaves_nothing_behind(empty_database, tmp_path) -> None:
    (tmp_path / "0001_base.sql").write_text("CREATE TABLE t_base (id int);")
    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE t_half (id int);\nSELECT no_such_function();")
    with pytest.raises(asyncpg.PostgresError):
        await migrate(empty_database, tmp_path)
    conn = await asyncpg.connect(empty_database)
    try:
        assert await conn.fetchval("SELECT to_regclass('t_half')") is None
        assert await conn.fetchval("SELECT to_regclass('t_base')") is not None
        assert await applied_versions(empty_database) == [1]
    finally:
        await conn.close()
