"""Photo rules as data and pure functions: limits, who may see an owner, EXIF reading, dHash."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from backend.applications import rules as case_rules
from backend.auth import Principal
from schemas.applications import CaseState
from schemas.base import Role
from schemas.photos import OwnerKind, PhotoVariant

# Limits ---------------------------------------------------------------------------------------

# Photos per owner, counting everything not failed. A case needs a handful of pictures (bill,
# house, ID card, family); more is usually the same thing photographed again.
MAX_PHOTOS_PER_OWNER = {
    OwnerKind.application: 20,
    OwnerKind.visit: 20,
    OwnerKind.product: 9,  # the mini-program product gallery shows nine
    OwnerKind.order: 9,
    OwnerKind.alert: 20,
}
# Pillow's decompression-bomb limit: a 50 MP phone (the largest in common use) stays under it;
# a 1-kB PNG that claims 100,000 × 100,000 pixels does not.
MAX_PIXELS = 60_000_000

# Derivatives ----------------------------------------------------------------------------------

DISPLAY_LONG_SIDE_PX = 1920
THUMB_LONG_SIDE_PX = 320
# Visually lossless for phone pictures at these sizes, a third of the bytes of quality 95.
DERIVATIVE_JPEG_QUALITY = 82


class ImageFormat(enum.StrEnum):
    jpeg = "jpeg"
    png = "png"
    webp = "webp"
    heif = "heif"


# The Pillow decoders an upload is tried with; HEIF comes from pillow-heif (iPhones).
PILLOW_DECODERS = ("JPEG", "PNG", "WEBP", "HEIF")
# What Pillow reports → what we store. MPO is a JPEG with extra pictures appended (portrait mode).
PILLOW_FORMATS = {
    "JPEG": ImageFormat.jpeg,
    "MPO": ImageFormat.jpeg,
    "PNG": ImageFormat.png,
    "WEBP": ImageFormat.webp,
    "HEIF": ImageFormat.heif,
}

# Reuse --------------------------------------------------------------------------------------

# dHash of 9 × 8 grey pixels: 8 comparisons per row, 8 rows.
DHASH_WIDTH_PX = 9
DHASH_HEIGHT_PX = 8
# Hamming distance at or under which two dHashes count as the same picture. A recompressed
# (quality 40), halved, turned or mirrored copy of a photo lands at 0–2 bits; unrelated photos,
# each compared in all 8 turns, at 19 or more (tests/photos/test_rules.py measures both), so 8
# flags real copies while leaving room for different scenes.
REUSE_MAX_DISTANCE_BITS = 8
# The ways a copy comes back turned: rotated by 90/180/270 degrees, mirrored, or with its EXIF
# orientation stripped and the pixels left as the sensor saw them (the 8 symmetries of a
# rectangle, as Pillow transposes). A photo's dHash is kept in each; the first is the picture as
# displayed. The turns that swap the sides are taken from the 8 × 9 grid.
DHASH_TURNS = (
    None,
    "FLIP_LEFT_RIGHT",
    "FLIP_TOP_BOTTOM",
    "ROTATE_180",
    "ROTATE_90",
    "ROTATE_270",
    "TRANSPOSE",
    "TRANSVERSE",
)
DHASH_TURNS_SWAPPING_SIDES = frozenset({"ROTATE_90", "ROTATE_270", "TRANSPOSE", "TRANSVERSE"})
# Only evidence is checked: visit and case photos reused across visits are a known abuse; a
# supplier showing the same product picture twice is normal.
REUSE_CHECKED_KINDS = (OwnerKind.application, OwnerKind.visit)

# Signed URLs ----------------------------------------------------------------------------------

SIGNED_URL_TTL_S = 5 * 60
SIGNED_URL_MAX_TTL_S = 10 * 60  # DOMAIN §11: short-lived; a link claiming longer is refused

# EXIF -----------------------------------------------------------------------------------------

# Chinese phones write local time without an offset; Asia/Shanghai is the country's only zone.
CAMERA_LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
EXIF_TEXT_MAX_CHARS = 64

# EXIF orientation value → Pillow transpose method name (as in ImageOps.exif_transpose).
ORIENTATION_TRANSPOSE = {
    2: "FLIP_LEFT_RIGHT",
    3: "ROTATE_180",
    4: "FLIP_TOP_BOTTOM",
    5: "TRANSPOSE",
    6: "ROTATE_270",
    7: "TRANSVERSE",
    8: "ROTATE_90",
}
ORIENTATIONS_SWAPPING_SIDES = frozenset({5, 6, 7, 8})


def oriented_size(width: int, height: int, orientation: int | None) -> tuple[int, int]:
    return (height, width) if orientation in ORIENTATIONS_SWAPPING_SIDES else (width, height)


def fit_within(width: int, height: int, long_side: int) -> tuple[int, int]:
    """The size scaled down (never up) so that the long side is at most `long_side`."""
    scale = long_side / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def gps_degrees(dms: Sequence[float] | None, ref: str | None, limit: float) -> float | None:
    """Degrees from EXIF (degrees, minutes, seconds) and N/S/E/W; None when absent or impossible."""
    if not dms or len(dms) != 3 or ref is None:
        return None
    try:
        degrees = float(dms[0]) + float(dms[1]) / 60 + float(dms[2]) / 3600
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    ref = ref.strip().upper()
    if ref not in ("N", "S", "E", "W") or degrees != degrees or degrees > limit:  # NaN or too big
        return None
    return -degrees if ref in ("S", "W") else degrees


def exif_datetime(text: str | None, offset: str | None) -> tuple[dt.datetime | None, bool]:
    """The instant a photo was taken, and whether the camera said which offset it meant."""
    if not text:
        return None, False
    try:
        local = dt.datetime.strptime(text.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, False
    if offset:
        try:
            zone = dt.datetime.strptime(offset.strip().rstrip("\x00"), "%z").tzinfo
            return local.replace(tzinfo=zone).astimezone(dt.UTC), True
        except ValueError:
            pass
    return local.replace(tzinfo=CAMERA_LOCAL_ZONE).astimezone(dt.UTC), False


def exif_text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()
    return cleaned[:EXIF_TEXT_MAX_CHARS] or None


def dhash_from_pixels(grey: Sequence[int]) -> int:
    """64-bit difference hash from 9 × 8 grey pixels (row-major): a bit is set where a pixel is
    brighter than its right neighbour. Returned as a signed 64-bit integer (PostgreSQL bigint)."""
    if len(grey) != DHASH_WIDTH_PX * DHASH_HEIGHT_PX:
        raise ValueError("dHash needs 9 × 8 pixels")
    bits = 0
    for row in range(DHASH_HEIGHT_PX):
        line = grey[row * DHASH_WIDTH_PX : (row + 1) * DHASH_WIDTH_PX]
        for left, right in zip(line, line[1:], strict=False):
            bits = (bits << 1) | (left > right)
    return bits - (1 << 64) if bits >= 1 << 63 else bits


def hamming_distance(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def reuse_distance_bits(turns: Sequence[int], other: int) -> int:
    """How far a photo (its dHash in every turn) is from another photo's dHash as displayed: the
    nearest turn. queries._REUSE_CANDIDATES computes the same in SQL."""
    return min(hamming_distance(turn, other) for turn in turns)


# Storage keys -----------------------------------------------------------------------------------


def original_key(sha256: bytes) -> str:
    return f"originals/{sha256.hex()}"


def variant_key(sha256: bytes, variant: PhotoVariant) -> str:
    return f"{variant.value}/{sha256.hex()}.jpg"


# Who may see and who may attach ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnerScope:
    """What an owner's scope is made of; a resolver fills in what applies to its kind."""

    household_id: int | None = None
    region_code: str | None = None  # village of a household's owner, origin county of a product
    supplier_id: int | None = None
    union_id: int | None = None
    state: str | None = None  # the owner's workflow state, where who may read it depends on it
    user_ids: list[int | None] | None = None  # people the owner names (a visit's visitor and helper)


