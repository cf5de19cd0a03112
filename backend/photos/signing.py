"""Short-lived signed photo URLs: `/api/photos/{id}/{variant}?exp=…&sig=…`, where `sig` is
HMAC-SHA256 over (photo id, variant, exp) with the URL signing key. The signature is the only
credential the serving route asks for, so it is handed out only after a scope check."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from backend.photos import errors, rules
from schemas.photos import PhotoLinks, PhotoVariant


def _signature(key: bytes, photo_id: int, variant: str, expires: int) -> str:
    message = f"photo:{photo_id}:{variant}:{expires}".encode()
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).rstrip(b"=").decode()


def signed_path(key: bytes, photo_id: int, variant: PhotoVariant, expires: int) -> str:
    return f"/api/photos/{photo_id}/{variant.value}?exp={expires}&sig={_signature(key, photo_id, variant.value, expires)}"


def links_for(key: bytes, photo_id: int, now: dt.datetime) -> PhotoLinks:
    expires = int(now.timestamp()) + rules.SIGNED_URL_TTL_S
    return PhotoLinks(
        display_url=signed_path(key, photo_id, PhotoVariant.display, expires),
        thumb_url=signed_path(key, photo_id, PhotoVariant.thumb, expires),
        expires_at=dt.datetime.fromtimestamp(expires, dt.UTC),
    )


def check_signature(key: bytes, photo_id: int, variant: str, expires: int, signature: str, now: dt.datetime) -> None:
    """Raises PhotoLinkInvalid for an altered link, PhotoLinkExpired for an old one."""
    expected = _signature(key, photo_id, variant, expires)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise errors.PhotoLinkInvalid()
    remaining_s = expires - now.timestamp()
    if remaining_s <= 0:
        raise errors.PhotoLinkExpired()
    if remaining_s > rules.SIGNED_URL_MAX_TTL_S:
        raise errors.PhotoLinkInvalid()  # we never sign that far ahead: a leaked key or a clock error
