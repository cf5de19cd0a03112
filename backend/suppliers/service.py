"""Suppliers: registration, certification steps, benefit links (each keeping the household's marked
income line), products. A supplier sees only itself; county staff the suppliers of their county."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec
from stdnum.cn import uscc

from backend import audit
from backend.auth import Principal, require_role
from backend.calendar.rules import local_date
from backend.db import row_to, rows_to
from backend.suppliers import errors, queries, rules
from schemas.base import PageMeta, Role
from schemas.regions import RegionLevel
from schemas.registry import HouseholdCategory, MonitoringStatus
from schemas.suppliers import (
    BenefitLink,
    BenefitLinkPut,
    Certification,
    CertificationAction,
    CertificationStatus,
    Product,
    ProductCreate,
    ProductPage,
    ProductUpdate,
    Supplier,
    SupplierCreate,
    SupplierPage,
)

STAFF = frozenset({Role.county, Role.admin})
READERS = STAFF | {Role.supplier}


def _scope(principal: Principal) -> tuple[int | None, str]:
    """($2, $3) of the scoped supplier queries."""
    require_role(principal, READERS)
    if principal.role is Role.supplier:
        return principal.supplier_id or -1, "%"
    return None, principal.region_like


async def register(conn: asyncpg.Connection, principal: Principal, data: SupplierCreate) -> Supplier:
    """County staff (or an admin) register a supplier of a poverty-relieved county; it starts pending."""
    require_role(principal, STAFF)
    if not uscc.is_valid(data.credit_code):
        raise errors.InvalidCreditCode()
    county = await conn.fetchrow(queries.GET_COUNTY, data.county_code)
    if county is None or not principal.covers_region(data.county_code):
        raise errors.NotACounty("没有找到这个县，或不在您的管辖范围内")
    if county["level"] != RegionLevel.county.value:
        raise errors.NotACounty()
    if not county["is_poverty_relieved_county"]:
        raise errors.CountyNotPovertyRelieved()
    async with conn.transaction():
        try:
            supplier_id = await conn.fetchval(queries.INSERT_SUPPLIER, data.name, data.credit_code, data.county_code)
        except asyncpg.UniqueViolationError:
            raise errors.SupplierAlreadyRegistered() from None
        await audit.record(conn, principal.user_id, "supplier.register", "supplier", supplier_id)
    return await get_supplier(conn, principal, supplier_id)


async def get_supplier(conn: asyncpg.Connection, principal: Principal, supplier_id: int) -> Supplier:
    only, like = _scope(principal)
    supplier = row_to(await conn.fetchrow(queries.GET_SUPPLIER, supplier_id, only, like), Supplier)
    if supplier is None:
        raise errors.SupplierNotFound()
    return supplier


async def list_suppliers(
    conn: asyncpg.Connection,
    principal: Principal,
    status: CertificationStatus | None,
    page: int,
    page_size: int,
) -> SupplierPage:
    only, like = _scope(principal)
    rows = await conn.fetch(
        queries.LIST_SUPPLIERS, status.value if status else None, only, like, page_size, (page - 1) * page_size
    )
    return SupplierPage(
        items=rows_to([_without_total(r) for r in rows], Supplier),
        meta=PageMeta(total=rows[0]["total"] if rows else 0, page=page, page_size=page_size),
    )


async def certify_step(
    conn: asyncpg.Connection,
    principal: Principal,
    supplier_id: int,
    action: CertificationAction,
    data: Certification,
    now: dt.datetime,
) -> Supplier:
    """One certification step; a suspended or expired supplier's products leave the catalogue."""
    only, like = _scope(principal)
    async with conn.transaction():
        row = await conn.fetchrow(queries.LOCK_SUPPLIER, supplier_id, only, like)
        if row is None:
            raise errors.SupplierNotFound()
        to_status = rules.find_move(CertificationStatus(row["certification_status"]), action, principal)
        if action is CertificationAction.certify and (
            data.certified_until is None or data.certified_until <= local_date(now)
        ):
            raise errors.ExpiryRequired()
        if action in rules.NEEDS_REASON and not data.reason:
            raise errors.ReasonRequired()
        reason = data.reason if action in rules.NEEDS_REASON else None
        await conn.execute(
            queries.UPDATE_CERTIFICATION, supplier_id, to_status.value, data.certified_until, reason, now
        )
        await audit.record(
            conn,
            principal.user_id,
            f"supplier.{action.value}",
            "supplier",
            supplier_id,
            {"to_status": to_status.value, "reason": reason or ""},
        )
    return await get_supplier(conn, principal, supplier_id)


