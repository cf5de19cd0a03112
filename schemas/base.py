"""The wire contract's base Struct and the constrained types every domain reuses."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import Meta


class BaseStruct(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Every request, response and job payload: unknown fields are typos, so they are refused."""


# 12-digit statistical division code (统计用区划代码), DOMAIN §2.
RegionCode = Annotated[str, Meta(pattern=r"^\d{12}$", description="12 位统计用区划代码")]
Fen = Annotated[int, Meta(ge=0, description="金额，单位分")]
PositiveInt = Annotated[int, Meta(gt=0)]
Id = Annotated[int, Meta(gt=0)]
Name = Annotated[str, Meta(min_length=1, max_length=50)]
Page = Annotated[int, Meta(ge=1)]
PageSize = Annotated[int, Meta(ge=1, le=200)]


class Role(enum.StrEnum):
    """DOMAIN §1."""

    farmer = "farmer"
    helper = "helper"
    grid_officer = "grid_officer"
    village = "village"
    township = "township"
    county = "county"
    department = "department"
    union_buyer = "union_buyer"
    union_approver = "union_approver"
    supplier = "supplier"
    admin = "admin"


class ErrorDetail(BaseStruct):
    field: str
    reason: str


class ErrorBody(BaseStruct):
    """Every failure the API returns has this shape."""

    code: str
    message: str
    request_id: str
    detail: list[ErrorDetail] | None = None


class ImportReject(BaseStruct):
    """One reason a row of an uploaded file was not imported. `row` is the spreadsheet row (the
    header is row 1); `column` is the column key. Never carries an ID number."""

    row: int
    column: str
    reason: str


class PageMeta(BaseStruct):
    total: int
    page: int
    page_size: int
