"""A mixed workload against the API for a bounded time (issue 19), from a second process over
loopback, against the API started as `fangpin serve` does (bench/api_server.py):

- farmers read their household and their cases, and submit a self-report (自主申报; each farmer
  once, as the workflow allows one open case a household);
- helpers record a home visit with its checklist and location, then attach a photo;
- township and county staff list their tasks (the identification workflow) and the alerts;
- unions' buyers page the catalogue and submit one-line orders.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/load.py [--duration 30] [--clients 16] [--households 20000]

Without the variables the embedded servers under .fangpin/bench are used. A scratch database is
created, migrated and loaded with the demo data plus a county (bench/visits.py's seed: 200
villages, helpers, households half of them monitored with approved cases and past visits;
bench/orders.py's unions, suppliers and products), three persons a household, alerts on a tenth of
the persons, cases waiting at every step of the workflow, and a farmer account for each household
without a case; it is dropped at the end. Rate limits are off (bench_settings). Prints the
throughput, p50 and p99 per operation and the errors (any answer but the one expected), and exits
non-zero when there is any error.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import asyncpg
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orders  # noqa: E402  (beside this file)
import visits  # noqa: E402
from alerts import SEED_ALERTS  # noqa: E402
from api_server import (  # noqa: E402
    HttpConnection,
    api_process,
    bench_settings,
    cpu_s,
    figures,
    load_demo,
    multipart,
    run_on_bench_servers,
)
from scratch_db import scratch_database  # noqa: E402

from backend.auth import Principal, issue_access_token  # noqa: E402
from backend.settings import Settings  # noqa: E402
from migrations.runner import migrate  # noqa: E402
from schemas.base import Role  # noqa: E402

COUNTY = visits.COUNTY
TOWNSHIPS = [f"450102{t:03d}000" for t in range(1, 11)]
PICTURES = 32  # distinct photos the helpers send in turn
WARM_UP_S = 3
_json = msgspec.json.Encoder().encode

# How often each kind of client acts, out of the sum (a visit is two requests, an order page one).
MIX = {
    "farmer": 40,  # household, cases, now and then a self-report
    "helper": 10,  # a visit and its photo
    "staff": 25,  # tasks or alerts
    "union": 25,  # catalogue or an order
}
SUBMIT_EVERY = 8  # one farmer action in 8 is a self-report (while unused farmers remain)

PERSONS = """
INSERT INTO persons (household_id, name, id_number_enc, id_number_bidx, id_number_masked, relation, sex, birth_date)
SELECT h.id, '成员' || h.id || '-' || m, '\\x00', sha256(('load' || h.id * 3 + m)::bytea), '450102********0000',
       (ARRAY['head', 'spouse', 'child'])[m + 1], (ARRAY['male', 'female', 'male'])[m + 1], date '1970-01-01' + m * 3650
FROM households h, generate_series(0, 2) AS m
WHERE h.village_code LIKE '450102%'
"""
# Cases waiting at each step for a fifth of the households that are not monitored.
WAITING_CASES = """
INSERT INTO applications (household_id, source, state, created_by, risk_types, narrative, discovered_at)
SELECT h.id, 'cadre_screening', (ARRAY['verification', 'village_review', 'township_review', 'county_approval'])[1 + h.id % 4],
       h.helper_user_id, '{illness}', '因病支出大', now() - (h.id % 30 || ' days')::interval
FROM households h
WHERE h.village_code LIKE '450102%' AND h.monitoring_status = 'none' AND h.id % 5 = 0
"""
FARMERS = """
INSERT INTO users (role, display_name, person_id, household_id)
SELECT 'farmer', p.name, p.id, h.id
FROM households h JOIN persons p ON p.household_id = h.id AND p.relation = 'head'
WHERE h.village_code LIKE '450102%'
  AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.household_id = h.id)
