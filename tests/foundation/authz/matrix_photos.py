"""The matrix rows of photos: upload and list per owner kind (a case, a visit, a product, an order,
an alert), one photo, and the signed link that serves it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from schemas.base import Role
from tests.foundation.authz.objects import alert, case, order, photo, product_of, visit
from tests.foundation.authz.op import Build, Op, one
from tests.foundation.authz.scene import ASSIGNED, CASE, HOUSEHOLD, ORDER, PERSONAL, SUPPLIER, Scene, Spot, Spots
from tests.photos.conftest import phone_photo
from workers.photos import photos_process


async def _case(scene: Scene, spot: Spot) -> int:
    return await case(scene, spot, "verification")


async def _product(scene: Scene, spot: Spot) -> int:
    return product_of(scene, spot)


async def _shipped(scene: Scene, spot: Spot) -> int:
    return await order(scene, spot, "shipped")


async def _case_photo(scene: Scene, spot: Spot) -> int:
    case_id = await _case(scene, spot)
    return await photo(scene, "application", case_id, scene.household(spot).id, scene.verifier(spot))


async def _home_link(scene: Scene) -> dict[str, Any]:
    """The farmer's photo of their own case, uploaded and processed as the app does it: its
    signed thumbnail link as path and query parameters."""
    if "link" not in scene.made:
        assert scene.client is not None and scene.world.farmer is not None
        farmer = scene.world.farmer
        case_id = await _case(scene, Spot.HOME)
        uploaded = await scene.client.post(
            f"/api/applications/{case_id}/photos",
            files={"file": ("bill.jpg", phone_photo(seed=20), "application/octet-stream")},
            headers=farmer.headers,
        )
        assert uploaded.status_code == 201, uploaded.text
        assert await photos_process(scene.worker_ctx, uploaded.json()["id"]) == "ready"
        read = await scene.client.get(f"/api/photos/{uploaded.json()['id']}", headers=farmer.headers)
        url = urlsplit(read.json()["links"]["thumb_url"])
        photo_id, variant = url.path.rsplit("/", 2)[-2:]
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        scene.made["link"] = {"photo_id": int(photo_id), "variant": variant, **query}
    return scene.made["link"]


async def _link(scene: Scene, spot: Spot) -> dict[str, Any]:
    """At home the farmer's own link; elsewhere another photo asked for with that link's signature."""
    home = await _home_link(scene)
    if spot is Spot.HOME:
        return home
    return {**home, "photo_id": await _case_photo(scene, spot)}


def owner_ops(
    kind: str,
    make: Build,
    *,
    uploader: Role,
    reader: Role,
    where: Spots = HOUSEHOLD,
    readers_where: Spots | None = None,
    admin_reads: bool = True,
) -> dict[str, Op]:
    """Upload and list for one owner kind; the list's outside objects are `readers_where`'s when given."""
    title = kind.title()
    return {
        f"Upload{title}Photo": Op(make, uploader, spots=where, photo_upload=True),
        f"List{title}Photos": Op(make, reader, spots=readers_where or where, admin_acts=admin_reads),
    }


OPS: dict[str, Op] = {
    **owner_ops("application", one("owner_id", _case), uploader=Role.farmer, reader=Role.helper, where=CASE),
    **owner_ops("visit", one("owner_id", visit), uploader=Role.helper, reader=Role.village, where=ASSIGNED),
    **owner_ops("alert", one("owner_id", alert), uploader=Role.helper, reader=Role.county),
    # The catalogue is every union's to buy from: no product is outside a buyer's or approver's view.
    **owner_ops(
        "product", one("owner_id", _product), uploader=Role.supplier, reader=Role.county, where=SUPPLIER,
        readers_where={**SUPPLIER, Role.union_buyer: (), Role.union_approver: ()},
    ),
    **owner_ops(
        "order", one("owner_id", _shipped), uploader=Role.union_buyer, reader=Role.union_buyer, where=ORDER,
        admin_reads=False,
    ),
    "GetPhoto": Op(one("photo_id", _case_photo), Role.farmer, spots=CASE, admin_acts=True),
    # No token: the signature is the credential, so everybody asks for another photo with it.
    "ServePhoto": Op(_link, Role.farmer, spots=PERSONAL),
}
