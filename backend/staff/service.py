"""Staff accounts: made, listed, deactivated, reactivated and given new one-time passwords by an
admin, or by a county bureau for the roles below it in its county. Every change is one
transaction with its audit row; an account outside the caller's scope answers like a missing one."""

from __future__ import annotations

import asyncio

import asyncpg
import msgspec

from backend import audit
from backend.accounts import rules as account_rules
from backend.accounts.revocations import Revocations
from backend.accounts.service import end_sessions
from backend.auth import Principal
from backend.db import row_to
from backend.errors import Forbidden
from backend.passwords import hash_password
from backend.pii import Pii, mask_phone, normalize_phone
from backend.regions.rules import region_prefix
from backend.staff import errors, queries, rules
from schemas.base import ErrorDetail, PageMeta
from schemas.staff import OneTimePassword, StaffUser, StaffUserCreate, StaffUserCreated, StaffUserPage, StaffUserSearch


def require_manager(caller: Principal) -> None:
    if caller.role not in rules.STAFF_MANAGERS:
        raise Forbidden()


async def create_user(conn: asyncpg.Connection, pii: Pii, caller: Principal, create: StaffUserCreate) -> StaffUserCreated:
    """Makes the account; it must change its password at first log-in. Without a password in the
    request the server makes one and answers it this once."""
    require_manager(caller)
    candidate = rules.Candidate(
        **{f: getattr(create, f) for f in rules.Candidate.__struct_fields__ if f != "department_feeds"},
        department_feeds=tuple(create.department_feeds),
    )
    facts = await look_up_facts(conn, [candidate])
    problems = rules.candidate_problems(caller, candidate, facts)
    _raise_first(problems, candidate.username)
    if create.password is not None and (
        weak := account_rules.password_problem(create.password, create.username)
    ):
        raise errors.StaffUserInvalid(weak, [ErrorDetail(field="password", reason=weak)])
    password = create.password or account_rules.generate_password()
    password_hash = await asyncio.to_thread(hash_password, password)
    async with conn.transaction():
        created = await insert_users(conn, pii, caller, [(candidate, password_hash)])
        if not created:  # taken between the look-up and the insert
            raise errors.UsernameTaken(candidate.username)
        user_id = created[candidate.username]
        await audit.record(conn, caller.user_id, "staff.user_created", "user", user_id, _audit_detail(candidate))
        user = await _get(conn, caller, user_id)
    return StaffUserCreated(user=user, initial_password=None if create.password else password)


def _raise_first(problems: list[rules.Problem], username: str) -> None:
    if not problems:
        return
    forbidden = next((p for p in problems if p.forbidden), None)
    if forbidden is not None:
        raise errors.RegionOutOfScope() if forbidden.field == "region_code" else errors.RoleNotAssignable()
    if any(p.field == "username" and p.reason == "用户名已被使用" for p in problems):
        raise errors.UsernameTaken(username)
    raise errors.StaffUserInvalid(problems[0].reason, [ErrorDetail(field=p.field, reason=p.reason) for p in problems])


async def look_up_facts(conn: asyncpg.Connection, candidates: list[rules.Candidate]) -> rules.StaffFacts:
    regions = await conn.fetch(queries.GET_REGION_LEVELS, rules.region_codes(candidates))
    taken = await conn.fetch(queries.LIST_TAKEN_USERNAMES, [c.username for c in candidates])
    unions = await conn.fetch(queries.LIST_UNION_IDS, [c.union_id for c in candidates if c.union_id])
    suppliers = await conn.fetch(queries.LIST_SUPPLIER_IDS, [c.supplier_id for c in candidates if c.supplier_id])
    return rules.StaffFacts(
        region_levels={r["code"]: r["level"] for r in regions},
        taken_usernames=frozenset(r["username"] for r in taken),
        union_ids=frozenset(r["id"] for r in unions),
        supplier_ids=frozenset(r["id"] for r in suppliers),
    )


async def insert_users(
    conn: asyncpg.Connection, pii: Pii, caller: Principal, accounts: list[tuple[rules.Candidate, str]]
) -> dict[str, int]:
    """Inserts checked candidates with their password hashes (must change at first log-in);
    returns username → id for those inserted (a username taken meanwhile is left out)."""
    if not accounts:
        return {}
    phones = [normalize_phone(c.phone) if c.phone else None for c, _ in accounts]
    rows = await conn.fetch(
        queries.INSERT_USERS,
        [c.username for c, _ in accounts],
        [c.display_name for c, _ in accounts],
        [c.role.value for c, _ in accounts],
        [c.region_code for c, _ in accounts],
        [c.union_id for c, _ in accounts],
        [c.supplier_id for c, _ in accounts],
        [",".join(f.value for f in c.department_feeds) for c, _ in accounts],
        [pii.encrypt(p) if p else None for p in phones],
        [mask_phone(p) if p else None for p in phones],
        [h for _, h in accounts],
        [True] * len(accounts),
        caller.user_id,
    )
    return {r["username"]: r["id"] for r in rows}


