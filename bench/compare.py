"""A month's medical feed against a province's registry: fangpin end to end (upload → every alert
written, through the real API and arq worker) against what the same task costs with the tools a
county would otherwise use, each reading the same two files (issue 15):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/compare.py [--persons 10000000] [--rows 1000000] [--peers floor,pandas,...]

The registry (bench/synth.py, bench/registry_db.py) is built once into its own database,
`fangpin_bench`, with the keys in .fangpin/bench/feeds-keys.json, and reused while it holds the
same persons built with the same keys; the registry export and the feed are files in
.fangpin/bench/. Prints figures; not a test. Peers: `floor` (a bare COPY of the feed into an
unlogged table), pandas, DuckDB and Polars (bench/peers.py), each in its own process for its peak
memory. fangpin (bench/end_to_end.py) runs when the feeds pipeline is on this branch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import end_to_end
import registry_db
import synth

BENCH_DIR = ROOT / ".fangpin/bench"
PEERS = ("floor", "pandas", "duckdb", "polars")
# Targets (issue 15): end to end within 4x of the floor, at least 4x faster than pandas, worker < 1 GB.
FLOOR_RATIO = 4.0
PANDAS_SPEED_UP = 4.0
WORKER_MEMORY = 1 << 30
MB = 1 << 20


def last_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def run_peer(name: str, registry: Path, feed: Path, dsn: str) -> dict:
    """One peer in its own process (bench/peers.py): what it measured, peak RSS included."""
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("peers.py")),
            name,
            str(registry),
            str(feed),
            dsn,
        ],
        stdout=subprocess.PIPE,
        check=True,
    )
    return json.loads(done.stdout)


def status(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(rows: int, peers: dict[str, dict], fangpin: end_to_end.EndToEnd | None) -> None:
    floor = peers.get("floor", {}).get("seconds")
    print(
        "\n| | seconds | rows/s | × floor | peak memory | persons flagged |\n|---|---:|---:|---:|---:|---:|"
    )
    lines = [(name, r["seconds"], r["peak_rss"], r["flagged"]) for name, r in peers.items()]
    if fangpin is not None:
        lines.append(
            (
                "fangpin end to end",
                fangpin.seconds,
                fangpin.worker_peak_rss,
                fangpin.alerts,
            )
        )
    for name, seconds, peak, flagged in lines:
        ratio = f"{seconds / floor:.1f}" if floor else "—"
        memory = f"{peak / MB:,.0f} MB" + (" (worker)" if name.startswith("fangpin") else "")
        flagged_text = (
            "—" if flagged is None else f"{flagged:,}" + (" alerts" if name.startswith("fangpin") else "")
        )
        print(f"| {name} | {seconds:.2f} | {rows / seconds:,.0f} | {ratio} | {memory} | {flagged_text} |")
    if fangpin is None:
        return
    print()
    for name, r in peers.items():
        ratio = fangpin.seconds / r["seconds"]
        print(
            f"fangpin / {name}: {ratio:.2f}× the time" + (f" ({1 / ratio:.2f}× faster)" if ratio < 1 else "")
        )
    targets = [
        (
            "worker peak memory < 1 GB",
            f"{fangpin.worker_peak_rss / MB:,.0f} MB",
            fangpin.worker_peak_rss < WORKER_MEMORY,
        )
    ]
    if floor:
        targets.insert(
            0,
            (
                f"end to end within {FLOOR_RATIO:.0f}× of the floor",
                f"{fangpin.seconds / floor:.1f}×",
                fangpin.seconds <= FLOOR_RATIO * floor,
            ),
        )
    if "pandas" in peers:
        speed_up = peers["pandas"]["seconds"] / fangpin.seconds
        targets.insert(
            1,
            (
                f"≥ {PANDAS_SPEED_UP:.0f}× faster than pandas",
                f"{speed_up:.2f}×",
                speed_up >= PANDAS_SPEED_UP,
            ),
        )
    print("\n| target | measured | |\n|---|---:|---|")
    for what, measured, ok in targets:
        print(f"| {what} | {measured} | {status(ok)} |")


def print_fangpin(e: end_to_end.EndToEnd) -> None:
    b = e.batch
    phases = ", ".join(f"{s} at {t:.1f} s" for s, t in e.phases.items())
    print(
        f"fangpin: {b['status']} in {e.seconds:.2f} s (upload answered after {e.upload_s:.2f} s; {phases})\n"
        f"  read {b.get('rows_read'):,} rejected {b.get('rows_rejected'):,} loaded {b.get('rows_loaded'):,} "
        f"matched {b.get('rows_matched'):,} alerts {b.get('alerts_raised'):,} (alerts table: {e.alerts}); "
        f"{e.rejects:,} reject rows, {e.left_in_staging:,} staging rows left\n"
        f"  worker: peak RSS {e.worker_peak_rss / MB:,.0f} MB, CPU {e.worker_cpu_s:.1f} s; "
        f"API peak RSS {e.api_peak_rss / MB:,.0f} MB; emptied before the run: {', '.join(e.truncated) or '—'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=10_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the medical feed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--period", default=f"{last_month(dt.date.today()):%Y-%m}", help="YYYY-MM")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated; empty for none")
    parser.add_argument("--no-fangpin", action="store_true", help="the peers only")
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="for building the registry",
    )
    parser.add_argument(
        "--database",
        default="fangpin_bench",
        help="where the registry is built and kept",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build the registry even when it is cached",
    )
    args = parser.parse_args()
    period = dt.date.fromisoformat(args.period + "-01")
    peers = [p for p in args.peers.split(",") if p]
    if unknown := set(peers) - set(PEERS):
        parser.error(f"unknown peers: {', '.join(sorted(unknown))}")

    admin_dsn = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    dsn = urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{args.database}"))
    keys = registry_db.load_keys(BENCH_DIR / "feeds-keys.json")
    registry_csv = BENCH_DIR / f"registry-{args.persons}-s{args.seed}-v{registry_db.REGISTRY_VERSION}.csv"
    feed_csv = BENCH_DIR / f"medical-{args.rows}-of-{args.persons}-s{args.seed}-{period:%Y%m}.csv"

    print(f"{os.cpu_count()} CPUs; {args.persons:,} persons, {args.rows:,} feed rows, period {period:%Y-%m}")
    registry = registry_db.ensure_registry(
        admin_dsn,
        dsn,
        args.database,
        args.persons,
        args.seed,
        period.year - 1,
        keys,
        registry_csv,
        args.processes,
        args.rebuild,
    )
    print(
        f"registry: {'built' if registry.built else 'cached'} in {registry.seconds:.1f} s "
        f"({registry.households:,} households, {args.processes} processes); export {registry_csv.name} "
        f"{registry_csv.stat().st_size / MB:,.0f} MB"
    )
    if registry.phases:
        print("  " + ", ".join(f"{step} {s:.1f} s" for step, s in registry.phases.items()))
    if not feed_csv.exists():
        start = time.perf_counter()
        stats = synth.write_medical_feed(feed_csv, args.rows, args.persons, period, args.seed)
        print(
            f"feed: written in {time.perf_counter() - start:.1f} s, bad rows {stats.bad}, "
            f"{stats.outsiders:,} rows of persons outside the registry"
        )
    print(f"feed: {feed_csv.name} {feed_csv.stat().st_size / MB:,.0f} MB (GBK)")

    results: dict[str, dict] = {}
    for name in peers:
        results[name] = run_peer(name, registry_csv, feed_csv, dsn)
        r = results[name]
        print(
            f"{name}: {r['seconds']:.2f} s, {r['rows']:,} rows, peak RSS {r['peak_rss'] / MB:,.0f} MB, "
            f"flagged {r['flagged']}"
        )
    flagged = {r["flagged"] for r in results.values() if r["flagged"] is not None}
    if len(flagged) > 1:
        print(f"warning: the peers disagree on the persons flagged: {sorted(flagged)}")

    fangpin = None
    if args.no_fangpin:
        print("fangpin: not run (--no-fangpin)")
    elif reason := end_to_end.missing_pipeline():
        print(f"fangpin: not run: {reason}")
    else:
        fangpin = end_to_end.run(dsn, redis_url, keys, synth.PROVINCE, feed_csv, period)
        print_fangpin(fangpin)
    report(args.rows, results, fangpin)


if __name__ == "__main__":
    main()
