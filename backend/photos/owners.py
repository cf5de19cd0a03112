"""The one place owner kinds plug in: for each kind, one entry with the query that returns an
owner's scope, the owner's own read rule (who may read the owner sees its photos) and which of
its readers may attach photos. A kind without an entry, or whose table does not exist yet in this
database, answers PhotoOwnerKindNotReady.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from backend.alerts import rules as alert_rules
from backend.applications import rules as case_rules
from backend.auth import Principal
from backend.photos import errors, rules
from backend.photos.rules import OwnerScope
from backend.visits import queries as visit_queries
from backend.visits import rules as visit_rules
from schemas.base import Role
from schemas.photos import OwnerKind

# A case about a household (migration 0004): scoped by the household's village and its state.
GET_APPLICATION_SCOPE = """
SELECT a.household_id, h.village_code AS region_code, NULL::bigint AS supplier_id,
       NULL::bigint AS union_id, a.state
FROM applications a
JOIN households h ON h.id = a.household_id
WHERE a.id = $1
"""

# A supplier's product: the supplier, and staff of its origin county.
GET_PRODUCT_SCOPE = """
SELECT NULL::bigint AS household_id, p.origin_county_code AS region_code, p.supplier_id,
       NULL::bigint AS union_id, NULL::text AS state
FROM products p
WHERE p.id = $1
"""

# An alert (migration 0013): scoped by its household's village.
GET_ALERT_SCOPE = """
SELECT a.household_id, h.village_code AS region_code, NULL::bigint AS supplier_id,
       NULL::bigint AS union_id, a.status AS state
FROM alerts a
JOIN households h ON h.id = a.household_id
WHERE a.id = $1
"""


def _reads_alert(principal: Principal, owner: OwnerScope) -> bool:
    """The alert's readers (backend/alerts/rules.READERS) over its village."""
    return principal.role in alert_rules.READERS and rules.covers_owner_region(principal, owner)


def _reads_visit(principal: Principal, owner: OwnerScope) -> bool:
    """The visit's own read rule (backend/visits/rules.may_read_visit)."""
    return owner.region_code is not None and visit_rules.may_read_visit(
        principal, owner.region_code, owner.user_ids or []
    )


# A union's order (migration 0017): the union and the supplier; region_code is the supplier's county.
GET_ORDER_SCOPE = """
SELECT NULL::bigint AS household_id, s.county_code AS region_code, o.supplier_id, o.union_id, o.state
FROM orders o
JOIN suppliers s ON s.id = o.supplier_id
WHERE o.id = $1
"""


@dataclass(frozen=True, slots=True)
class OwnerKindRules:
    scope_query: str  # $1 = owner id → household_id, region_code, supplier_id, union_id, state
    may_read: rules.Check  # the owner's own read rule: who may read the owner sees its photos
    uploaders: frozenset[Role]  # of the owner's readers, the roles that attach photos


# A kind without an entry answers "not ready".
OWNER_KINDS: dict[OwnerKind, OwnerKindRules] = {
    OwnerKind.application: OwnerKindRules(
        GET_APPLICATION_SCOPE,
        rules.reads_case,
        frozenset({Role.farmer}) | case_rules.REGION_STAFF,  # 自主申报 and 入户核实 photos
    ),
    OwnerKind.product: OwnerKindRules(GET_PRODUCT_SCOPE, rules.reads_product, frozenset({Role.supplier})),
    # The helper's or grid officer's evidence of the visit; region staff may add theirs.
    OwnerKind.alert: OwnerKindRules(GET_ALERT_SCOPE, _reads_alert, case_rules.REGION_STAFF),
    OwnerKind.order: OwnerKindRules(GET_ORDER_SCOPE, rules.reads_order, frozenset({Role.union_buyer})),
    # A home visit's evidence (migration 0016): the visitor and the household's helper, region staff.
    OwnerKind.visit: OwnerKindRules(visit_queries.GET_VISIT_PHOTO_SCOPE, _reads_visit, visit_rules.RECORDERS),
}


def may_view(principal: Principal, kind: OwnerKind, owner: OwnerScope) -> bool:
    return OWNER_KINDS[kind].may_read(principal, owner)


def may_upload(principal: Principal, kind: OwnerKind, owner: OwnerScope) -> bool:
    return principal.role in OWNER_KINDS[kind].uploaders and may_view(principal, kind, owner)


async def resolve_owner(conn: asyncpg.Connection, kind: OwnerKind, owner_id: int) -> OwnerScope:
    """The owner's scope; PhotoOwnerNotFound if there is no such owner."""
    entry = OWNER_KINDS.get(kind)
    if entry is None:
        raise errors.PhotoOwnerKindNotReady()
    try:
        row = await conn.fetchrow(entry.scope_query, owner_id)
    except asyncpg.UndefinedTableError:
        raise errors.PhotoOwnerKindNotReady() from None
    if row is None:
        raise errors.PhotoOwnerNotFound()
    return OwnerScope(**dict(row))
