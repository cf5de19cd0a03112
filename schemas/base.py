"""The wire contract's base Struct and the constrained types every domain reuses."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import Meta


class BaseStruct(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Every request, response and job payload: unknown fields are typos, so they are refused."""


# The largest integer PostgreSQL's bigint (every id and amount column) holds.
INT64_MAX = 2**63 - 1
# No list is paged this far; the bound keeps OFFSET (page - 1) * page_size far inside bigint.
MAX_PAGE = 1_000_000
# 1,000 亿元: more than any household's income or any budget; a sum of 900,000 stays inside bigint.
MAX_FEN = 10**13

# Patterns of codes: [0-9], not \d, which also matches full-width and other scripts' digits; and
# `$(?!\n)`, since Python's `$` also matches before a final newline ("ABCD\n" would pass `^…$`).

# Names and titles are one line: the boundary (backend/boundary.py) lets tab and newline through
# for texts such as a narrative; these refuse them.
SINGLE_LINE = r"^[^\t\n]*$(?!\n)"

# 12-digit statistical division code (统计用区划代码), DOMAIN §2.
RegionCode = Annotated[str, Meta(pattern=r"^[0-9]{12}$(?!\n)", description="12 位统计用区划代码")]
Fen = Annotated[int, Meta(ge=0, le=MAX_FEN, description="金额，单位分")]
PositiveInt = Annotated[int, Meta(gt=0, le=INT64_MAX)]
Id = Annotated[int, Meta(gt=0, le=INT64_MAX)]
Name = Annotated[str, Meta(min_length=1, max_length=50, pattern=SINGLE_LINE)]
Page = Annotated[int, Meta(ge=1, le=MAX_PAGE)]
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
