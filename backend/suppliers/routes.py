"""Supplier endpoints: registration and certification (county staff, the province), benefit links
and products (the supplier), the catalogue (unions). Thin: the service checks role and scope."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.auth import utcnow
from backend.deps import Caller, Conn, PageParam, PathId, QueryId
from backend.errors import responses
from backend.http import LOCATION, created
from backend.suppliers import catalog, errors, service
from schemas.base import MAX_FEN
from schemas.suppliers import (
    BenefitLink,
    BenefitLinkPut,
    CatalogPage,
    CatalogSort,
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

SupplierId = PathId
Year = Annotated[int | None, QueryParameter(ge=2014, le=2100)]
PageSize = Annotated[int, QueryParameter(ge=1, le=200)]


@post(
    "/suppliers",
    operation_id="RegisterSupplier",
    responses=responses(
        errors.RoleMayNotAct,
        errors.InvalidCreditCode,
        errors.NotACounty,
        errors.CountyNotPovertyRelieved,
        errors.SupplierAlreadyRegistered,
    ),
    response_headers=LOCATION,
)
async def register_supplier(data: JSONBody[SupplierCreate], conn: Conn, principal: Caller) -> Response[Supplier]:
    """A supplier of a poverty-relieved county applies (registered by county staff); it starts pending."""
    supplier = await service.register(conn, principal, data)
    return created(supplier, f"/api/suppliers/{supplier.id}")


@get("/suppliers", operation_id="ListSuppliers", responses=responses(errors.RoleMayNotAct))
async def list_suppliers(
    conn: Conn,
    principal: Caller,
    status: FromQuery[CertificationStatus | None] = None,
    page: PageParam = 1,
    page_size: PageSize = 20,
) -> SupplierPage:
    return await service.list_suppliers(conn, principal, status, page, page_size)


@get("/suppliers/{supplier_id:int}", operation_id="GetSupplier", responses=responses(errors.SupplierNotFound, errors.RoleMayNotAct))
async def get_supplier(supplier_id: SupplierId, conn: Conn, principal: Caller) -> Supplier:
    return await service.get_supplier(conn, principal, supplier_id)


@post(
    "/suppliers/{supplier_id:int}/certification/{action:str}",
    operation_id="StepSupplierCertification",
    responses=responses(*errors.CERTIFY_ERRORS),
    status_code=200,
)
async def step_certification(
    supplier_id: SupplierId,
    action: FromPath[CertificationAction],
    data: JSONBody[Certification],
    conn: Conn,
    principal: Caller,
) -> Supplier:
    """推荐 (county staff), 认定 with an expiry / 不予通过 / 暂停 / 恢复 (the province), 重新申请 (the supplier)."""
    return await service.certify_step(conn, principal, supplier_id, action, data, utcnow())


@put(
    "/suppliers/me/benefit-links",
    operation_id="PutBenefitLink",
    responses=responses(errors.RoleMayNotAct, errors.HouseholdNotFound, errors.HouseholdNotLinkable),
    status_code=200,
)
async def put_benefit_link(data: JSONBody[BenefitLinkPut], conn: Conn, principal: Caller) -> BenefitLink:
    """利益联结: what the supplier paid a household in a year; it shows in the household's income record."""
    return await service.put_benefit_link(conn, principal, data, utcnow())


@get(
    "/suppliers/{supplier_id:int}/benefit-links",
    operation_id="ListBenefitLinks",
    responses=responses(errors.SupplierNotFound, errors.RoleMayNotAct),
)
async def list_benefit_links(supplier_id: SupplierId, conn: Conn, principal: Caller, year: Year = None) -> list[BenefitLink]:
    return await service.list_benefit_links(conn, principal, supplier_id, year)


@post(
    "/products",
    operation_id="CreateProduct",
    responses=responses(errors.RoleMayNotAct, errors.NotACounty),
    response_headers=LOCATION,
)
async def create_product(data: JSONBody[ProductCreate], conn: Conn, principal: Caller) -> Response[Product]:
    product = await service.create_product(conn, principal, data)
    return created(product, f"/api/products/{product.id}")


@patch(
    "/products/{product_id:int}",
    operation_id="UpdateProduct",
    responses=responses(errors.RoleMayNotAct, errors.ProductNotFound, errors.StockWouldGoNegative),
)
async def update_product(product_id: PathId, data: JSONBody[ProductUpdate], conn: Conn, principal: Caller) -> Product:
    return await service.update_product(conn, principal, product_id, data)


@get("/products", operation_id="ListProducts", responses=responses(errors.RoleMayNotAct))
async def list_products(
    conn: Conn,
    principal: Caller,
    supplier_id: QueryId = None,
    page: PageParam = 1,
    page_size: PageSize = 50,
) -> ProductPage:
    """A supplier's own products, active or not; county staff those of their county's suppliers."""
    return await service.list_products(conn, principal, supplier_id, page, page_size)


@get("/catalog", operation_id="ListCatalog", responses=responses(errors.RoleMayNotAct))
async def list_catalog(
    conn: Conn,
    principal: Caller,
    category: Annotated[str | None, QueryParameter(max_length=50)] = None,
    origin_county: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{12}$")] = None,
    price_min_fen: Annotated[int | None, QueryParameter(ge=0, le=MAX_FEN)] = None,
    price_max_fen: Annotated[int | None, QueryParameter(ge=0, le=MAX_FEN)] = None,
    q: Annotated[str | None, QueryParameter(max_length=50)] = None,
    sort: FromQuery[CatalogSort] = CatalogSort.newest,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> CatalogPage:
    """帮扶产品目录: certified suppliers' active products, filtered, searched by name, sorted, paged."""
    return await catalog.list_catalog(
        conn,
        principal,
        utcnow(),
        category=category,
        origin_county=origin_county,
        price_min_fen=price_min_fen,
        price_max_fen=price_max_fen,
        q=q,
        sort=sort,
        page=page,
        page_size=page_size,
    )


router = Router(
    path="/api",
    route_handlers=[
        register_supplier,
        list_suppliers,
        get_supplier,
        step_certification,
        put_benefit_link,
        list_benefit_links,
        create_product,
        update_product,
        list_products,
        list_catalog,
    ],
    tags=["suppliers"],
)