def _audit_detail(candidate: rules.Candidate) -> dict[str, object]:
    return {
        "username": candidate.username,
        "role": candidate.role.value,
        "region_code": candidate.region_code,
        "union_id": candidate.union_id,
        "supplier_id": candidate.supplier_id,
        "department_feeds": [f.value for f in candidate.department_feeds],
    }


async def _get(conn: asyncpg.Connection, caller: Principal, user_id: int) -> StaffUser:
    row = await conn.fetchrow(
        queries.GET_USER_IN_SCOPE, user_id, sorted(rules.managed_roles(caller)), rules.scope_like(caller)
    )
    if row is None:
        raise errors.StaffUserNotFound()
    return row_to(row, StaffUser)


async def get_user(conn: asyncpg.Connection, caller: Principal, user_id: int) -> StaffUser:
    require_manager(caller)
    return await _get(conn, caller, user_id)


async def list_users(conn: asyncpg.Connection, caller: Principal, search: StaffUserSearch) -> StaffUserPage:
    """Accounts the caller manages, oldest first; `total` counts every match."""
    require_manager(caller)
    text = f"%{_escape_like(search.q)}%" if search.q else None
    region = region_prefix(search.region_code) + "%" if search.region_code else None
    rows = await conn.fetch(
        queries.SEARCH_USERS_IN_SCOPE,
        sorted(rules.managed_roles(caller)),
        rules.scope_like(caller),
        text,
        search.role.value if search.role else None,
        region,
        search.active,
        search.page_size,
        (search.page - 1) * search.page_size,
    )
    total = rows[0]["total"] if rows else 0
    items = [msgspec.convert({k: v for k, v in r.items() if k != "total"}, StaffUser) for r in rows]
    return StaffUserPage(items=items, meta=PageMeta(total=total, page=search.page, page_size=search.page_size))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _lock(conn: asyncpg.Connection, caller: Principal, user_id: int, *, own_allowed: bool = False) -> None:
    require_manager(caller)
    if user_id == caller.user_id and not own_allowed:
        raise errors.OwnAccount()
    locked = await conn.fetchval(
        queries.LOCK_USER_IN_SCOPE, user_id, sorted(rules.managed_roles(caller)), rules.scope_like(caller)
    )
    if locked is None:
        raise errors.StaffUserNotFound()


async def set_active(
    conn: asyncpg.Connection, revocations: Revocations, caller: Principal, user_id: int, *, active: bool
) -> StaffUser:
    """Deactivating refuses log-in and ends every session at once: refresh tokens and access
    tokens already issued (within REVOCATIONS_REFRESH_S in other API processes). Idempotent."""
    async with conn.transaction():
        await _lock(conn, caller, user_id)
        await conn.execute(queries.SET_ACTIVE, user_id, active)
        if not active:
            await end_sessions(conn, user_id)
        action = "staff.user_reactivated" if active else "staff.user_deactivated"
        await audit.record(conn, caller.user_id, action, "user", user_id)
        user = await _get(conn, caller, user_id)
    revocations.expire()
    return user


async def set_phone(
    conn: asyncpg.Connection, pii: Pii, caller: Principal, user_id: int, phone: str | None
) -> StaffUser:
    """Sets (or, with None, removes) the account's phone, stored encrypted and shown masked; audited
    without the number."""
    try:
        number = normalize_phone(phone) if phone is not None else None
    except ValueError as exc:
        raise errors.StaffUserInvalid(str(exc), [ErrorDetail(field="phone", reason=str(exc))]) from None
    async with conn.transaction():
        await _lock(conn, caller, user_id, own_allowed=True)
        masked = mask_phone(number) if number else None
        await conn.execute(queries.SET_PHONE, user_id, pii.encrypt(number) if number else None, masked)
        await audit.record(conn, caller.user_id, "staff.user_phone_set", "user", user_id, {"phone_masked": masked})
        return await _get(conn, caller, user_id)


async def reset_password(
    conn: asyncpg.Connection, revocations: Revocations, caller: Principal, user_id: int
) -> OneTimePassword:
    """A new one-time password, answered this once; the user must change it at the next log-in,
    every session ends and a lockout is lifted."""
    require_manager(caller)
    if user_id == caller.user_id:
        raise errors.OwnAccount()
    await _get(conn, caller, user_id)  # before the slow hash: out of scope answers at once
    password = account_rules.generate_password()
    password_hash = await asyncio.to_thread(hash_password, password)
    async with conn.transaction():
        await _lock(conn, caller, user_id)
        await conn.execute(queries.SET_HANDED_OUT_PASSWORD, user_id, password_hash)
        await end_sessions(conn, user_id)
        await audit.record(conn, caller.user_id, "staff.password_reset", "user", user_id)
    revocations.expire()
    return OneTimePassword(user_id=user_id, initial_password=password)
