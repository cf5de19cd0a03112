"""Staff list import: every row is checked like a single create; the good rows become accounts in
one transaction with the import record, the rest are listed in the reject report. The created
accounts' one-time passwords are kept encrypted until the importer downloads them, once."""

from __future__ import annotations

import asyncio
import hashlib

import asyncpg
import msgspec

from backend import audit, tabular
from backend.accounts import rules as account_rules
from backend.auth import Principal
from backend.passwords import hash_password
from backend.pii import Pii
from backend.applications.texts import ROLE_LABELS
from backend.staff import columns, errors, queries, rules
from backend.staff.service import insert_users, look_up_facts, require_manager
from schemas.base import ImportReject, Role
from schemas.staff import StaffImportReport

PASSWORDS_CONTEXT = b"staff_import_passwords"  # binds the ciphertext to its use
PASSWORDS_CSV_HEADER = ("用户名", "姓名", "角色", "区划代码", "初始密码")


async def import_users(
    conn: asyncpg.Connection, pii: Pii, caller: Principal, *, data: bytes, file_name: str
) -> StaffImportReport:
    """Creates the accounts of a staff list. A file whose header is wrong raises ImportFileInvalid
    and records nothing; otherwise the import is recorded with a reject entry for every row not made."""
    require_manager(caller)
    raw_rows, encoding = tabular.read_table(
        data, columns.COLUMNS, max_rows=columns.MAX_STAFF_IMPORT_ROWS, max_bytes=columns.MAX_STAFF_IMPORT_BYTES
    )
    parsed = [columns.parse_row(raw) for raw in raw_rows]
    columns.mark_duplicate_usernames(parsed)
    facts = await look_up_facts(conn, [p.candidate for p in parsed if p.candidate is not None])
    for p in parsed:
        if p.candidate is not None and not p.problems:
            p.problems += [
                ImportReject(row=p.row, column=problem.field, reason=problem.reason)
                for problem in rules.candidate_problems(caller, p.candidate, facts)
            ]
    good = [p for p in parsed if p.candidate is not None and not p.problems]
    passwords = {p.candidate.username: account_rules.generate_password() for p in good}  # type: ignore[union-attr]
    hashes = await asyncio.to_thread(lambda: [hash_password(passwords[p.candidate.username]) for p in good])  # type: ignore[union-attr]
    async with conn.transaction():
        await conn.execute(queries.LOCK_IMPORTS)
        await conn.execute(queries.FORGET_STALE_PASSWORDS, rules.IMPORT_PASSWORDS_TTL_S)
        created = await insert_users(conn, pii, caller, [(p.candidate, h) for p, h in zip(good, hashes, strict=True)])  # type: ignore[misc]
        for p in good:
            if p.candidate.username not in created:  # type: ignore[union-attr]
                p.problems.append(ImportReject(row=p.row, column="username", reason="用户名已被使用"))
        made = [p.candidate for p in good if p.candidate.username in created]  # type: ignore[union-attr]
        rejects = sorted((r for p in parsed for r in p.problems), key=lambda r: r.row)
        batch = await conn.fetchrow(
            queries.INSERT_IMPORT,
            caller.user_id,
            caller.region_code if caller.role is not Role.admin else None,
            file_name,
            hashlib.sha256(data).digest(),
            encoding,
            len(raw_rows),
            len({r.row for r in rejects}),
            len(made),
            [msgspec.to_builtins(r) for r in rejects],
            pii.encrypt(_passwords_csv(made, passwords), context=PASSWORDS_CONTEXT) if made else None,
        )
        await audit.record(
            conn,
            caller.user_id,
            "staff.import",
            "staff_import",
            batch["id"],
            {"user_ids": sorted(created.values()), "rows_rejected": batch["rows_rejected"]},
        )
    return msgspec.convert(dict(batch), StaffImportReport)


def _passwords_csv(made: list[rules.Candidate], passwords: dict[str, str]) -> str:
    body = tabular.csv_bytes(
        PASSWORDS_CSV_HEADER,
        ((c.username, c.display_name, ROLE_LABELS[c.role], c.region_code or "", passwords[c.username]) for c in made),
    )
    return body.decode("utf-8")


async def get_import(conn: asyncpg.Connection, caller: Principal, import_id: int) -> StaffImportReport:
    """The importer's own import (an admin sees any)."""
    require_manager(caller)
    row = await conn.fetchrow(queries.GET_IMPORT_FOR, import_id, caller.user_id, caller.role is Role.admin)
    if row is None:
        raise errors.StaffImportNotFound()
    return msgspec.convert(dict(row), StaffImportReport)


def rejects_csv(report: StaffImportReport) -> bytes:
    return tabular.rejects_csv(report.rejects, columns.COLUMNS)


async def take_passwords(conn: asyncpg.Connection, pii: Pii, caller: Principal, import_id: int) -> bytes:
    """The created accounts' one-time passwords as CSV, to the importer only, once, within
    IMPORT_PASSWORDS_TTL_S; afterwards PasswordsGone (the accounts' passwords can be reset)."""
    if (await get_import(conn, caller, import_id)).imported_by != caller.user_id:
        raise errors.StaffImportNotFound()  # not even an admin reads another's passwords
    async with conn.transaction():
        blob = await conn.fetchval(queries.TAKE_IMPORT_PASSWORDS, import_id, caller.user_id, rules.IMPORT_PASSWORDS_TTL_S)
        if blob is None:
            raise errors.PasswordsGone()
        await audit.record(conn, caller.user_id, "staff.import_passwords_taken", "staff_import", import_id)
    return pii.decrypt(blob, context=PASSWORDS_CONTEXT).encode("utf-8")
