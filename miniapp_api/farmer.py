"""Mini-program routes for farmers. A farmer only ever sees their own household."""

from __future__ import annotations

from litestar import Router, get

from backend.auth import require_role
from backend.deps import Caller, Conn
from backend.registry import service as registry
from schemas.base import Role
from schemas.registry import Household


@get("/household", operation_id="GetMyHousehold")
async def my_household(conn: Conn, principal: Caller) -> Household:
    require_role(principal, {Role.farmer})
    return await registry.get_household(conn, principal, principal.household_only or -1)


router = Router(path="/api/miniapp/farmer", route_handlers=[my_household], tags=["miniapp-farmer"])
