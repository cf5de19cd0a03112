"""Region endpoints: staff read inside their scope; admins add regions and set county flags."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.auth import REGION_ROLES, require_role
from backend.deps import Caller, Conn
from backend.errors import responses
from backend.http import LOCATION, created
from backend.regions import errors as regions_errors
from backend.regions import service
from schemas.base import Role
from schemas.regions import KeyAssistance, Region, RegionCreate, RegionLevel, RegionNode, RegionUpdate

READERS = REGION_ROLES | {Role.admin}


@get("/regions", operation_id="ListRegions")
async def list_regions(
    conn: Conn,
    principal: Caller,
    level: FromQuery[RegionLevel | None] = None,
    poverty_relieved: FromQuery[bool | None] = None,
    key_assistance: FromQuery[KeyAssistance | None] = None,
) -> list[Region]:
    require_role(principal, READERS)
    return await service.list_regions(conn, principal, level, poverty_relieved, key_assistance)


@get("/regions/tree", operation_id="GetRegionTree", responses=responses(regions_errors.RegionNotFound))
async def region_tree(
    conn: Conn,
    principal: Caller,
    root: FromQuery[str | None] = None,
    depth: Annotated[int, QueryParameter(ge=0, le=4)] = service.DEFAULT_TREE_DEPTH,
) -> list[RegionNode]:
    require_role(principal, READERS)
    return await service.region_tree(conn, principal, root, depth)


@get("/regions/{code:str}", operation_id="GetRegion", responses=responses(regions_errors.RegionNotFound))
async def get_region(code: FromPath[str], conn: Conn, principal: Caller) -> Region:
    require_role(principal, READERS)
    return await service.get_region(conn, principal, code)


@get(
    "/regions/{code:str}/children",
    operation_id="ListRegionChildren",
    responses=responses(regions_errors.RegionNotFound),
)
async def list_children(code: FromPath[str], conn: Conn, principal: Caller) -> list[Region]:
    require_role(principal, READERS)
    return await service.list_children(conn, principal, code)


@post(
    "/regions",
    operation_id="CreateRegion",
    responses=responses(
        regions_errors.RegionExists,
        regions_errors.CountyFlagsOnlyForCounties,
        regions_errors.InvalidRegionCode,
        regions_errors.ParentRegionNotFound,
    ),
    response_headers=LOCATION,
)
async def create_region(data: JSONBody[RegionCreate], conn: Conn, principal: Caller) -> Response[Region]:
    require_role(principal, {Role.admin})
    region = await service.create_region(conn, principal, data)
    return created(region, f"/api/regions/{region.code}")


@patch(
    "/regions/{code:str}",
    operation_id="UpdateRegion",
    responses=responses(regions_errors.RegionNotFound, regions_errors.CountyFlagsOnlyForCounties),
)
async def update_region(
    code: FromPath[str], data: JSONBody[RegionUpdate], conn: Conn, principal: Caller
) -> Region:
    require_role(principal, {Role.admin})
    return await service.update_region(conn, principal, code, data)


router = Router(
    path="/api",
    route_handlers=[list_regions, region_tree, get_region, list_children, create_region, update_region],
    tags=["regions"],
)
