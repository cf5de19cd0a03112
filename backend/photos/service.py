"""Photo evidence: accept an upload inside the caller's scope, store it once per content, make the
served derivatives (in the worker), flag likely reuse, and serve through signed links."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import asyncpg
import msgspec
from arq.connections import ArqRedis

from backend import audit
from backend.auth import Principal, utcnow
from backend.photos import errors, imaging, queries, rules, signing
from backend.photos.owners import may_upload, may_view, resolve_owner
from backend.photos.storage import PhotoStorage, StorageUnavailable, StoredObjectMissing
from backend.queue import enqueue_after_commit
from backend.settings import Settings
from backend.uploads import ReceivedUpload, receive_upload
from schemas.photos import (
    OwnerKind,
    Photo,
    PhotoExif,
    PhotoForm,
    PhotoList,
    PhotoStatus,
    PhotoVariant,
    PossibleReuse,
)

log = logging.getLogger("fangpin.photos")

PROCESS_JOB = "photos_process"


def process_job_id(settings: Settings, photo_id: int) -> str:
    """One queued job per photo: the upload and the sweep never queue it twice."""
    return f"{settings.redis_prefix}{PROCESS_JOB}:{photo_id}"


async def _owner_in_view(conn: asyncpg.Connection, principal: Principal, kind: OwnerKind, owner_id: int) -> rules.OwnerScope:
    owner = await resolve_owner(conn, kind, owner_id)
    if not may_view(principal, kind, owner):
        raise errors.PhotoOwnerNotFound()  # out of scope looks exactly like absent
    return owner


async def upload_photo(
    conn: asyncpg.Connection,
    redis: ArqRedis,
    storage: PhotoStorage,
    settings: Settings,
    principal: Principal,
    kind: OwnerKind,
    owner_id: int,
    body: AsyncIterator[bytes],
    content_type: str,
    content_length: int | None,
) -> tuple[Photo, bool]:
    """Accepts one photo for an owner in the caller's scope; returns it and whether it is new.

    The body is refused as soon as it passes the size cap. A refused upload stores nothing. The
    same bytes sent again to the same owner return the existing photo (a phone retrying).
    """
    owner = await _owner_in_view(conn, principal, kind, owner_id)
    if not may_upload(principal, kind, owner):
        raise errors.PhotoUploadNotAllowed()
    async with receive_upload(
        body, content_type, content_length, max_file_bytes=settings.photo_max_bytes, errors=errors.UPLOAD_ERRORS,
        spool_dir=settings.upload_spool_path,
    ) as upload:
        form = _form(upload)
        inspection = await asyncio.to_thread(imaging.inspect, upload.path)
        photo_id, created, ready = await _store(conn, storage, principal, kind, owner_id, owner, upload, form, inspection)
    if not ready:
        await enqueue_after_commit(redis, PROCESS_JOB, photo_id, _job_id=process_job_id(settings, photo_id))
    return await get_photo(conn, settings, principal, photo_id), created


def _form(upload: ReceivedUpload) -> PhotoForm:
    try:
        return msgspec.convert(upload.fields, PhotoForm)
    except msgspec.ValidationError as exc:
        raise errors.PhotoFormInvalid(f"表单字段有误：{exc}") from None


async def _store(
    conn: asyncpg.Connection,
    storage: PhotoStorage,
    principal: Principal,
    kind: OwnerKind,
    owner_id: int,
    owner: rules.OwnerScope,
    upload: ReceivedUpload,
    form: PhotoForm,
    inspection: imaging.Inspection,
) -> tuple[int, bool, bool]:
    """(photo id, created, ready). One transaction; the original is written inside it, so a
    failed write leaves no row and a failed insert leaves at most unreferenced content."""
    async with conn.transaction():
        await conn.execute(queries.LOCK_OWNER, kind.value, owner_id)
        existing = await conn.fetchrow(queries.GET_OWNER_PHOTO_BY_SHA256, kind.value, owner_id, upload.sha256)
        if existing is not None:
            return existing["id"], False, existing["status"] != PhotoStatus.processing
        limit = rules.MAX_PHOTOS_PER_OWNER[kind]
        if await conn.fetchval(queries.COUNT_OWNER_PHOTOS, kind.value, owner_id) >= limit:
            raise errors.PhotoLimitReached(limit)
        if await conn.fetchval(
            queries.INSERT_BLOB,
            upload.sha256,
            inspection.format.value,
            upload.size_bytes,
            inspection.width,
            inspection.height,
        ):
            exif = inspection.exif
            await conn.execute(
                queries.INSERT_METADATA,
                upload.sha256,
                exif.taken_at,
                exif.taken_at_has_offset,
                exif.latitude,
                exif.longitude,
                exif.orientation,
                exif.device_make,
                exif.device_model,
            )
            try:
                await storage.put_file(rules.original_key(upload.sha256), upload.path)
            except StorageUnavailable:
                log.warning("photos.storage.put_failed", exc_info=True)
                raise errors.PhotoStorageUnavailable() from None
            blob = None
        else:
            blob = await conn.fetchrow(queries.GET_BLOB_STATE, upload.sha256)
            if blob["failure"] is not None:
                raise errors.PhotoDamaged()
        photo_id = await conn.fetchval(
            queries.INSERT_PHOTO,
            kind.value,
            owner_id,
            owner.household_id,
            principal.user_id,
            upload.sha256,
            upload.filename,
            form.note,
        )
        await audit.record(
            conn, principal.user_id, "photo.upload", "photo", photo_id, {"owner_kind": kind.value, "owner_id": owner_id}
        )
        ready = blob is not None and blob["processed"]
        if ready:  # the same content was processed before: nothing left to make
            await _mark_ready(conn, photo_id, principal.user_id, owner.household_id)
    return photo_id, True, ready


async def _mark_ready(conn: asyncpg.Connection, photo_id: int, uploaded_by: int, household_id: int | None) -> None:
    """Inside a transaction: the photo is ready, and reuse is flagged both ways."""
    scope_keys = [f"photos:reuse:user:{uploaded_by}"]
    if household_id is not None:
        scope_keys.append(f"photos:reuse:household:{household_id}")
    await conn.execute(queries.LOCK_REUSE_SCOPE, scope_keys)
    kinds = [k.value for k in rules.REUSE_CHECKED_KINDS]
    if await conn.fetchval(queries.MARK_READY_FLAGGING_EARLIER, photo_id, kinds, rules.REUSE_MAX_DISTANCE_BITS):
        await conn.execute(queries.FLAG_LATER_LOOKALIKES, photo_id, kinds, rules.REUSE_MAX_DISTANCE_BITS)


# Reading ------------------------------------------------------------------------------------


def _photo_view(row: asyncpg.Record, principal: Principal, settings: Settings) -> Photo:
    status = PhotoStatus(row["status"])
    reviewer = principal.role in rules.REVIEWER_ROLES
    return Photo(
        id=row["id"],
        owner_kind=OwnerKind(row["owner_kind"]),
        owner_id=row["owner_id"],
        status=status,
        format=row["format"],
        width=row["width"],
        height=row["height"],
        size_bytes=row["size_bytes"],
        created_at=row["created_at"],
        note=row["note"],
        ready_at=row["ready_at"],
        links=signing.links_for(settings.key_bytes("url_signing_key"), row["id"], utcnow())
        if status is PhotoStatus.ready
        else None,
        exif=PhotoExif(
            taken_at=row["taken_at"],
            taken_at_has_offset=row["taken_at_has_offset"] or False,
            latitude=row["latitude"],
            longitude=row["longitude"],
            orientation=row["orientation"],
            device_make=row["device_make"],
            device_model=row["device_model"],
        )
        if reviewer
        else None,
        possible_reuse=PossibleReuse(photo_id=row["possible_reuse_of"], distance_bits=row["reuse_distance"])
        if reviewer and row["possible_reuse_of"] is not None
        else None,
        failure=row["failure"] if status is PhotoStatus.failed else None,
    )


async def get_photo(conn: asyncpg.Connection, settings: Settings, principal: Principal, photo_id: int) -> Photo:
    """The photo with fresh signed links when ready; PhotoNotFound outside the caller's scope."""
    row = await conn.fetchrow(queries.GET_PHOTO, photo_id)
    if row is None:
        raise errors.PhotoNotFound()
    kind = OwnerKind(row["owner_kind"])
    try:
        await _owner_in_view(conn, principal, kind, row["owner_id"])
    except (errors.PhotoOwnerNotFound, errors.PhotoOwnerKindNotReady):
        raise errors.PhotoNotFound() from None
    return _photo_view(row, principal, settings)


