"""The bench's registry in PostgreSQL: bench/synth.py's households and persons COPYed into a
migrated database the way the registry import stores them (ID number encrypted with
Pii.encrypt, blind index Pii.id_index, masked form), plus last year's household incomes.

Worker processes build and COPY slices of villages, each over its own connection, with foreign-key
triggers off (`session_replication_role = replica`: the rows are consistent by construction) and
the secondary indexes of persons and households dropped first and rebuilt at the end — a sort,
instead of ten million random inserts into the blind-index B-tree. The result is checked the way a
cache is: the database's comment names the person count and seed, and person 1 must decrypt to
its ID number with the keys in the keys file.
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import synth
from cryptography.exceptions import InvalidTag

from backend.demo.data import thresholds_fen
from backend.demo.seed import INSERT_THRESHOLDS
from backend.pii import Pii, mask_id_number
from backend.settings import GENERATED_KEYS
from migrations.runner import MigrationError, migrate

VILLAGES_PER_SLICE = 20  # 10,000 persons a COPY
INDEXED_TABLES = ("persons", "households")

HOUSEHOLD_COLUMNS = (
    "id",
    "household_no",
    "village_code",
    "address",
    "category",
    "monitoring_status",
    "monitoring_type",
)
INCOME_COLUMNS = (
    "household_id",
    "year",
    "member_count",
    "wage_fen",
    "business_fen",
    "transfer_fen",
    "productive_expense_fen",
)
PERSON_COLUMNS = (
    "id",
    "household_id",
    "name",
    "id_number_enc",
    "id_number_bidx",
    "id_number_masked",
    "relation",
    "sex",
    "birth_date",
)

INSERT_REGIONS = """
INSERT INTO regions (code, name, level, parent_code, prefix)
SELECT * FROM unnest($1::char(12)[], $2::text[], $3::text[], $4::char(12)[], $5::text[])
"""
SECONDARY_INDEXES = """
SELECT t.relname AS table_name, i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition,
       c.conname AS constraint_name, pg_get_constraintdef(c.oid) AS constraint_definition
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
WHERE t.relname = ANY($1::text[]) AND NOT i.indisprimary
ORDER BY t.relname, name
"""
FINISH = """
SELECT setval('households_id_seq', (SELECT max(id) FROM households));
SELECT setval('persons_id_seq', (SELECT max(id) FROM persons));
ANALYZE regions; ANALYZE households; ANALYZE household_incomes; ANALYZE persons;
"""


def load_keys(path: Path) -> dict[str, str]:
    """The bench's own settings keys (base64 of 32 bytes each), made once and kept."""
    if path.exists():
        return json.loads(path.read_text())
    keys = {name: base64.b64encode(secrets.token_bytes(32)).decode() for name in GENERATED_KEYS}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys))
    path.chmod(0o600)
    return keys


def pii_from(keys: dict[str, str]) -> Pii:
    return Pii(base64.b64decode(keys["pii_key"]), base64.b64decode(keys["pii_index_key"]))


@dataclass(frozen=True)
class Registry:
    built: bool
    seconds: float  # building, or checking the cache
    households: int
    phases: dict[str, float]  # building: seconds per step


REGISTRY_VERSION = 2  # raise when bench/synth.py's registry changes: cached ones are rebuilt


def _comment(persons: int, seed: int) -> str:
    return f"fangpin bench registry v{REGISTRY_VERSION}: persons={persons} seed={seed}"


async def cached(dsn: str, persons: int, seed: int, pii: Pii) -> bool:
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        comment = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        )
        if comment != _comment(persons, seed):
            return False
        first = await conn.fetchrow("SELECT id_number_enc, id_number_bidx FROM persons WHERE id = 1")
        try:
            return (
                first is not None
                and pii.decrypt(first["id_number_enc"]) == synth.id_number(0)
                and bytes(first["id_number_bidx"]) == pii.id_index(synth.id_number(0))
            )
        except (InvalidTag, ValueError):  # another key, or another key version
            return False
    finally:
        await conn.close()


