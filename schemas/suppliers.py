"""Suppliers (DOMAIN §8): registration and certification (帮扶产品认定), benefit links (利益联结) to
registry households, products and the catalogue unions buy from."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import msgspec
from msgspec import Meta

from schemas.base import SINGLE_LINE, BaseStruct, Fen, Name, PageMeta, RegionCode

CreditCode = Annotated[str, Meta(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$(?!\n)", description="统一社会信用代码")]
Reason = Annotated[str, Meta(min_length=1, max_length=500)]
Short = Annotated[str, Meta(min_length=1, max_length=20, pattern=SINGLE_LINE)]
Stock = Annotated[int, Meta(ge=0, le=100_000_000)]
Year = Annotated[int, Meta(ge=2014, le=2100)]


class CertificationStatus(enum.StrEnum):
    pending = "pending"  # applied, waiting for the county's recommendation
    recommended = "recommended"  # by county staff
    certified = "certified"
    rejected = "rejected"
    suspended = "suspended"
    revoked = "revoked"


class CertificationAction(enum.StrEnum):
    recommend = "recommend"
    certify = "certify"
    reject = "reject"
    suspend = "suspend"
    reinstate = "reinstate"
    reapply = "reapply"


class SupplierCreate(BaseStruct):
    name: Annotated[str, Meta(min_length=2, max_length=100, pattern=SINGLE_LINE)]
    credit_code: CreditCode
    county_code: RegionCode


class Supplier(BaseStruct):
    id: int
    name: str
    credit_code: str
    county_code: str
    county_name: str
    certification_status: CertificationStatus
    created_at: dt.datetime
    certified_until: dt.date | None = None
    decision_reason: str | None = None


class SupplierPage(BaseStruct):
    items: list[Supplier]
    meta: PageMeta


class Certification(BaseStruct):
    """A certifier's decision: the certificate's expiry date when certifying, a reason otherwise."""

    certified_until: dt.date | None = None
    reason: Reason | None = None


class BenefitKind(enum.StrEnum):
    purchase_contract = "purchase_contract"  # 订单收购: the household's produce bought under contract
    employment = "employment"  # 务工就业
    dividend = "dividend"  # 资产收益分红


class BenefitLinkPut(BaseStruct):
    household_no: Annotated[str, Meta(min_length=1, max_length=40, pattern=SINGLE_LINE)]
    kind: BenefitKind
    year: Year
    amount_fen: Fen  # what the supplier reports paying the household that year


class BenefitLink(BaseStruct):
    id: int
    supplier_id: int
    household_id: int
    household_no: str
    village_name: str
    kind: BenefitKind
    year: int
    amount_fen: int


class ProductCreate(BaseStruct):
    name: Name
    category: Short
    unit: Short
    price_fen: Annotated[int, Meta(gt=0, le=10**10)]
    stock: Stock
    origin_county_code: RegionCode
    min_order: Annotated[int, Meta(gt=0, le=100_000)] = 1
    cert_no: Annotated[str, Meta(max_length=40, pattern=SINGLE_LINE)] | None = None
    active: bool = True


class ProductUpdate(BaseStruct):
    """Only what is sent changes. Stock moves by `stock_change` (入库 +, 出库 −) so that a restock
    never overwrites what concurrent orders reserved."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    category: Short | msgspec.UnsetType = msgspec.UNSET
    unit: Short | msgspec.UnsetType = msgspec.UNSET
    price_fen: Annotated[int, Meta(gt=0, le=10**10)] | msgspec.UnsetType = msgspec.UNSET
    min_order: Annotated[int, Meta(gt=0, le=100_000)] | msgspec.UnsetType = msgspec.UNSET
    cert_no: Annotated[str, Meta(max_length=40, pattern=SINGLE_LINE)] | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    stock_change: Annotated[int, Meta(ge=-100_000_000, le=100_000_000)] = 0


class Product(BaseStruct):
    id: int
    supplier_id: int
    name: str
    category: str
    unit: str
    price_fen: int
    stock: int
    min_order: int
    origin_county_code: str
    active: bool
    cert_no: str | None = None


class ProductPage(BaseStruct):
    items: list[Product]
    meta: PageMeta


class CatalogSort(enum.StrEnum):
    newest = "newest"
    price_asc = "price_asc"
    price_desc = "price_desc"
    name = "name"


class CatalogItem(BaseStruct):
    id: int
    name: str
    category: str
    unit: str
    price_fen: int
    stock: int
    min_order: int
    origin_county_code: str
    origin_county_name: str
    supplier_id: int
    supplier_name: str
    cert_no: str | None = None


class CatalogPage(BaseStruct):
    items: list[CatalogItem]
    meta: PageMeta