async def list_photos(
    conn: asyncpg.Connection, settings: Settings, principal: Principal, kind: OwnerKind, owner_id: int
) -> PhotoList:
    await _owner_in_view(conn, principal, kind, owner_id)
    rows = await conn.fetch(queries.LIST_PHOTOS_FOR_OWNER, kind.value, owner_id)
    return PhotoList(items=[_photo_view(r, principal, settings) for r in rows])


async def read_variant(
    conn: asyncpg.Connection,
    storage: PhotoStorage,
    settings: Settings,
    photo_id: int,
    variant: str,
    expires: int,
    signature: str,
) -> bytes:
    """The JPEG bytes of a display image or thumbnail for a valid, unexpired signed link."""
    signing.check_signature(settings.key_bytes("url_signing_key"), photo_id, variant, expires, signature, utcnow())
    if variant not in PhotoVariant.__members__:
        raise errors.PhotoNotFound()  # e.g. "original": never served, whatever the signature
    sha256 = await conn.fetchval(queries.GET_SERVABLE_PHOTO, photo_id)
    if sha256 is None:
        raise errors.PhotoNotFound()
    try:
        return await storage.get_bytes(rules.variant_key(sha256, PhotoVariant(variant)))
    except StoredObjectMissing:
        log.error("photos.serve.missing", extra={"photo_id": photo_id, "variant": variant})
        raise errors.PhotoNotFound() from None
    except StorageUnavailable:
        raise errors.PhotoStorageUnavailable() from None


