"""Bulk registry import: check every row, COPY the good households in, record the batch — all in
one transaction, so a file is either imported as reported or not at all."""

from __future__ import annotations

import hashlib

import asyncpg
import msgspec

from backend import audit, tabular
from backend.auth import Principal
from backend.boundary import check_text
from backend.db import row_to, rows_to
from backend.errors import Forbidden
from backend.pii import Pii, mask_id_number, mask_phone
from backend.regions.rules import region_prefix
from backend.registry.importer import columns, errors, queries, rules
from schemas.registry_imports import ImportBatch, ImportReject, ImportReport, ImportSource

# Batches a list returns at most; a county imports a handful a year.
LIST_LIMIT = 200


async def import_registry(
    conn: asyncpg.Connection,
    pii: Pii,
    *,
    data: bytes,
    file_name: str,
    region_code: str,
    source: ImportSource,
    actor_user_id: int | None,
) -> ImportReport:
    """Imports the households of a CSV file whose villages lie in `region_code`.

    Every household that passes every check is inserted; every row that is not imported has at
    least one entry in the report. The batch, with its report, is recorded either way. A file
    whose header is wrong raises ImportFileInvalid and records nothing.
    """
    check_text(file_name, "file_name")
    raw_rows, encoding = columns.read_rows(data)
    parsed = rules.parse_rows(raw_rows)
    village_codes, household_nos, id_numbers = rules.keys_to_look_up(parsed)
    index_of = {pii.id_index(number): number for number in id_numbers}
    async with conn.transaction():
        await conn.execute(queries.LOCK_IMPORTS)
        facts = rules.RegistryFacts(
            village_levels={
                r["code"]: r["level"]
                for r in await conn.fetch(queries.GET_REGION_LEVELS, list(village_codes))
            },
            scope_prefix=region_prefix(region_code),
            taken_household_nos=frozenset(
                r["household_no"]
                for r in await conn.fetch(queries.LIST_TAKEN_HOUSEHOLD_NOS, list(household_nos))
            ),
            registered_id_numbers=frozenset(
                index_of[r["id_number_bidx"]]
                for r in await conn.fetch(queries.LIST_REGISTERED_ID_INDEXES, list(index_of))
            ),
        )
        checked = rules.check(parsed, facts)
        persons = sum(len(h.members) for h in checked.households)
        batch = await conn.fetchrow(
            queries.INSERT_BATCH,
            actor_user_id,
            source.value,
            region_code,
            file_name,
            hashlib.sha256(data).digest(),
            encoding,
            len(raw_rows),
            rules.rows_rejected(checked.rejects),
            len(checked.households),
            persons,
            checked.households_rejected,
            [{"row": r.row, "column": r.column, "reason": r.reason} for r in checked.rejects],
        )
        if checked.households:
            try:
                await insert_households(conn, pii, batch["id"], checked.households)
            except asyncpg.UniqueViolationError:
                raise errors.ImportCollided() from None
        await audit.record(
            conn,
            actor_user_id,
            "registry.import",
            "registry_import",
            batch["id"],
            {
                "households": len(checked.households),
                "persons": persons,
                "rows_rejected": batch["rows_rejected"],
            },
        )
    return msgspec.convert({**dict(batch), "rejects": msgspec.to_builtins(checked.rejects)}, ImportReport)


async def insert_households(
    conn: asyncpg.Connection, pii: Pii, import_id: int | None, households: list[rules.ImportHousehold]
) -> None:
    """COPY checked households into staging tables, then insert them and their members set-based.

    Call inside a transaction (the staging tables drop on commit)."""
    await conn.execute(queries.CREATE_STAGING)
    await conn.copy_records_to_table(
        "import_households",
        columns=queries.STAGED_HOUSEHOLD_COLUMNS,
        records=[
            (
                h.household_no,
                h.village_code,
                h.category.value,
                h.address,
                h.latitude,
                h.longitude,
                pii.encrypt(h.head_phone) if h.head_phone else None,
                pii.phone_index(h.head_phone) if h.head_phone else None,
                mask_phone(h.head_phone) if h.head_phone else None,
            )
            for h in households
        ],
    )
    await conn.copy_records_to_table(
        "import_persons",
        columns=queries.STAGED_PERSON_COLUMNS,
        records=[
            (
                m.row,
                h.household_no,
                m.name,
                pii.encrypt(m.id_number),
                pii.id_index(m.id_number),
                mask_id_number(m.id_number),
                m.relation.value,
                m.sex,
                m.birth_date,
                m.labour_capacity.value,
                m.health.value,
                m.disability_level,
                m.schooling_stage.value if m.schooling_stage else None,
                m.employment.value if m.employment else None,
            )
            for h in households
            for m in h.members
        ],
    )
    counts = await conn.fetchrow(queries.INSERT_STAGED, import_id)
    expected = (len(households), sum(len(h.members) for h in households))
    if (
        counts["households"],
        counts["persons"],
    ) != expected:  # the staging join lost a row: never commit that
        raise RuntimeError(f"registry import inserted {tuple(counts)} instead of {expected}")


def upload_region(principal: Principal) -> str:
    """The scope an upload is checked against: the caller's own region."""
    if principal.region_code is None:
        raise Forbidden()
    return principal.region_code


async def list_imports(conn: asyncpg.Connection, principal: Principal) -> list[ImportBatch]:
    """Batches whose region lies in the caller's scope, newest first."""
    rows = await conn.fetch(queries.LIST_BATCHES_IN_SCOPE, principal.region_like, LIST_LIMIT)
    return rows_to(rows, ImportBatch)


async def get_import(conn: asyncpg.Connection, principal: Principal, import_id: int) -> ImportReport:
    row = await conn.fetchrow(queries.GET_BATCH_IN_SCOPE, import_id, principal.region_like)
    if row is None:
        raise errors.ImportNotFound()
    return row_to(row, ImportReport)


def rejects_csv(rejects: list[ImportReject]) -> bytes:
    """The reject report as CSV that Excel opens correctly (UTF-8 with BOM)."""
    return tabular.rejects_csv(rejects, columns.COLUMNS)
