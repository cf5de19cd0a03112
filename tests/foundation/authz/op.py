"""One row of the authorization matrix: how to build an operation's object at a spot, the body
the operation accepts for it, which caller is inside, and where each role's outside object sits.
A row of a reference (a query parameter or body property naming an object, matrix_refs.py) builds
the object the reference names at the spot, and whatever the path names at HOME."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.base import Role
from tests.foundation.authz.scene import HOUSEHOLD, PRIVATE_SPOTS, Scene, Spot, Spots

# The object's path parameters (keys the path does not name are sent as query parameters, or as
# body properties where the operation's body has a property of that name).
Build = Callable[[Scene, Spot], Awaitable[dict[str, Any]]]
# The JSON body the operation accepts for the object at that spot.
Body = Callable[[Scene, Spot], Any]


@dataclass(frozen=True)
class Op:
    build: Build
    insider: Role  # a caller who acts on the HOME object (2xx)
    body: Mapping[str, Any] | Body | None = None
    spots: Spots = field(default_factory=lambda: HOUSEHOLD)
    # Admins are system-wide (README: "admin — everything"; backend/auth.py region_like "%"): where
    # they act only PRIVATE_SPOTS are outside their scope; elsewhere they meet the object as others do.
    admin_acts: bool = False
    photo_upload: bool = False  # the body is a multipart photo (a real JPEG) instead of JSON
    insider_spot: Spot = Spot.HOME
    # A list filter: a 200 listing nothing is as right as 403/404 (the insider's lists something).
    lists: bool = False
    # The machine code of the documented 422 that also refuses the reference (with the reason why).
    refusal: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # sent besides the caller's token

    def json_for(self, scene: Scene, spot: Spot) -> Any:
        return self.body(scene, spot) if callable(self.body) else self.body

    def outside(self, role: Role) -> tuple[Spot, ...]:
        if role is Role.admin and self.admin_acts:
            return tuple(s for s in self.spots[role] if s in PRIVATE_SPOTS)
        return self.spots[role]


def params(**fixed: Any) -> Build:
    """An object that needs nothing built (a calendar year, a template's event)."""

    async def build(scene: Scene, spot: Spot) -> dict[str, Any]:
        return dict(fixed)

    return build


def one(name: str, make: Callable[[Scene, Spot], Awaitable[int]]) -> Build:
    """The object's id under the path parameter `name`."""

    async def build(scene: Scene, spot: Spot) -> dict[str, Any]:
        return {name: await make(scene, spot)}

    return build