async def put_benefit_link(
    conn: asyncpg.Connection, principal: Principal, data: BenefitLinkPut, now: dt.datetime
) -> BenefitLink:
    """The supplier reports what it paid a lifted or monitored household of its county in a year;
    the household's income record for that year carries it as a marked consumption-assistance line."""
    require_role(principal, {Role.supplier})
    supplier_id = principal.supplier_id or -1
    async with conn.transaction():
        household = await conn.fetchrow(queries.GET_LINKABLE_HOUSEHOLD, data.household_no, supplier_id)
        if household is None:
            raise errors.HouseholdNotFound()
        if household["category"] != HouseholdCategory.lifted and household["monitoring_status"] == MonitoringStatus.none:
            raise errors.HouseholdNotLinkable()
        link_id = await conn.fetchval(
            queries.UPSERT_BENEFIT_LINK,
            supplier_id,
            household["id"],
            data.kind.value,
            data.year,
            data.amount_fen,
            principal.user_id,
            now,
        )
        await conn.execute(
            queries.UPSERT_INCOME_LINE,
            household["id"],
            data.year,
            rules.INCOME_KIND[data.kind],
            data.amount_fen,
            link_id,
            f"消费帮扶利益联结（{data.kind.value}），供应商 {supplier_id} 报送",
            now,
        )
        await audit.record(conn, principal.user_id, "supplier.benefit_link", "household", household["id"])
    links = await list_benefit_links(conn, principal, supplier_id, data.year)
    return next(link for link in links if link.id == link_id)


async def list_benefit_links(
    conn: asyncpg.Connection, principal: Principal, supplier_id: int, year: int | None
) -> list[BenefitLink]:
    await get_supplier(conn, principal, supplier_id)  # the scope check
    return rows_to(await conn.fetch(queries.LIST_BENEFIT_LINKS, supplier_id, year), BenefitLink)


async def create_product(conn: asyncpg.Connection, principal: Principal, data: ProductCreate) -> Product:
    require_role(principal, {Role.supplier})
    county = await conn.fetchrow(queries.GET_COUNTY, data.origin_county_code)
    if county is None or county["level"] != RegionLevel.county.value:
        raise errors.NotACounty("产地须为县级行政区")
    async with conn.transaction():
        row = await conn.fetchrow(
            queries.INSERT_PRODUCT,
            principal.supplier_id,
            data.cert_no,
            data.name,
            data.category,
            data.unit,
            data.price_fen,
            data.stock,
            data.min_order,
            data.origin_county_code,
            data.active,
        )
        await audit.record(conn, principal.user_id, "product.create", "product", row["id"])
    return row_to(row, Product)


async def update_product(
    conn: asyncpg.Connection, principal: Principal, product_id: int, data: ProductUpdate
) -> Product:
    require_role(principal, {Role.supplier})
    fields = msgspec.structs.asdict(data)
    values = [None if fields[k] is msgspec.UNSET else fields[k] for k in
              ("name", "category", "unit", "price_fen", "min_order", "cert_no", "active")]
    async with conn.transaction():
        try:
            row = await conn.fetchrow(
                queries.UPDATE_PRODUCT, product_id, principal.supplier_id, *values, data.stock_change
            )
        except asyncpg.CheckViolationError:
            raise errors.StockWouldGoNegative() from None
        if row is None:
            raise errors.ProductNotFound()
        changed = {k: v for k, v in fields.items() if v is not msgspec.UNSET}
        await audit.record(conn, principal.user_id, "product.update", "product", product_id, changed)
    return row_to(row, Product)


async def list_products(
    conn: asyncpg.Connection, principal: Principal, supplier_id: int | None, page: int, page_size: int
) -> ProductPage:
    """A supplier's own products (active or not); county staff their county's suppliers' products."""
    only, like = _scope(principal)
    rows = await conn.fetch(queries.LIST_PRODUCTS, supplier_id, only, like, page_size, (page - 1) * page_size)
    return ProductPage(
        items=rows_to([_without_total(r) for r in rows], Product),
        meta=PageMeta(total=rows[0]["total"] if rows else 0, page=page, page_size=page_size),
    )


def _without_total(row: asyncpg.Record) -> dict[str, object]:
    return {k: v for k, v in row.items() if k != "total"}
