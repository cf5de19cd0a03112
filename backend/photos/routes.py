"""Photo endpoints: upload and list per owner kind, read one photo, serve signed derivatives."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, QueryParameter

from backend.deps import PUBLIC, Caller, Conn, LimiterDep, PathId, RedisDep, SettingsDep, StorageDep
from backend.errors import responses
from backend.http import LOCATION, created
from backend.openapi import multipart_form
from backend.photos import errors as photos_errors
from backend.photos import rules, service
from backend.ratelimit.rules import Action as Limited
from schemas.base import INT64_MAX
from schemas.photos import OwnerKind, Photo, PhotoList

# URL segment of each owner kind: POST /api/applications/{id}/photos, …
OWNER_PATHS = {
    OwnerKind.application: "applications",
    OwnerKind.visit: "visits",
    OwnerKind.product: "products",
    OwnerKind.order: "orders",
    OwnerKind.alert: "alerts",
}


SAME_PHOTO_AGAIN = ResponseSpec(Photo, description="同一张照片再次上传：返回先前那张，不存第二份")


def _owner_routes(kind: OwnerKind) -> list[Any]:
    path = f"/{OWNER_PATHS[kind]}/{{owner_id:int}}/photos"
    title = kind.value.title()

    # The body is streamed by the service with its own cap, hence no framework limit here.
    @post(
        path,
        operation_id=f"Upload{title}Photo",
        request_max_body_size=None,
        name=f"photos-upload-{kind}",
        status_code=201,
        response_headers=LOCATION,
        responses={200: SAME_PHOTO_AGAIN} | responses(*photos_errors.UPLOAD_REFUSALS),
        operation_class=multipart_form("照片（JPEG、PNG、HEIC 或 WebP）", note="说明（可选，最多 200 字）"),
    )
    async def upload(
        owner_id: PathId,
        request: Request[Any, Any, Any],
        conn: Conn,
        redis: RedisDep,
        storage: StorageDep,
        settings: SettingsDep,
        principal: Caller,
        limiter: LimiterDep,
    ) -> Response[Photo]:
        await limiter.check(Limited.photo_upload, principal.user_id)
        photo, new = await service.upload_photo(
            conn,
            redis,
            storage,
            settings,
            principal,
            kind,
            owner_id,
            request.stream(),
            request.headers.get("content-type", ""),
            request.content_length,
        )
        return created(photo, f"/api/photos/{photo.id}") if new else Response(photo, status_code=200)

    @get(
        path,
        operation_id=f"List{title}Photos",
        name=f"photos-list-{kind}",
        responses=responses(photos_errors.PhotoOwnerNotFound, photos_errors.PhotoOwnerKindNotReady),
    )
    async def list_photos(
        owner_id: PathId, conn: Conn, settings: SettingsDep, principal: Caller
    ) -> PhotoList:
        return await service.list_photos(conn, settings, principal, kind, owner_id)

    return [upload, list_photos]


@get(
    "/photos/{photo_id:int}",
    operation_id="GetPhoto",
    responses=responses(
        photos_errors.PhotoNotFound, photos_errors.PhotoOwnerNotFound, photos_errors.PhotoOwnerKindNotReady
    ),
)
async def get_photo(photo_id: PathId, conn: Conn, settings: SettingsDep, principal: Caller) -> Photo:
    return await service.get_photo(conn, settings, principal, photo_id)


# No Authorization header: the signature is the credential (an <img src> cannot send headers).
@get(
    "/photos/{photo_id:int}/{variant:str}",
    operation_id="ServePhoto",
    responses=responses(
        photos_errors.PhotoLinkExpired,
        photos_errors.PhotoLinkInvalid,
        photos_errors.PhotoNotFound,
        photos_errors.PhotoStorageUnavailable,
    ),
    dependencies=PUBLIC,
)
async def serve_photo(
    photo_id: PathId,
    variant: FromPath[str],
    conn: Conn,
    storage: StorageDep,
    settings: SettingsDep,
    exp: Annotated[int, QueryParameter(ge=0, le=INT64_MAX)] = 0,  # Unix time the link expires
    sig: FromQuery[str] = "",
) -> Response[bytes]:
    content = await service.read_variant(conn, storage, settings, photo_id, variant, exp, sig)
    return Response(
        content,
        media_type="image/jpeg",
        headers={
            "Cache-Control": f"private, max-age={rules.SIGNED_URL_TTL_S}",
            "X-Content-Type-Options": "nosniff",
        },
    )


router = Router(
    path="/api",
    route_handlers=[*(r for kind in OwnerKind for r in _owner_routes(kind)), get_photo, serve_photo],
    tags=["photos"],
)