# Processing (worker) ---------------------------------------------------------------------------


async def process_photo(pool: asyncpg.Pool, storage: PhotoStorage, photo_id: int, *, draft: bool = True) -> str:
    """Makes the derivatives and hash if this content has none yet, then marks the photo ready.

    Safe to run twice or concurrently. Takes the pool, not a connection: the picture work in
    between holds none. Returns what happened (for logs and tests).
    """
    async with pool.acquire() as conn:
        photo = await conn.fetchrow(queries.GET_PHOTO_FOR_PROCESSING, photo_id)
    if photo is None:
        log.info("photos.process.not_found", extra={"photo_id": photo_id})
        return "not_found"
    if photo["status"] != PhotoStatus.processing:
        return photo["status"]
    sha256 = photo["sha256"]
    if not photo["processed"]:
        original = await storage.get_bytes(rules.original_key(sha256))
        try:
            made = await asyncio.to_thread(imaging.make_derivatives, original, draft=draft)
        except errors.DomainError as exc:  # decodes cleanly at upload, broken further in
            async with pool.acquire() as conn:
                await conn.execute(queries.MARK_BLOB_FAILED, sha256, exc.message)
            log.warning("photos.process.damaged", extra={"photo_id": photo_id})
            return PhotoStatus.failed.value
        await storage.put_bytes(rules.variant_key(sha256, PhotoVariant.display), made.display_jpeg)
        await storage.put_bytes(rules.variant_key(sha256, PhotoVariant.thumb), made.thumb_jpeg)
        async with pool.acquire() as conn:
            await conn.execute(queries.MARK_BLOB_PROCESSED, sha256, list(made.dhash_turns))
    async with pool.acquire() as conn, conn.transaction():
        await _mark_ready(conn, photo_id, photo["uploaded_by"], photo["household_id"])
    return PhotoStatus.ready.value


async def enqueue_stuck_photos(
    pool: asyncpg.Pool, redis: ArqRedis, settings: Settings, *, older_than_s: int, limit: int
) -> int:
    """Queues photos still processing after `older_than_s` (their job was never queued: Redis was
    down at upload, or the job was lost). Returns how many were found."""
    ids = [r["id"] for r in await pool.fetch(queries.LIST_STUCK_PHOTO_IDS, older_than_s, limit)]
    for photo_id in ids:
        await enqueue_after_commit(redis, PROCESS_JOB, photo_id, _job_id=process_job_id(settings, photo_id))
    return len(ids)
