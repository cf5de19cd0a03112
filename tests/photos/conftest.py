"""Real pictures made with Pillow (with EXIF and GPS), owners to attach them to, and the worker's
photo job run directly with a ctx built by workers.settings.startup."""

from __future__ import annotations

import io
import random
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from PIL import ExifTags, Image, ImageDraw

from backend.auth import Principal
from backend.photos.storage import storage_for
from backend.settings import Settings
from schemas.base import Role
from tests.factories import COUNTY_A, COUNTY_B, User, World, token_for
from workers.photos import photos_process
from workers.settings import shutdown, startup

GPS_NANNING = (22.8170, 108.3665)


def scene(seed: int, size: tuple[int, int] = (1200, 900)) -> Image.Image:
    """A photo-like picture: a gradient sky and random shapes; different seeds look different."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(size[0] // 12, size[0] // 3), rng.randrange(size[1] // 12, size[1] // 3)
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + w, y + h), fill=colour)
    return image


def exif_block(
    *,
    orientation: int | None = None,
    gps: tuple[float, float] | None = None,
    taken: str | None = None,
    offset: str | None = None,
    make: str | None = None,
    model: str | None = None,
) -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if make:
        exif[ExifTags.Base.Make] = make
    if model:
        exif[ExifTags.Base.Model] = model
    if taken:
        details = exif.get_ifd(ExifTags.IFD.Exif)
        details[ExifTags.Base.DateTimeOriginal] = taken
        if offset:
            details[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps:
        ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        for (ref_tag, value_tag), value, refs in (
            ((ExifTags.GPS.GPSLatitudeRef, ExifTags.GPS.GPSLatitude), gps[0], "NS"),
            ((ExifTags.GPS.GPSLongitudeRef, ExifTags.GPS.GPSLongitude), gps[1], "EW"),
        ):
            degrees = abs(value)
            minutes = (degrees - int(degrees)) * 60
            seconds = (minutes - int(minutes)) * 60
            ifd[ref_tag] = refs[0] if value >= 0 else refs[1]
            ifd[value_tag] = (float(int(degrees)), float(int(minutes)), round(seconds, 4))
    return exif.tobytes()


def encode(image: Image.Image, fmt: str = "JPEG", *, exif: bytes | None = None, quality: int = 90, **options: Any) -> bytes:
    out = io.BytesIO()
    if exif:
        options["exif"] = exif
    if fmt in ("JPEG", "WEBP", "HEIF"):
        options["quality"] = quality
    image.save(out, fmt, **options)
    return out.getvalue()


def phone_photo(seed: int = 1, fmt: str = "JPEG", **exif: Any) -> bytes:
    """A photo as a phone sends it: EXIF with time, place and device unless told otherwise."""
    exif.setdefault("gps", GPS_NANNING)
    exif.setdefault("taken", "2024:05:01 10:20:30")
    exif.setdefault("make", "HUAWEI")
    exif.setdefault("model", "Mate 60")
    return encode(scene(seed), fmt, exif=exif_block(**exif))


@dataclass
class Owners:
    world: World
    application_id: int  # household a1a's case, submitted
    other_county_application_id: int  # household b1a's case
    product_id: int
    supplier: User
    other_supplier: User


async def make_application(
    conn: asyncpg.Connection, household_id: int, created_by: int, state: str = "verification"
) -> int:
    """A case of the household: submitted (staff work it) unless told otherwise."""
    return await conn.fetchval(
        "INSERT INTO applications (household_id, source, state, created_by, discovered_at) "
        "VALUES ($1, 'self_report', $3, $2, CASE WHEN $3 = 'draft' THEN NULL ELSE now() END) RETURNING id",
        household_id,
        created_by,
        state,
    )


async def earlier_case(pool: asyncpg.Pool, owners: Owners) -> int:
    """Another, already decided, case of household a1a (the one in `owners` is still open)."""
    return await pool.fetchval(
        "INSERT INTO applications (household_id, source, state, created_by, discovered_at, decided_at) "
        "VALUES ($1, 'cadre_screening', 'approved', $2, now(), now()) RETURNING id",
        owners.world.households["a1a"].id,
        owners.world.user(Role.helper).id,
    )


async def make_supplier(conn: asyncpg.Connection, settings: Settings, county: str, credit_code: str) -> User:
    supplier_id = await conn.fetchval(
        "INSERT INTO suppliers (name, credit_code, county_code) VALUES ('合作社', $1, $2) RETURNING id",
        credit_code,
        county,
    )
    user_id = await conn.fetchval(
        "INSERT INTO users (role, username, supplier_id) VALUES ('supplier', $1, $2) RETURNING id",
        f"supplier-{supplier_id}",
        supplier_id,
    )
    principal = Principal(user_id=user_id, role=Role.supplier, supplier_id=supplier_id)
    return User(user_id, Role.supplier, principal, token_for(settings, principal))


@pytest.fixture
async def owners(world: World, pool: asyncpg.Pool, settings: Settings) -> Owners:
    assert world.farmer is not None
    async with pool.acquire() as conn:
        application_id = await make_application(conn, world.households["a1a"].id, world.farmer.id)
        other = await make_application(conn, world.households["b1a"].id, world.other_county[Role.helper].id)
        supplier = await make_supplier(conn, settings, COUNTY_A, "91450102MA5K000001")
        other_supplier = await make_supplier(conn, settings, COUNTY_B, "91450103MA5K000002")
        product_id = await conn.fetchval(
            "INSERT INTO products (supplier_id, name, category, unit, price_fen, stock, origin_county_code) "
            "VALUES ($1, '百香果', 'fruit', '箱', 5800, 100, $2) RETURNING id",
            supplier.principal.supplier_id,
            COUNTY_A,
        )
    return Owners(world, application_id, other, product_id, supplier, other_supplier)


@pytest.fixture(autouse=True)
def empty_photo_storage(settings: Settings) -> None:
    """Every test starts with no stored photos, as it starts with empty tables."""
    shutil.rmtree(settings.data_path / "photos", ignore_errors=True)


@pytest.fixture(scope="session")
async def worker_ctx(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    ctx: dict[str, Any] = {"settings": settings}
    await startup(ctx)
    yield ctx
    await shutdown(ctx)


@pytest.fixture
def process(worker_ctx: dict[str, Any], settings: Settings):  # type: ignore[no-untyped-def]
    """Runs the worker's photo job for one photo, as the worker would."""

    async def run(photo_id: int) -> str:
        return await photos_process(worker_ctx, photo_id)

    return run


@pytest.fixture
def storage(settings: Settings):  # type: ignore[no-untyped-def]
    return storage_for(settings)


def upload_files(data: bytes, filename: str = "photo.jpg", **fields: str) -> dict[str, Any]:
    return {"files": {"file": (filename, data, "application/octet-stream")}, "data": fields}

