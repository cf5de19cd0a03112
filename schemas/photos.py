"""Photo evidence: upload form fields, the photo as the API shows it, signed links."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

from msgspec import Meta

from schemas.base import BaseStruct


class OwnerKind(enum.StrEnum):
    """What a photo is attached to (the URL segment is the plural)."""

    application = "application"  # a farmer's hospital bill, a collapsed wall
    visit = "visit"  # a helper's home visit
    product = "product"  # a supplier's product
    order = "order"  # a union's acceptance of an order
    alert = "alert"  # a helper's evidence when verifying a department alert


class PhotoStatus(enum.StrEnum):
    processing = "processing"  # accepted; display image and thumbnail not made yet
    ready = "ready"
    failed = "failed"  # the picture turned out to be damaged


class PhotoVariant(enum.StrEnum):
    """What may be served. The original is never served."""

    display = "display"  # long side ≤ 1920 px, no EXIF
    thumb = "thumb"  # long side ≤ 320 px, no EXIF


class PhotoForm(BaseStruct):
    """Form fields sent beside the `file` part (wx.uploadFile `formData`)."""

    note: Annotated[str, Meta(max_length=200)] = ""


class PhotoExif(BaseStruct):
    """What the camera recorded; shown to reviewing staff only."""

    taken_at: dt.datetime | None = None
    taken_at_has_offset: bool = False  # false: the camera's local time, read as Asia/Shanghai
    latitude: float | None = None
    longitude: float | None = None
    orientation: int | None = None
    device_make: str | None = None
    device_model: str | None = None


class PhotoLinks(BaseStruct):
    """Signed, short-lived URLs (relative to the API host)."""

    display_url: str
    thumb_url: str
    expires_at: dt.datetime


class PossibleReuse(BaseStruct):
    """An earlier photo by the same uploader or of the same household that looks the same."""

    photo_id: int
    distance_bits: int


class Photo(BaseStruct):
    id: int
    owner_kind: OwnerKind
    owner_id: int
    status: PhotoStatus
    format: str
    width: int
    height: int
    size_bytes: int
    created_at: dt.datetime
    note: str = ""
    ready_at: dt.datetime | None = None
    links: PhotoLinks | None = None  # when ready
    exif: PhotoExif | None = None  # staff only
    possible_reuse: PossibleReuse | None = None  # staff only
    failure: str | None = None


class PhotoList(BaseStruct):
    items: list[Photo]
