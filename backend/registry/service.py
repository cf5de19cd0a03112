"""Registry: households and their members, always read and written inside the caller's scope."""

from __future__ import annotations

import asyncpg
import msgspec

from backend import audit
from backend.alerts import queries as alert_queries
from backend.auth import Principal
from backend.db import custom_plans, row_to
from backend.pii import InvalidIdNumber, Pii, mask_id_number, mask_phone, normalize_id_number, normalize_phone
from backend.regions.rules import region_prefix
from backend.registry import errors, queries, rules
from schemas.alerts import HouseholdWithAlerts
from schemas.base import ErrorDetail, PageMeta
from schemas.regions import RegionLevel
from schemas.registry import (
    Household,
    HouseholdCreate,
    HouseholdPage,
    HouseholdSearch,
    HouseholdSummary,
    IncomeSurvey,
)


def _scope(principal: Principal) -> tuple[str, int | None]:
    return principal.region_like, principal.household_only


async def get_household(conn: asyncpg.Connection, principal: Principal, household_id: int) -> Household:
    """The household with its members, or HouseholdNotFound if it is outside the caller's scope."""
    row = await conn.fetchrow(queries.GET_HOUSEHOLD, household_id, *_scope(principal))
    if row is None:
        raise errors.HouseholdNotFound()
    return row_to(row, Household)


async def get_household_with_alerts(
    conn: asyncpg.Connection, principal: Principal, household_id: int
) -> HouseholdWithAlerts:
    """The household as staff read it: with its traffic light (红黄绿), its open alerts and the
    registry updates the civil registry asked for; HouseholdNotFound outside the caller's scope."""
    row = await conn.fetchrow(alert_queries.GET_HOUSEHOLD_WITH_ALERTS, household_id, *_scope(principal))
    if row is None:
        raise errors.HouseholdNotFound()
    return row_to(row, HouseholdWithAlerts)


async def create_household(
    conn: asyncpg.Connection, pii: Pii, principal: Principal, data: HouseholdCreate
) -> Household:
    """Registers a household and all its members in one transaction, or nothing."""
    village = await conn.fetchrow(queries.GET_VILLAGE, data.village_code)
    if village is None or village["level"] != RegionLevel.village:
        raise errors.VillageNotFound()
    if not principal.covers_region(data.village_code):
        raise errors.VillageOutOfScope()
    members, problems = rules.validate_members(data.members)
    phone = None
    if data.head_phone is not None:
        try:
            phone = normalize_phone(data.head_phone)
        except ValueError as exc:
            problems.append(ErrorDetail(field="head_phone", reason=str(exc)))
    if problems:
        raise errors.InvalidMembers(detail=problems)

    async with conn.transaction():
        try:
            household_id = await conn.fetchval(
                queries.INSERT_HOUSEHOLD,
                data.household_no,
                data.village_code,
                data.address,
                data.latitude,
                data.longitude,
                data.category.value,
                pii.encrypt(phone) if phone else None,
                pii.phone_index(phone) if phone else None,
                mask_phone(phone) if phone else None,
            )
        except asyncpg.UniqueViolationError:
            raise errors.HouseholdNoTaken() from None
        try:
            await insert_members(conn, pii, household_id, members)
        except asyncpg.UniqueViolationError:
            raise errors.PersonAlreadyRegistered() from None
        await audit.record(conn, principal.user_id, "household.create", "household", household_id)
    return await get_household(conn, principal, household_id)


async def insert_members(
    conn: asyncpg.Connection, pii: Pii, household_id: int, members: list[rules.ValidMember]
) -> None:
    """One set-based insert for all members of a household."""
    await conn.execute(
        queries.INSERT_PERSONS,
        household_id,
        [m.person.name for m in members],
        [pii.encrypt(m.id_number) for m in members],
        [pii.id_index(m.id_number) for m in members],
        [mask_id_number(m.id_number) for m in members],
        [m.person.relation.value for m in members],
        [m.sex for m in members],
        [m.birth_date for m in members],
        [m.person.labour_capacity.value for m in members],
        [m.person.health.value for m in members],
        [m.person.disability_level for m in members],
        [m.person.schooling_stage.value if m.person.schooling_stage else None for m in members],
        [m.person.employment.value if m.person.employment else None for m in members],
    )


async def search_households(
    conn: asyncpg.Connection, pii: Pii, principal: Principal, search: HouseholdSearch
) -> HouseholdPage:
    """Households in scope matching every given filter; an ID number is matched by blind index."""
    id_index = None
    if search.id_number:
        try:
            id_index = pii.id_index(normalize_id_number(search.id_number))
        except InvalidIdNumber as exc:
            raise errors.IdNumberInvalid(detail=[ErrorDetail(field="id_number", reason=str(exc))]) from None
    within = region_prefix(search.region_code) if search.region_code else None
    async with custom_plans(conn):
        rows = await conn.fetch(
            queries.SEARCH_HOUSEHOLDS,
            *_scope(principal),
            search.household_no,
            search.name,
            id_index,
            search.monitoring_status.value if search.monitoring_status else None,
            within,
            search.page_size,
            (search.page - 1) * search.page_size,
        )
    total = rows[0]["total"] if rows else 0
    items = [msgspec.convert({k: v for k, v in r.items() if k != "total"}, HouseholdSummary) for r in rows]
    return HouseholdPage(
        items=items, meta=PageMeta(total=total, page=search.page, page_size=search.page_size)
    )


async def reveal_id_number(conn: asyncpg.Connection, pii: Pii, principal: Principal, person_id: int) -> str:
    """The full ID number for a role that needs it; every such read is audited (DOMAIN §11)."""
    row = await conn.fetchrow(queries.GET_PERSON_ID_NUMBER, person_id, *_scope(principal))
    if row is None:
        raise errors.HouseholdNotFound()
    async with conn.transaction():
        await audit.record(conn, principal.user_id, "person.id_number.read", "person", person_id)
    return pii.decrypt(row["id_number_enc"])


async def record_income(
    conn: asyncpg.Connection, principal: Principal, household_id: int, survey: IncomeSurvey
) -> int:
    """Stores the year's income survey; returns the per-capita net income in fen."""
    async with conn.transaction():
        updated = await conn.fetchval(
            queries.UPSERT_INCOME,
            household_id,
            *_scope(principal),
            survey.year,
            survey.member_count,
            survey.wage_fen,
            survey.business_fen,
            survey.property_fen,
            survey.transfer_fen,
            survey.productive_expense_fen,
            survey.medical_expense_fen,
            survey.education_expense_fen,
            survey.disaster_expense_fen,
        )
        if updated is None:
            raise errors.HouseholdNotFound()
    return rules.per_capita_net_income_fen(survey)
