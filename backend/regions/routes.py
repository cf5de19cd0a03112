"""Region endpoints: staff read inside their scope; admins add regions and set county flags."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.auth import REGION_ROLES, require_role
from backend.deps import Caller, Conn
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


@get("/regions/tree", operation_id="GetRegionTree")
async def region_tree(
    conn: Conn,
    principal: Caller,
    root: FromQuery[str | None] = None,
    depth: Annotated[int, QueryParameter(ge=0, le=4)] = service.DEFAULT_TREE_DEPTH,
) -> list[RegionNode]:
    require_role(principal, READERS)
    return await service.region_tree(conn, principal, root, depth)


@get("/regions/{code:str}", operation_id="GetRegion")
async def get_region(code: FromPath[str], conn: Conn, principal: Caller) -> Region:
    require_role(principal, READERS)
    return await service.get_region(conn, principal, code)


@get("/regions/{code:str}/children", operation_id="ListRegionChildren")
async def list_children(code: FromPath[str], conn: Conn, principal: Caller) -> list[Region]:
    require_role(principal, READERS)
    return await service.list_children(conn, principal, code)


@post("/regions", operation_id="CreateRegion")
async def create_region(data: JSONBody[RegionCreate], conn: Conn, principal: Caller) -> Region:
    require_role(principal, {Role.admin})
    return await service.create_region(conn, principal, data)


@patch("/regions/{code:str}", operation_id="UpdateRegion")
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
