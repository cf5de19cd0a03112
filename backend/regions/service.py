"""Regions: the division tree, read inside the caller's scope; admins add regions and set county flags."""

from __future__ import annotations

import asyncpg
import msgspec

from backend import audit
from backend.auth import Principal
from backend.db import row_to, rows_to
from backend.regions import errors, queries
from backend.regions.rules import (
    SIGNIFICANT_DIGITS,
    invalid_code_reason,
    parent_code,
    region_level,
    region_prefix,
)
from schemas.base import ErrorDetail, Role
from schemas.regions import KeyAssistance, Region, RegionCreate, RegionLevel, RegionNode, RegionUpdate

# Levels below a root that the tree returns when the caller does not say (a county: down to villages).
DEFAULT_TREE_DEPTH = 4


async def get_region(conn: asyncpg.Connection, principal: Principal, code: str) -> Region:
    """The region if it is inside the caller's scope, else RegionNotFound."""
    row = await conn.fetchrow(queries.GET_REGION, code, principal.region_like)
    if row is None:
        raise errors.RegionNotFound()
    return row_to(row, Region)


async def list_children(conn: asyncpg.Connection, principal: Principal, code: str) -> list[Region]:
    await get_region(conn, principal, code)
    return rows_to(await conn.fetch(queries.LIST_CHILDREN, code, principal.region_like), Region)


async def list_regions(
    conn: asyncpg.Connection,
    principal: Principal,
    level: RegionLevel | None = None,
    poverty_relieved: bool | None = None,
    key_assistance: KeyAssistance | None = None,
) -> list[Region]:
    """Regions in scope filtered by level and county flags, in code order."""
    rows = await conn.fetch(
        queries.LIST_REGIONS,
        principal.region_like,
        level.value if level else None,
        poverty_relieved,
        key_assistance.value if key_assistance else None,
    )
    return rows_to(rows, Region)


async def region_tree(
    conn: asyncpg.Connection, principal: Principal, root: str | None = None, depth: int = DEFAULT_TREE_DEPTH
) -> list[RegionNode]:
    """The caller's subtree (or `root`'s, which must be in scope), `depth` levels below the top.

    Staff get one root, their own region; an admin without `root` gets every province.
    """
    top = root or (None if principal.role is Role.admin else principal.region_code)
    if top is None:
        under, top_digits = "%", SIGNIFICANT_DIGITS[RegionLevel.province]
    else:
        region = await get_region(conn, principal, top)
        under, top_digits = region_prefix(region.code) + "%", SIGNIFICANT_DIGITS[region.level]
    levels = list(SIGNIFICANT_DIGITS.values())
    max_digits = levels[min(levels.index(top_digits) + depth, len(levels) - 1)]
    rows = await conn.fetch(queries.LIST_SUBTREE, under, principal.region_like, max_digits)
    nodes = {r["code"]: msgspec.convert(dict(r), RegionNode) for r in rows}
    roots: list[RegionNode] = []
    for node in nodes.values():  # code order: parents come before their children
        parent = nodes.get(node.parent_code or "")
        (parent.children if parent is not None else roots).append(node)
    return roots


def _check_flags(level: RegionLevel, poverty_relieved: bool, key_assistance: KeyAssistance | None) -> None:
    if level is not RegionLevel.county and (poverty_relieved or key_assistance is not None):
        raise errors.CountyFlagsOnlyForCounties()


async def create_region(conn: asyncpg.Connection, principal: Principal, data: RegionCreate) -> Region:
    """Adds a region under its existing parent (the parent is read from the code)."""
    reason = invalid_code_reason(data.code)
    if reason is not None:
        raise errors.InvalidRegionCode(detail=[ErrorDetail(field="code", reason=reason)])
    level = region_level(data.code)
    _check_flags(level, data.is_poverty_relieved_county, data.key_assistance)
    parent = parent_code(data.code)
    async with conn.transaction():
        if parent is not None and await conn.fetchrow(queries.LOCK_REGION, parent) is None:
            raise errors.ParentRegionNotFound(
                detail=[ErrorDetail(field="code", reason=f"上级代码 {parent} 不存在")]
            )
        row = await conn.fetchrow(
            queries.INSERT_REGION,
            data.code,
            data.name,
            level.value,
            parent,
            region_prefix(data.code),
            data.is_poverty_relieved_county,
            data.key_assistance.value if data.key_assistance else None,
        )
        if row is None:
            raise errors.RegionExists()
        await audit.record(conn, principal.user_id, "region.create", "region", data.code, {"name": data.name})
    return row_to(row, Region)


async def update_region(
    conn: asyncpg.Connection, principal: Principal, code: str, data: RegionUpdate
) -> Region:
    """Renames a region or changes a county's flags; fields not sent stay as they are."""
    async with conn.transaction():
        row = await conn.fetchrow(queries.LOCK_REGION, code)
        if row is None:
            raise errors.RegionNotFound()
        current = row_to(row, Region)
        changed = msgspec.structs.replace(
            current,
            **{f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not msgspec.UNSET},
        )
        _check_flags(changed.level, changed.is_poverty_relieved_county, changed.key_assistance)
        updated = await conn.fetchrow(
            queries.UPDATE_REGION,
            code,
            changed.name,
            changed.is_poverty_relieved_county,
            changed.key_assistance.value if changed.key_assistance else None,
        )
        await audit.record(
            conn, principal.user_id, "region.update", "region", code, msgspec.to_builtins(data)
        )
    return row_to(updated, Region)
