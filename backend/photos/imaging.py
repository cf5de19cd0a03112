"""Pillow work, synchronous (call it in a thread): check an upload, read its EXIF, make the served
derivatives and the perceptual hash.

`inspect` runs inside the request and is cheap: it reads headers and EXIF and proves the file is
complete. `make_derivatives` runs in the worker and decodes the picture once.
"""

from __future__ import annotations

import io
import mmap
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pillow_heif
from PIL import ExifTags, Image, UnidentifiedImageError

from backend.photos import errors, rules
from schemas.photos import PhotoExif

pillow_heif.register_heif_opener()
Image.MAX_IMAGE_PIXELS = rules.MAX_PIXELS

# After DCT scaling the display step is a few per cent (2000 → 1920 px for 12 MP), where Pillow's
# antialiased bilinear looks like bicubic and costs two thirds (29 vs 44 ms, bench/photos.py).
DISPLAY_RESAMPLE = Image.Resampling.BILINEAR
THUMB_RESAMPLE = Image.Resampling.BICUBIC
# The display is 6× the thumbnail, so the thumbnail is a 6 × 6 area average (`reduce`) with no
# filter pass after it: 1.9 vs 5.6 ms, and after the JPEG encode it is within 0.1 dB of the
# bicubic one (bench/photos.py). Other sizes reduce by the whole part and filter the rest.
THUMB_REDUCING_GAP = 1.0

_JPEG_SOS = 0xDA
_JPEG_EOI = b"\xff\xd9"
# Markers without a length field: TEM, RST0–7, SOI, EOI.
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8), 0xD8, 0xD9}


@dataclass(frozen=True)
class Inspection:
    format: rules.ImageFormat
    width: int  # as displayed, orientation applied
    height: int
    exif: PhotoExif


@dataclass(frozen=True)
class Derivatives:
    display_jpeg: bytes
    thumb_jpeg: bytes
    dhash_turns: tuple[int, ...]  # rules.DHASH_TURNS order: the picture as displayed first
    width: int
    height: int


