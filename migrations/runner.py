"""Forward-only migrations: numbered `.sql` files in this folder, each applied in its own
transaction and recorded with its SHA-256. An applied file that was edited stops the runner.
A session advisory lock makes two processes starting at once apply each file exactly once.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import asyncpg

log = logging.getLogger("fangpin.migrations")

MIGRATIONS_DIR = Path(__file__).parent
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any constant shared by every runner; pg_advisory_lock is per database.
MIGRATION_LOCK_KEY = 0x66616E6770696E  # "fangpin"


class MigrationError(RuntimeError):
    pass


class Migration:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.version = int(_FILE_NAME.match(path.name).group(1))  # type: ignore[union-attr]
        self.sql = path.read_text(encoding="utf-8")
        self.checksum = hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = [Migration(p) for p in sorted(directory.glob("*.sql")) if _FILE_NAME.match(p.name)]
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("两个迁移文件使用了同一个编号")
    return migrations


async def migrate(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration; returns the file names applied."""
    migrations = discover(directory)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            await conn.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
            )
            applied = {
                r["version"]: r
                for r in await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
            }
            done: list[str] = []
            for migration in migrations:
                recorded = applied.get(migration.version)
                if recorded is not None:
                    if recorded["checksum"] != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.path.name} was edited after it was applied "
                            f"(recorded {recorded['checksum'][:12]}, now {migration.checksum[:12]}); "
                            "write a new migration instead"
                        )
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        migration.version,
                        migration.path.name,
                        migration.checksum,
                    )
                log.info("migrations.applied", extra={"migration": migration.path.name})
                done.append(migration.path.name)
            return done
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    finally:
        await conn.close()