Check = Callable[[Principal, OwnerScope], bool]


def own_supplier(principal: Principal, owner: OwnerScope) -> bool:
    return owner.supplier_id is not None and principal.supplier_id == owner.supplier_id


def covers_owner_region(principal: Principal, owner: OwnerScope) -> bool:
    return owner.region_code is not None and principal.covers_region(owner.region_code)


def anyone(principal: Principal, owner: OwnerScope) -> bool:
    return True


def reads_case(principal: Principal, owner: OwnerScope) -> bool:
    """Whoever may read the case itself, by the case's own rule (a draft: its farmer only)."""
    if owner.household_id is None or owner.region_code is None or owner.state is None:
        return False
    return case_rules.may_read_case(principal, owner.household_id, owner.region_code, CaseState(owner.state))


# The catalogue (DOMAIN §8): its supplier; every union, who buy from it; region staff over its
# origin county; admins. Not line departments, whose work is their own data batches.
PRODUCT_READERS: dict[Role, Check] = {
    Role.supplier: own_supplier,
    Role.union_buyer: anyone,
    Role.union_approver: anyone,
    **{role: covers_owner_region for role in case_rules.STAFF_READERS},
}


def reads_product(principal: Principal, owner: OwnerScope) -> bool:
    check = PRODUCT_READERS.get(principal.role)
    return check is not None and check(principal, owner)


def own_union(principal: Principal, owner: OwnerScope) -> bool:
    return owner.union_id is not None and principal.union_id == owner.union_id


# An order's acceptance photos (DOMAIN §8): the union's buyer and approver, and the supplier.
ORDER_READERS: dict[Role, Check] = {
    Role.union_buyer: own_union,
    Role.union_approver: own_union,
    Role.supplier: own_supplier,
}


def reads_order(principal: Principal, owner: OwnerScope) -> bool:
    check = ORDER_READERS.get(principal.role)
    return check is not None and check(principal, owner)


# Roles that review evidence and so see EXIF (place, time, device) and the reuse flag.
REVIEWER_ROLES = case_rules.STAFF_READERS