def open_image(source: Path | BinaryIO) -> Image.Image:
    """Opens by content (never by name) for the accepted formats; refuses bombs.

    Pillow warns between MAX_PIXELS and twice that and raises above; both are refusals here.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=rules.PILLOW_DECODERS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise errors.PhotoPixelsTooMany() from None
    except UnidentifiedImageError:
        raise errors.PhotoFormatUnsupported() from None
    except (OSError, SyntaxError, ValueError, struct.error):
        raise errors.PhotoDamaged() from None
    if image.width * image.height > rules.MAX_PIXELS:  # exact, whatever the warning filters say
        image.close()
        raise errors.PhotoPixelsTooMany()
    return image


def inspect(path: Path) -> Inspection:
    """Format, displayed size and EXIF of an upload; raises a PhotoDamaged/… error to refuse it."""
    with open_image(path) as image:
        image_format = rules.PILLOW_FORMATS[image.format or ""]
        try:
            exif = read_exif(image)
            if image_format is rules.ImageFormat.jpeg:
                _check_jpeg_complete(path)
            else:
                image.load()  # PNG/WebP/HEIF: decoding is the only reliable completeness check
        except (OSError, SyntaxError, ValueError, struct.error):
            raise errors.PhotoDamaged() from None
        width, height = rules.oriented_size(image.width, image.height, _pending_orientation(image, exif))
    return Inspection(format=image_format, width=width, height=height, exif=exif)


def read_exif(image: Image.Image) -> PhotoExif:
    exif = image.getexif()
    details = exif.get_ifd(ExifTags.IFD.Exif)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    taken_at, has_offset = rules.exif_datetime(
        details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime),
        details.get(ExifTags.Base.OffsetTimeOriginal),
    )
    latitude = rules.gps_degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), 90)
    longitude = rules.gps_degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), 180)
    if latitude is None or longitude is None:
        latitude = longitude = None
    # pillow-heif has already turned HEIF pictures upright and keeps what the camera said here.
    orientation = image.info.get("original_orientation", exif.get(ExifTags.Base.Orientation))
    return PhotoExif(
        taken_at=taken_at,
        taken_at_has_offset=has_offset,
        latitude=latitude,
        longitude=longitude,
        orientation=orientation if orientation in range(1, 9) else None,
        device_make=rules.exif_text(exif.get(ExifTags.Base.Make)),
        device_model=rules.exif_text(exif.get(ExifTags.Base.Model)),
    )


def _pending_orientation(image: Image.Image, exif: PhotoExif) -> int | None:
    """The orientation still to apply to the decoded pixels (HEIF arrives already upright)."""
    return None if "original_orientation" in image.info else exif.orientation


def _check_jpeg_complete(path: Path) -> None:
    """A JPEG is complete when its segments fit the file and an EOI marker follows the first scan.

    Scan data cannot contain FF D9 (an FF there is always followed by 00 or a restart marker), so
    this proves a phone's upload was not cut off without decoding 12 MP.
    """
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        position = 2  # after SOI
        while True:
            while position < len(data) and data[position] == 0xFF and data[position + 1 : position + 2] == b"\xff":
                position += 1  # fill bytes
            if position + 2 > len(data) or data[position] != 0xFF:
                raise OSError("JPEG segment structure broken")
            marker = data[position + 1]
            if marker in _JPEG_STANDALONE:
                position += 2
                continue
            if position + 4 > len(data):
                raise OSError("JPEG truncated in a segment header")
            (length,) = struct.unpack(">H", data[position + 2 : position + 4])
            if marker == _JPEG_SOS:
                if data.rfind(_JPEG_EOI, position + 2 + length) < 0:  # from the end: found at once
                    raise OSError("JPEG truncated: no end of image")
                return
            position += 2 + length


def make_derivatives(original: bytes, *, draft: bool = True) -> Derivatives:
    """Display image and thumbnail as fresh JPEGs (no EXIF, ICC, XMP or comment: nothing but
    pixels), upright, and the dHash of the displayed picture. With `draft`, large JPEGs are decoded
    straight at the smallest DCT scale that still covers the display size."""
    with open_image(io.BytesIO(original)) as image:
        orientation = _pending_orientation(image, read_exif(image))
        if draft and image.format in ("JPEG", "MPO"):
            image.draft("RGB", rules.fit_within(image.width, image.height, rules.DISPLAY_LONG_SIDE_PX))
        try:
            pixels = _flatten(image)
        except (OSError, SyntaxError, ValueError, struct.error):
            raise errors.PhotoDamaged() from None  # complete, but broken inside the picture data
        display = _shrink(pixels, rules.DISPLAY_LONG_SIDE_PX, DISPLAY_RESAMPLE)
        method = rules.ORIENTATION_TRANSPOSE.get(orientation or 1)
        if method is not None:  # after the shrink: a transpose costs by the pixel
            display = display.transpose(Image.Transpose[method])
        thumb = _shrink(display, rules.THUMB_LONG_SIDE_PX, THUMB_RESAMPLE, reducing_gap=THUMB_REDUCING_GAP)
        return Derivatives(
            display_jpeg=_jpeg(display),
            thumb_jpeg=_jpeg(thumb),
            dhash_turns=difference_hashes(thumb),
            width=display.width,
            height=display.height,
        )


def difference_hashes(image: Image.Image) -> tuple[int, ...]:
    """The dHash of the picture in each of rules.DHASH_TURNS. The grey picture is resampled once
    to 9 × 8 and once to 8 × 9, and the 72 pixels are turned, not the picture."""
    grey = image.convert("L")
    wide = grey.resize((rules.DHASH_WIDTH_PX, rules.DHASH_HEIGHT_PX), Image.Resampling.LANCZOS)
    tall = grey.resize((rules.DHASH_HEIGHT_PX, rules.DHASH_WIDTH_PX), Image.Resampling.LANCZOS)
    hashes = []
    for turn in rules.DHASH_TURNS:
        grid = tall if turn in rules.DHASH_TURNS_SWAPPING_SIDES else wide
        if turn is not None:
            grid = grid.transpose(Image.Transpose[turn])
        hashes.append(rules.dhash_from_pixels(grid.tobytes()))
    return tuple(hashes)


def _flatten(image: Image.Image) -> Image.Image:
    """Decoded RGB or grey pixels; transparency is laid on white as a viewer would show it."""
    image.load()
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode.startswith("I;16"):
        return image.point(lambda value: value / 256).convert("L")  # 16-bit grey PNGs
    return image.convert("RGB")


def _shrink(
    image: Image.Image, long_side: int, resample: Image.Resampling, *, reducing_gap: float = 2.0
) -> Image.Image:
    size = rules.fit_within(image.width, image.height, long_side)
    if size == image.size:
        return image
    # reducing_gap: a box reduction first when shrinking a lot, then the filter (fast, no moiré).
    return image.resize(size, resample, reducing_gap=reducing_gap)


def _jpeg(image: Image.Image) -> bytes:
    """Nothing but the pixels. Resize and transpose carry the source's `info` (EXIF, ICC profile,
    XMP, JPEG comment) along and the encoder falls back to its comment; every image here is our
    own (decoded from bytes or made by resize/transpose), so `info` is emptied in place, no copy."""
    image.info = {}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=rules.DERIVATIVE_JPEG_QUALITY)
    return out.getvalue()
