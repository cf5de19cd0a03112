"""Home visits at county scale: a helper's to-visit list, the township and county overdue board,
the daily reminder cron, and recording 1,000 visits with a photo each through the HTTP API.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/visits.py [--households 50000] [--helpers 500] [--visits 1000]

Without DATABASE_URL / REDIS_URL the embedded servers under .fangpin/bench are used. A scratch
database is created, migrated and loaded set-based (one county, 10 townships, 200 villages; half
the households monitored with an approved case, half lifted; two visits each in the past months,
a quarter last visited two months ago (overdue), a tenth visited this month, plans for most
monitored households, open rectification items), and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import os
import random
import secrets
import shutil
import statistics
import sys
import time
from pathlib import Path

import asyncpg
from PIL import ExifTags, Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch_db import scratch_database
import bench_county  # noqa: E402  (beside this file)
from litestar.testing import AsyncTestClient  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.auth import Principal, issue_access_token  # noqa: E402
from backend.calendar.rules import LEGAL_TZ, local_date  # noqa: E402
from backend.db import create_pool  # noqa: E402
from backend.embedded import servers  # noqa: E402
from backend.settings import load_settings  # noqa: E402
from backend.visits import board, rules, service  # noqa: E402
from migrations.runner import migrate  # noqa: E402
from schemas.base import Role  # noqa: E402
from schemas.visits import BoardList  # noqa: E402

COUNTY = "450102000000"
TOWNSHIP = "450102001000"
CHECKLIST = {k: {"ok": True} for k in ("food", "clothing", "education", "medical", "housing", "drinking_water")}


async def seed(conn: asyncpg.Connection, households: int, helpers: int) -> None:
    await conn.execute(bench_county.REGIONS_SQL)
    villages = "'450102' || lpad((1 + {g} % 10)::text, 3, '0') || lpad((1 + ({g} / 10) % 20)::text, 3, '0')"
    await conn.execute(
        f"""
        INSERT INTO users (role, username, display_name, region_code)
        SELECT 'helper', 'helper-' || g, '帮扶干部' || g, {villages.format(g="g")}
        FROM generate_series(0, $1 - 1) AS g
        """,
        helpers,
    )
    await conn.execute(
        f"""
        INSERT INTO households (household_no, village_code, category, monitoring_status, monitoring_type,
                                latitude, longitude, helper_user_id)
        SELECT 'V' || g, {villages.format(g="g")}, 'lifted',
               CASE WHEN g % 2 = 0 THEN 'monitoring' ELSE 'none' END,
               CASE WHEN g % 2 = 0 THEN 'unstable' END, 22.8 + (g % 200) * 0.001, 108.3,
               (SELECT u.id FROM users u WHERE u.username = 'helper-' || (g % $2))
        FROM generate_series(0, $1 - 1) AS g
        """,
        households,
        helpers,
    )
    await conn.execute(
        """
        INSERT INTO applications (household_id, source, state, created_by, discovered_at, decided_at, plan_due_date)
        SELECT h.id, 'cadre_screening', 'approved', h.helper_user_id, now() - interval '200 days',
               now() - interval '190 days', (now() - interval '176 days')::date
        FROM households h WHERE h.monitoring_status = 'monitoring'
        """
    )
    await conn.execute(
        """
        INSERT INTO visits (household_id, visitor_user_id, visited_at, checklist)
        SELECT h.id, h.helper_user_id, now() - make_interval(days => 20 + 30 * k + (h.id % 9)::int + 30 * (h.id % 4 = 0)::int), '{}'::jsonb
        FROM households h, generate_series(0, 1) AS k
        UNION ALL
        SELECT h.id, h.helper_user_id, date_trunc('month', now()) + interval '1 hour', '{}'::jsonb
        FROM households h WHERE h.id % 10 = 0
        """
    )
    await conn.execute(
        """
        INSERT INTO plan_measures (household_id, measure_type, owner_department, start_date, created_by)
        SELECT h.id, 'employment', '人社局', current_date - 150, h.helper_user_id
        FROM households h WHERE h.monitoring_status = 'monitoring' AND h.id % 7 <> 0
        """
    )
    await conn.execute(
        """
        INSERT INTO rectification_items (household_id, item, found_on, owner_user_id)
        SELECT h.id, 'housing', current_date - 10, h.helper_user_id FROM households h WHERE h.id % 25 = 0
        """
    )
    await conn.execute("ANALYZE")


def photo(seed: int) -> bytes:
    """A small phone-like JPEG with EXIF time and place; every seed a different picture."""
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.randrange(256) for _ in range(3)))
    for _ in range(12):
        x, y = rng.randrange(600), rng.randrange(440)
        image.paste(tuple(rng.randrange(256) for _ in range(3)), (x, y, x + rng.randrange(20, 200), y + 40))
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = time.strftime("%Y:%m:%d %H:%M:%S")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


def report(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p99 = samples[max(0, int(len(samples) * 0.99) - 1)]
    print(f"{label:<52} n={len(samples):<5} p50 {statistics.median(samples):8.1f} ms   p99 {p99:8.1f} ms")


async def timed(label: str, repeat: int, call) -> None:  # type: ignore[no-untyped-def]
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        await call(i)
        samples.append((time.perf_counter() - start) * 1000)
    report(label, samples)


async def reads(pool: asyncpg.Pool, helpers: list[asyncpg.Record]) -> None:
    now = dt.datetime.now(dt.UTC)
    township = Principal(user_id=1, role=Role.township, region_code=TOWNSHIP)
    county = Principal(user_id=1, role=Role.county, region_code=COUNTY)
    async with pool.acquire() as conn:
        def helper_list(i: int):  # type: ignore[no-untyped-def]
            who = helpers[(i * 37) % len(helpers)]
            return service.list_to_visit(conn, Principal(user_id=who["id"], role=Role.helper,
                                                         region_code=who["region_code"]), now, everything=False)
        await timed("helper's to-visit list (~100 households)", 200, helper_list)
        await timed("township overdue board", 30, lambda i: board.get_board(conn, township, None, now))
        await timed("county overdue board (10 townships)", 10, lambda i: board.get_board(conn, county, None, now))
        await timed("township list: visits overdue, page 1", 30, lambda i: board.list_board_items(
            conn, township, BoardList.visit_overdue, None, now, page=1, page_size=50))
        # Today and tomorrow (overdue households speak), and the month's last week (due ones too).
        last_week = dt.datetime.combine(rules.month_end(local_date(now)) - dt.timedelta(days=2), dt.time(9),
                                        tzinfo=LEGAL_TZ)
        for moment in (now, now + dt.timedelta(days=1), last_week):
            start = time.perf_counter()
            sent = await service.remind_visits(conn, moment)
            elapsed = time.perf_counter() - start
            again_start = time.perf_counter()
            again = await service.remind_visits(conn, moment)
            print(f"daily reminder cron, {local_date(moment)}: {len(sent)} messages in {elapsed * 1000:.0f} ms; "
                  f"second run {len(again)} in {(time.perf_counter() - again_start) * 1000:.0f} ms")


async def record_with_photos(dsn: str, redis_url: str, data_dir: Path, helpers: list[asyncpg.Record],
                             pool: asyncpg.Pool, count: int) -> None:
    settings = load_settings({}, database_url=dsn, redis_url=redis_url, data_dir=str(data_dir),
                             queue_name=f"fangpin-bench-{secrets.token_hex(3)}:queue",
                             redis_prefix=f"fangpin-bench-{secrets.token_hex(3)}:")
    homes = await pool.fetch("SELECT id, helper_user_id FROM households WHERE helper_user_id = ANY($1::bigint[]) "
                             "ORDER BY id LIMIT $2", [h["id"] for h in helpers], count)
    regions = {h["id"]: h["region_code"] for h in helpers}
    tokens = {uid: issue_access_token(settings, Principal(user_id=uid, role=Role.helper, region_code=regions[uid]))
              for uid in {h["helper_user_id"] for h in homes}}
    pictures = [photo(i) for i in range(count)]
    reviewer = issue_access_token(settings, Principal(user_id=1, role=Role.county, region_code=COUNTY))
    visit_ms, photo_ms, read_ms = [], [], []
    async with AsyncTestClient(app=create_app(settings, configure_logs=False)) as client:
        for home, picture in zip(homes, pictures, strict=True):
            auth = {"Authorization": f"Bearer {tokens[home['helper_user_id']]}"}
            body = {"household_id": home["id"], "visited_at": dt.datetime.now(dt.UTC).isoformat(),
                    "checklist": CHECKLIST, "net_income_fen": 2_000_000,
                    "location": {"latitude": 22.8, "longitude": 108.3, "accuracy_m": 20}}
            start = time.perf_counter()
            response = await client.post("/api/miniapp/helper/visits", json=body, headers=auth)
            visit_ms.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 201, response.text
            visit_id = response.json()["id"]
            start = time.perf_counter()
            response = await client.post(f"/api/visits/{visit_id}/photos", headers=auth,
                                         files={"file": ("p.jpg", picture, "image/jpeg")})
            photo_ms.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 201, response.text
            start = time.perf_counter()
            response = await client.get(f"/api/visits/{visit_id}", headers={"Authorization": f"Bearer {reviewer}"})
            read_ms.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
    report("POST a visit (HTTP, checklist, location)", visit_ms)
    report("POST its photo (HTTP, 640x480 JPEG with EXIF)", photo_ms)
    report("GET the visit as reviewer, with flags", read_ms)


async def run(dsn: str, redis_url: str, households: int, helpers: int, visits: int) -> None:
    await migrate(dsn)
    loader = await asyncpg.connect(dsn)
    start = time.perf_counter()
    await seed(loader, households, helpers)
    await loader.close()
    pool = await create_pool(dsn)
    print(f"seeded {households} households ({households // 2} monitored), {helpers} helpers, "
          f"{await pool.fetchval('SELECT count(*) FROM visits')} visits in {time.perf_counter() - start:.1f} s")
    helper_rows = await pool.fetch("SELECT id, region_code FROM users WHERE role = 'helper' ORDER BY id")
    await reads(pool, helper_rows)
    data_dir = Path(f".fangpin/bench/visits-{secrets.token_hex(3)}").resolve()
    try:
        await record_with_photos(dsn, redis_url, data_dir, helper_rows, pool, visits)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        await pool.close()


async def scratch(admin_dsn: str, redis_url: str, households: int, helpers: int, visits: int) -> None:
    async with scratch_database(admin_dsn, "visits") as dsn:
        await run(dsn, redis_url, households, helpers, visits)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--helpers", type=int, default=500)
    parser.add_argument("--visits", type=int, default=1000)
    args = parser.parse_args()
    data_dir = Path(".fangpin/bench").resolve()
    with servers(data_dir, os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")) as (dsn, redis_url):
        asyncio.run(scratch(dsn, redis_url, args.households, args.helpers, args.visits))


if __name__ == "__main__":
    main()
