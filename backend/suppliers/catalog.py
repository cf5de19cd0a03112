"""The catalogue unions buy from: certified (and unexpired) suppliers' active products."""

from __future__ import annotations

import datetime as dt

import asyncpg

from backend.auth import Principal, require_role
from backend.calendar.rules import local_date
from backend.db import rows_to
from backend.regions.rules import region_prefix
from backend.suppliers import queries
from schemas.base import PageMeta, Role
from schemas.suppliers import CatalogItem, CatalogPage, CatalogSort

CATALOG_READERS = frozenset({Role.union_buyer, Role.union_approver, Role.supplier, Role.county, Role.admin})


async def list_catalog(
    conn: asyncpg.Connection,
    principal: Principal,
    now: dt.datetime,
    *,
    category: str | None,
    origin_county: str | None,
    price_min_fen: int | None,
    price_max_fen: int | None,
    q: str | None,
    sort: CatalogSort,
    page: int,
    page_size: int,
) -> CatalogPage:
    """Only certified (and not expired) suppliers' active products: a suspended supplier's leave."""
    require_role(principal, CATALOG_READERS)
    filters = (
        local_date(now),
        category,
        region_prefix(origin_county) + "%" if origin_county else None,
        price_min_fen,
        price_max_fen,
        q or None,
    )
    rows = await conn.fetch(queries.list_catalog(sort.value), *filters, page_size, (page - 1) * page_size)
    total = await conn.fetchval(queries.COUNT_CATALOG, *filters)
    return CatalogPage(items=rows_to(rows, CatalogItem), meta=PageMeta(total=total, page=page, page_size=page_size))
