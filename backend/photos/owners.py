"""The one place owner kinds plug in: for each kind, the query that returns an owner's scope.

A query takes the owner id as $1 and returns (household_id, region_code, supplier_id, union_id),
NULL where a column does not apply. A kind whose query is None, or whose table does not exist
yet in this database, answers PhotoOwnerKindNotReady.
"""

from __future__ import annotations

import asyncpg

from backend.photos import errors
from backend.photos.rules import OwnerScope
from schemas.photos import OwnerKind

# A case about a household (migration 0004): scoped by the household's village.
GET_APPLICATION_SCOPE = """
SELECT a.household_id, h.village_code AS region_code, NULL::bigint AS supplier_id, NULL::bigint AS union_id
FROM applications a
JOIN households h ON h.id = a.household_id
WHERE a.id = $1
"""

# A supplier's product: the supplier, and staff of its origin county.
GET_PRODUCT_SCOPE = """
SELECT NULL::bigint AS household_id, p.origin_county_code AS region_code, p.supplier_id, NULL::bigint AS union_id
FROM products p
WHERE p.id = $1
"""

OWNER_SCOPE_QUERIES: dict[OwnerKind, str | None] = {
    OwnerKind.application: GET_APPLICATION_SCOPE,
    OwnerKind.product: GET_PRODUCT_SCOPE,
    OwnerKind.visit: None,  # the visits issue adds its query (household + village) here
    OwnerKind.order: None,  # the orders issue adds its query (union + supplier) here
}


async def resolve_owner(conn: asyncpg.Connection, kind: OwnerKind, owner_id: int) -> OwnerScope:
    """The owner's scope; PhotoOwnerNotFound if there is no such owner."""
    query = OWNER_SCOPE_QUERIES[kind]
    if query is None:
        raise errors.PhotoOwnerKindNotReady()
    try:
        row = await conn.fetchrow(query, owner_id)
    except asyncpg.UndefinedTableError:
        raise errors.PhotoOwnerKindNotReady() from None
    if row is None:
        raise errors.PhotoOwnerNotFound()
    return OwnerScope(row["household_id"], row["region_code"], row["supplier_id"], row["union_id"])
