"""Photo pipeline throughput: 12-megapixel phone JPEGs through everything a photo goes through
except the network and the database — spool to a file while hashing (SHA-256), inspect (format,
EXIF, completeness), decode, display image and thumbnail without EXIF, orientation, dHash, and the
three writes to local storage — one photo after another on one core, with and without JPEG draft
mode. Figures are CPU time, so they are per core. Then where the CPU goes (Pillow's C calls
summed under a profiler) and how fast decoding alone is at the smallest DCT scale, which bounds
what any pipeline built on Pillow can do with the same bytes.

    .venv/bin/python bench/photos.py [--photos 24]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import io
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


async def one_photo(data: bytes, storage: LocalStorage, spool_dir: Path, *, draft: bool) -> float:
    """Returns the CPU seconds of the picture work (the rest is spooling, hashing and storage)."""
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
    original = await storage.get_bytes(rules.original_key(sha256))
    started = time.process_time()
    made = imaging.make_derivatives(original, draft=draft)
    pictures_s = time.process_time() - started
    await storage.put_bytes(rules.variant_key(sha256, PhotoVariant.display), made.display_jpeg)
    await storage.put_bytes(rules.variant_key(sha256, PhotoVariant.thumb), made.thumb_jpeg)
    return pictures_s


async def run(photos: list[bytes], *, draft: bool) -> list[tuple[float, float]]:
    """CPU seconds per photo: (all of it, the picture work)."""
    with tempfile.TemporaryDirectory() as folder:
        storage = LocalStorage(Path(folder) / "photos")
        cpu_seconds = []
        for data in photos:
            started = time.process_time()  # CPU time: the figure is per core even on a busy machine
            pictures_s = await one_photo(data, storage, Path(folder), draft=draft)
            cpu_seconds.append((time.process_time() - started, pictures_s))
        return cpu_seconds


# Pillow's C entry points → the stage they are (tottime under cProfile: the C work itself).
STAGES = {
    "decode": "JPEG decoding at draft scale",
    "resize": "resampling (display, dHash)",
    "reduce": "thumbnail (area average)",
    "transpose": "orientation",
    "encode": "JPEG encoding (display, thumbnail)",
}


def stage_ms(photos: list[bytes]) -> dict[str, float]:
    """CPU ms per photo in each of Pillow's C stages (draft on); the profiler's own cost falls on
    the Python calls around them, not on these."""
    profile = cProfile.Profile(time.process_time)  # CPU time, like the figures above
    profile.runcall(asyncio.run, run(photos, draft=True))
    per_stage = dict.fromkeys(STAGES, 0.0)
    for entry in profile.getstats():  # C methods show as "<method 'decode' of 'ImagingDecoder' objects>"
        for stage in STAGES:
            if str(entry.code).startswith(f"<method '{stage}' of 'Imaging"):
                per_stage[stage] += entry.inlinetime * 1000 / len(photos)
    return per_stage


def decode_ms(photos: list[bytes], scales: tuple[int, ...], repeats: int = 5) -> dict[int, float]:
    """Median CPU ms to decode a JPEG at each 1/scale, the scales taken in turn so that a busy
    machine weighs on them alike."""
    times: dict[int, list[float]] = {scale: [] for scale in scales}
    for _ in range(repeats):
        for data in photos:
            for scale in scales:
                started = time.process_time()
                with Image.open(io.BytesIO(data)) as image:
                    image.draft("RGB", (image.width // scale, image.height // scale))
                    image.load()
                times[scale].append(time.process_time() - started)
    return {scale: statistics.median(seconds) * 1000 for scale, seconds in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24)
    args = parser.parse_args()
    distinct = [phone_jpeg(seed) for seed in range(4)]
    photos = [distinct[i % len(distinct)] for i in range(args.photos)]
    mean_mb = statistics.mean(len(p) for p in distinct) / 1e6
    print(f"{args.photos} photos, {WIDTH_PX}×{HEIGHT_PX} JPEG, mean {mean_mb:.1f} MB, one core")
    asyncio.run(run(photos[:2], draft=True))  # warm up (imports, allocator)
    mean_ms, rest_ms = {}, {}
    for draft in (True, False):
        started = time.perf_counter()
        per_photo = asyncio.run(run(photos, draft=draft))
        wall_s = time.perf_counter() - started
        cpu_seconds = [whole for whole, _ in per_photo]
        mean_ms[draft] = statistics.mean(cpu_seconds) * 1000
        rest_ms[draft] = statistics.mean(whole - pictures for whole, pictures in per_photo) * 1000
        p95_ms = sorted(cpu_seconds)[int(len(cpu_seconds) * 0.95) - 1] * 1000
        print(
            f"draft {'on ' if draft else 'off'}: {1000 / mean_ms[draft]:5.1f} photos/s/core  "
            f"(CPU per photo: mean {mean_ms[draft]:.0f} ms, p95 {p95_ms:.0f} ms, of which "
            f"{rest_ms[draft]:.0f} ms outside Pillow's picture work; wall {wall_s:.1f} s)"
        )
    stages = stage_ms(photos)
    print("CPU per photo by stage, draft on:")
    for stage, label in STAGES.items():
        print(f"  {label:44s} {stages[stage]:5.1f} ms")
    print(f"  {'the rest (spool, SHA-256, inspect, storage)':44s} {rest_ms[True]:5.1f} ms")
    # The entropy decoding is paid at any DCT scale, and a 1920 px display needs 1/2 (2000 px).
    decoding = decode_ms(distinct, (2, 8))
    print(f"decoding alone: {decoding[2]:.1f} ms at 1/2 scale, {decoding[8]:.1f} ms at 1/8")
    free_ms = stages["resize"] + stages["reduce"] + stages["transpose"]
    print(
        f"if resampling and orientation cost nothing: {mean_ms[True] - free_ms:.0f} ms, "
        f"{1000 / (mean_ms[True] - free_ms):.1f} photos/s/core"
    )


if __name__ == "__main__":
    main()