RETURNING id, household_id
"""
STAFF = "INSERT INTO users (role, username, display_name, region_code) VALUES ($1, $2, $2, $3) RETURNING id"
HELPER_HOMES = """
SELECT h.id, h.helper_user_id, u.region_code FROM households h JOIN users u ON u.id = h.helper_user_id
WHERE h.village_code LIKE '450102%' ORDER BY h.id
"""


async def seed(dsn: str, settings: Settings, households: int, helpers: int) -> dict[str, list]:
    """Loads the scratch database; returns each kind of client's tokens and ids."""
    await migrate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        # These two first: they fill in every household and union there is.
        await visits.seed(conn, households, helpers)
        buyers, products = await orders.seed(conn)
        await load_demo(settings)
        await conn.execute(PERSONS)
        await conn.execute(SEED_ALERTS, households * 3 // 10)
        await conn.execute(WAITING_CASES)
        farmers = [
            Principal(user_id=r["id"], role=Role.farmer, household_id=r["household_id"])
            for r in await conn.fetch(FARMERS)
        ]
        staff = [Principal(user_id=await conn.fetchval(STAFF, "county", "县级-load", COUNTY), role=Role.county,
                           region_code=COUNTY)]
        for code in TOWNSHIPS:
            user_id = await conn.fetchval(STAFF, "township", f"乡镇-load-{code}", code)
            staff.append(Principal(user_id=user_id, role=Role.township, region_code=code))
        homes = await conn.fetch(HELPER_HOMES)
        await conn.execute("ANALYZE")
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t}")
                  for t in ("households", "persons", "applications", "alerts", "visits", "products")}
    finally:
        await conn.close()
    print("seeded: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()) + f", {len(farmers):,} farmers")

    def token(principal: Principal) -> str:
        return issue_access_token(settings, principal)

    random.Random(1).shuffle(farmers)
    return {
        "farmers": [token(f) for f in farmers],
        "staff": [token(s) for s in staff],
        "buyers": [token(b) for b in buyers],
        "products": products[: orders.SPREAD_PRODUCTS],
        "homes": [
            (h["id"], token(Principal(user_id=h["helper_user_id"], role=Role.helper, region_code=h["region_code"])))
            for h in homes
        ],
        "pictures": [multipart("file", "p.jpg", "image/jpeg", visits.photo(i)) for i in range(PICTURES)],
    }


class Client:
    """One simulated user at a time on its own keep-alive connection; records every answer."""

    def __init__(self, base: str, data: dict[str, list], index: int, record: bool) -> None:
        self.http, self.data, self.record = HttpConnection(base), data, record
        self.rng = random.Random(index)
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.n = 0

    async def call(
        self, operation: str, method: str, path: str, token: str, expect: int, body: object = None,
        form: tuple[str, bytes] | None = None,
    ) -> dict:
        headers = {"Authorization": f"Bearer {token}"}
        if method == "POST":
            headers["Idempotency-Key"] = secrets.token_hex(12)
        if form is not None:
            headers["Content-Type"], content = form
        elif body is not None:
            headers["Content-Type"], content = "application/json", _json(body)
        else:
            content = b""
        start = time.perf_counter()
        try:
            status, answer = await self.http.request(method, path, headers, content)
        except (OSError, asyncio.IncompleteReadError) as exc:
            self.errors[operation].append(f"{type(exc).__name__}: {exc}")
            return {}
        if self.record:
            self.latencies[operation].append(time.perf_counter() - start)
        if status != expect:
            self.errors[operation].append(f"{status} {answer[:300].decode(errors='replace')}")
            return {}
        return msgspec.json.decode(answer) if answer else {}

    async def farmer(self) -> None:
        farmers = self.data["farmers"]
        self.n += 1
        if self.n % SUBMIT_EVERY == 0 and self.data["unused_farmers"]:
            body = {"risk_types": ["illness"], "narrative": "家人住院，医疗支出大"}
            await self.call("farmer: POST self-report", "POST", "/api/miniapp/farmer/applications",
                            self.data["unused_farmers"].pop(), 201, body)
            return
        token = farmers[self.rng.randrange(len(farmers))]
        await self.call("farmer: GET household", "GET", "/api/miniapp/farmer/household", token, 200)
        await self.call("farmer: GET own cases", "GET", "/api/miniapp/farmer/applications", token, 200)

    async def helper(self) -> None:
        household_id, token = self.data["homes"][self.rng.randrange(len(self.data["homes"]))]
        body = {"household_id": household_id, "visited_at": dt.datetime.now(dt.UTC).isoformat(),
                "checklist": visits.CHECKLIST, "net_income_fen": 2_000_000,
                "location": {"latitude": 22.8, "longitude": 108.3, "accuracy_m": 20}}
        visit = await self.call("helper: POST visit", "POST", "/api/miniapp/helper/visits", token, 201, body)
        if visit:
            form = self.data["pictures"][self.rng.randrange(PICTURES)]
            await self.call("helper: POST visit photo", "POST", f"/api/visits/{visit['id']}/photos", token, 201,
                            form=form)

    async def staff(self) -> None:
        token = self.data["staff"][self.rng.randrange(len(self.data["staff"]))]
        if self.rng.random() < 0.5:
            await self.call("staff: GET tasks", "GET", "/api/applications/tasks", token, 200)
        else:
            await self.call("staff: GET alerts", "GET", "/api/alerts", token, 200)

    async def union(self) -> None:
        token = self.data["buyers"][self.rng.randrange(len(self.data["buyers"]))]
        if self.rng.random() < 0.6:
            await self.call("union: GET catalogue", "GET", f"/api/catalog?page={1 + self.rng.randrange(5)}", token, 200)
        else:
            products = self.data["products"]
            body = {"lines": [{"product_id": products[self.rng.randrange(len(products))], "quantity": 1}]}
            await self.call("union: POST order", "POST", "/api/orders", token, 201, body)


async def _drive(base: str, api_pid: int, data: dict[str, list], clients: int, duration_s: float) -> tuple:
    kinds, weights = list(MIX), list(MIX.values())
    data = {**data, "unused_farmers": list(data["farmers"])}

    async def run(client: Client, until: float) -> Client:
        while time.monotonic() < until:
            await getattr(client, client.rng.choices(kinds, weights)[0])()
        await client.http.close()
        return client

    await asyncio.gather(*(run(Client(base, data, i, False), time.monotonic() + WARM_UP_S) for i in range(clients)))
    start, api_cpu, own_cpu = time.monotonic(), cpu_s(api_pid), cpu_s(os.getpid())
    done = await asyncio.gather(*(run(Client(base, data, clients + i, True), start + duration_s)
                                  for i in range(clients)))
    elapsed = time.monotonic() - start
    cpu = {"API process": cpu_s(api_pid) - api_cpu, "load process": cpu_s(os.getpid()) - own_cpu}
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    for client in done:
        for operation, values in client.latencies.items():
            latencies[operation] += values
        for operation, values in client.errors.items():
            errors[operation] += values
    return dict(latencies), dict(errors), elapsed, cpu


def _load_process(*args: object) -> None:
    *drive_args, out = args
    out.put(asyncio.run(_drive(*drive_args)))  # type: ignore[arg-type]


def drive(base: str, api_pid: int, data: dict[str, list], clients: int, duration_s: float) -> tuple:
    """The load from its own process: (latencies and errors per operation, seconds, CPU seconds)."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_load_process, args=(base, api_pid, data, clients, duration_s, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def report(latencies: dict[str, list[float]], errors: dict[str, list[str]], elapsed: float, cpu: dict) -> int:
    total = sum(len(v) for v in latencies.values())
    print(f"\n{total:,} requests in {elapsed:.1f} s = {total / elapsed:,.0f} req/s; CPU " + ", ".join(
        f"{name} {seconds:.1f} s ({seconds / max(total, 1) * 1000:.2f} ms a request)" for name, seconds in cpu.items()
    ) + "\n")
    print("| operation | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for operation in sorted(set(latencies) | set(errors)):
        rate, p50, p99 = figures(latencies.get(operation, []), elapsed)
        print(f"| {operation} | {rate:,.1f} | {p50:.1f} | {p99:.1f} | {len(errors.get(operation, []))} |")
    count = sum(len(v) for v in errors.values())
    print(f"\nerrors: {count}")
    for operation, messages in errors.items():
        for message in messages[:3]:
            print(f"  {operation}: {message}")
    return count


async def measure(args: argparse.Namespace, admin_dsn: str, redis_url: str) -> int:
    photos = Path(tempfile.mkdtemp(prefix="fangpin-load-"))
    try:
        async with scratch_database(admin_dsn, "load") as dsn:
            settings = bench_settings(dsn, redis_url, data_dir=str(photos))
            start = time.perf_counter()
            data = await seed(dsn, settings, args.households, args.helpers)
            print(f"seeding took {time.perf_counter() - start:.0f} s; {args.clients} clients, {WARM_UP_S} s warm-up, "
                  f"{args.duration} s measured; CPUs: {os.cpu_count()}")
            with api_process(settings) as (base, pid):
                return report(*drive(base, pid, data, args.clients, args.duration))
    finally:
        shutil.rmtree(photos, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=30, help="seconds measured (after a warm-up)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent simulated users")
    parser.add_argument("--households", type=int, default=20_000, help="in the bench county")
    parser.add_argument("--helpers", type=int, default=400)
    args = parser.parse_args()
    errors = run_on_bench_servers(lambda admin_dsn, redis_url: measure(args, admin_dsn, redis_url))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
