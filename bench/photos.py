"""Photo pipeline throughput: 12-megapixel phone JPEGs through everything a photo goes through
except the network and the database — spool to a file while hashing (SHA-256), inspect (format,
EXIF, completeness), decode, display image and thumbnail without EXIF, orientation, dHash, and the
three writes to local storage — one photo after another on one core, with and without JPEG draft
mode. Figures are CPU time, so they are per core.

    .venv/bin/python bench/photos.py [--photos 24]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import statistics
import tempfile
import time
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw, ImageFilter

from backend.photos import imaging, rules
from backend.photos.storage import LocalStorage
from schemas.photos import PhotoVariant

WIDTH_PX, HEIGHT_PX = 4000, 3000  # 12 MP, 4:3 like most phone main cameras
CHUNK_BYTES = 64 * 1024  # what a server hands over per read


def phone_jpeg(seed: int) -> bytes:
    """A 12 MP JPEG with a phone's EXIF and a phone photo's detail and sensor noise (≈3–4 MB)."""
    rng = random.Random(seed)
    picture = Image.linear_gradient("L").resize((WIDTH_PX, HEIGHT_PX)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    for _ in range(300):
        x, y = rng.randrange(WIDTH_PX), rng.randrange(HEIGHT_PX)
        w, h = rng.randrange(40, 900), rng.randrange(40, 700)
        draw.rectangle((x, y, x + w, y + h), fill=tuple(rng.randrange(256) for _ in range(3)))
    picture = picture.filter(ImageFilter.GaussianBlur(2))
    noise = Image.effect_noise((WIDTH_PX, HEIGHT_PX), 24).convert("RGB")
    picture = Image.blend(picture, noise, 0.18)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "HUAWEI", "Mate 60"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (22.0, 49.0, 1.2)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", (108.0, 21.0, 59.4)
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:05:01 10:20:30"
    path = Path(tempfile.mkstemp(suffix=".jpg")[1])
    picture.save(path, "JPEG", quality=92, exif=exif.tobytes())
    data = path.read_bytes()
    path.unlink()
    return data


async def one_photo(data: bytes, storage: LocalStorage, spool_dir: Path, *, draft: bool) -> None:
    digest = hashlib.sha256()
    spool = spool_dir / "upload.part"
    with spool.open("wb") as out:
        for start in range(0, len(data), CHUNK_BYTES):
            chunk = data[start : start + CHUNK_BYTES]
            digest.update(chunk)
            out.write(chunk)
    sha256 = digest.digest()
    imaging.inspect(spool)
    await storage.put_file(rules.original_key(sha256), spool)
    made = imaging.make_derivatives(await storage.get_bytes(rules.original_key(sha256)), draft=draft)
    await storage.put_bytes(rules.variant_key(sha256, PhotoVariant.display), made.display_jpeg)
    await storage.put_bytes(rules.variant_key(sha256, PhotoVariant.thumb), made.thumb_jpeg)


async def run(photos: list[bytes], *, draft: bool) -> list[float]:
    with tempfile.TemporaryDirectory() as folder:
        storage = LocalStorage(Path(folder) / "photos")
        cpu_seconds = []
        for data in photos:
            started = time.process_time()  # CPU time: the figure is per core even on a busy machine
            await one_photo(data, storage, Path(folder), draft=draft)
            cpu_seconds.append(time.process_time() - started)
        return cpu_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24)
    args = parser.parse_args()
    distinct = [phone_jpeg(seed) for seed in range(4)]
    photos = [distinct[i % len(distinct)] for i in range(args.photos)]
    mean_mb = statistics.mean(len(p) for p in distinct) / 1e6
    print(f"{args.photos} photos, {WIDTH_PX}×{HEIGHT_PX} JPEG, mean {mean_mb:.1f} MB, one core")
    asyncio.run(run(photos[:2], draft=True))  # warm up (imports, allocator)
    for draft in (True, False):
        started = time.perf_counter()
        cpu_seconds = asyncio.run(run(photos, draft=draft))
        wall_s = time.perf_counter() - started
        per_photo_ms = statistics.mean(cpu_seconds) * 1000
        p95_ms = sorted(cpu_seconds)[int(len(cpu_seconds) * 0.95) - 1] * 1000
        print(
            f"draft {'on ' if draft else 'off'}: {1000 / per_photo_ms:5.1f} photos/s/core  "
            f"(CPU per photo: mean {per_photo_ms:.0f} ms, p95 {p95_ms:.0f} ms; wall {wall_s:.1f} s)"
        )


if __name__ == "__main__":
    main()