def slices(persons: int) -> list[range]:
    villages = -(-persons // synth.PER_VILLAGE)
    return [range(v, min(v + VILLAGES_PER_SLICE, villages)) for v in range(0, villages, VILLAGES_PER_SLICE)]


# One connection and event loop per worker process, made by the pool's initializer.
_worker: dict[str, object] = {}


def _init_worker(dsn: str | None, keys: dict[str, str], persons: int, seed: int, year: int) -> None:
    loop = asyncio.new_event_loop()
    _worker.update(loop=loop, pii=pii_from(keys), persons=persons, seed=seed, year=year, conn=None)
    if dsn:
        conn = loop.run_until_complete(asyncpg.connect(dsn))
        loop.run_until_complete(conn.execute("SET session_replication_role = replica"))
        _worker["conn"] = conn


def _load_slice(villages: range) -> tuple[int, str]:
    """COPY one slice (when a database is given); returns its households and export CSV lines."""
    persons, seed, pii = _worker["persons"], _worker["seed"], _worker["pii"]
    households = [h for v in villages for h in synth.village_households(v, persons, seed)]  # type: ignore[arg-type]
    export = "".join(
        f"{n},{no},{size},{income}\r\n" for n, no, size, income in synth.registry_export_rows(households)
    )
    conn = _worker["conn"]
    if conn is not None:
        loop: asyncio.AbstractEventLoop = _worker["loop"]  # type: ignore[assignment]
        loop.run_until_complete(_copy(conn, pii, households, _worker["year"]))  # type: ignore[arg-type]
    return len(households), export


async def _copy(conn: asyncpg.Connection, pii: Pii, households: list[synth.Household], year: int) -> None:
    person_rows = []
    for h in households:
        for m in h.members:
            number = synth.id_number(m.index)
            person_rows.append(
                (
                    m.index + 1,
                    h.id,
                    m.name,
                    pii.encrypt(number),
                    pii.id_index(number),
                    mask_id_number(number),
                    m.relation,
                    "male" if int(number[16]) % 2 else "female",
                    synth.birth_date(m.index),
                )
            )
    async with conn.transaction():
        await conn.copy_records_to_table(
            "households",
            columns=HOUSEHOLD_COLUMNS,
            records=[
                (
                    h.id,
                    h.household_no,
                    h.village_code,
                    f"{h.village_code[9:]}组{h.id % 1000}号",
                    h.category,
                    h.monitoring_status,
                    h.monitoring_type,
                )
                for h in households
            ],
        )
        await conn.copy_records_to_table(
            "household_incomes",
            columns=INCOME_COLUMNS,
            records=[
                (
                    h.id,
                    year,
                    len(h.members),
                    h.wage_fen,
                    h.business_fen,
                    h.transfer_fen,
                    h.productive_expense_fen,
                )
                for h in households
            ],
        )
        await conn.copy_records_to_table("persons", columns=PERSON_COLUMNS, records=person_rows)


def run_slices(
    dsn: str | None,
    keys: dict[str, str],
    persons: int,
    seed: int,
    year: int,
    processes: int,
    export_path: Path,
) -> int:
    """Builds every slice in `processes` workers, writing the export CSV in order; households made."""
    households = 0
    tmp = export_path.with_suffix(".partial")
    context = multiprocessing.get_context("fork")
    with (
        tmp.open("w", encoding="utf-8", newline="") as out,
        context.Pool(processes, _init_worker, (dsn, keys, persons, seed, year)) as pool,
    ):
        out.write(",".join(synth.REGISTRY_HEADER) + "\r\n")
        for made, export in pool.imap(_load_slice, slices(persons)):
            households += made
            out.write(export)
    tmp.replace(export_path)
    return households


async def _drop_indexes(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    indexes = await conn.fetch(SECONDARY_INDEXES, list(INDEXED_TABLES))
    for ix in indexes:
        if ix["constraint_name"]:
            await conn.execute(f'ALTER TABLE {ix["table_name"]} DROP CONSTRAINT "{ix["constraint_name"]}"')
        else:
            await conn.execute(f"DROP INDEX {ix['name']}")
    return indexes


async def _restore_indexes(conn: asyncpg.Connection, indexes: list[dict]) -> None:
    await conn.execute("SET maintenance_work_mem = '1GB'")
    for ix in indexes:
        if ix["constraint_name"]:
            await conn.execute(
                f'ALTER TABLE {ix["table_name"]} ADD CONSTRAINT "{ix["constraint_name"]}" {ix["constraint_definition"]}'
            )
        else:
            await conn.execute(ix["definition"])


async def _prepare(admin_dsn: str, dsn: str, database: str, persons: int, year: int) -> list[dict]:
    """A fresh migrated database with the regions and the province's monitoring lines (the demo's),
    secondary indexes dropped (returned to restore)."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    await migrate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(INSERT_REGIONS, *map(list, zip(*synth.region_rows(persons))))
        await conn.execute(
            INSERT_THRESHOLDS,
            synth.PROVINCE,
            *map(list, zip(*thresholds_fen(year + 1))),
        )
        return [dict(ix) for ix in await _drop_indexes(conn)]
    finally:
        await conn.close()


async def _finish(dsn: str, database: str, persons: int, seed: int, indexes: list[dict]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await _restore_indexes(conn, indexes)
        await conn.execute(FINISH)
        await conn.execute(f"COMMENT ON DATABASE \"{database}\" IS '{_comment(persons, seed)}'")
    finally:
        await conn.close()


async def _count_households(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM households")
    finally:
        await conn.close()


def _migrated(dsn: str) -> bool:
    """Applies the migrations that came since the cached registry was built; False when one it
    already has was edited since (a branch reworking its migration): the registry is rebuilt."""
    try:
        asyncio.run(migrate(dsn))
    except MigrationError as exc:
        print(f"registry: rebuilding, its migrations changed ({exc})")
        return False
    return True


def ensure_registry(
    admin_dsn: str,
    dsn: str,
    database: str,
    persons: int,
    seed: int,
    year: int,
    keys: dict[str, str],
    export_path: Path,
    processes: int,
    rebuild: bool = False,
) -> Registry:
    """The registry of `persons` persons in `database` and its analyst export, built unless cached.
    Synchronous: the worker processes are forked while no event loop or thread runs."""
    if persons > synth.MAX_PERSONS:
        raise SystemExit(f"at most {synth.MAX_PERSONS:,} persons (one birthplace code per county)")
    start = time.perf_counter()
    if not rebuild and asyncio.run(cached(dsn, persons, seed, pii_from(keys))) and _migrated(dsn):
        if not export_path.exists():
            run_slices(None, keys, persons, seed, year, processes, export_path)
        return Registry(False, time.perf_counter() - start, asyncio.run(_count_households(dsn)), {})
    indexes = asyncio.run(_prepare(admin_dsn, dsn, database, persons, year))
    prepared = time.perf_counter()
    households = run_slices(dsn, keys, persons, seed, year, processes, export_path)
    copied = time.perf_counter()
    asyncio.run(_finish(dsn, database, persons, seed, indexes))
    end = time.perf_counter()
    phases = {
        "database and migrations": prepared - start,
        "generate, encrypt and COPY": copied - prepared,
        "indexes and ANALYZE": end - copied,
    }
    return Registry(True, end - start, households, phases)
