"""Region wire types (DOMAIN §2)."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import Meta

from schemas.base import SINGLE_LINE, BaseStruct, RegionCode

RegionName = Annotated[str, Meta(min_length=1, max_length=60, pattern=SINGLE_LINE)]


class RegionLevel(enum.StrEnum):
    """统计用区划代码 levels: 2-2-2-3-3 significant digits (backend/regions/rules.py reads them)."""

    province = "province"
    city = "city"
    county = "county"
    township = "township"
    village = "village"


class KeyAssistance(enum.StrEnum):
    """乡村振兴重点帮扶县."""

    national = "national"
    provincial = "provincial"


class Region(BaseStruct):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    is_poverty_relieved_county: bool  # 脱贫县
    key_assistance: KeyAssistance | None


class RegionNode(Region):
    """A region with its children, for the tree endpoint."""

    children: list[RegionNode] = []


class RegionCreate(BaseStruct):
    code: RegionCode
    name: RegionName
    is_poverty_relieved_county: bool = False
    key_assistance: KeyAssistance | None = None


class RegionUpdate(BaseStruct):
    """PATCH: only the fields sent are changed; `key_assistance: null` clears the flag."""

    name: RegionName | msgspec.UnsetType = msgspec.UNSET
    is_poverty_relieved_county: bool | msgspec.UnsetType = msgspec.UNSET
    key_assistance: KeyAssistance | None | msgspec.UnsetType = msgspec.UNSET
