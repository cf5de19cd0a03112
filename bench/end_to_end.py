"""fangpin end to end for bench/compare.py: the feed uploaded through the real API (`fangpin
serve`, its own process) by a department user, parsed, matched and evaluated by the real arq
worker (`fangpin worker`, its own process), timed from the first byte of the upload until
`GET /api/feeds/batches/{id}` says done — every alert written. The worker's peak RSS is read
from /proc (VmHWM) before it is stopped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from api_server import cpu_s, free_port
from redis import Redis

from backend.auth import Principal, issue_access_token
from backend.settings import Settings, env_name, load_settings
from schemas.base import Role

ROOT = Path(__file__).resolve().parent.parent
PIPELINE_MODULES = (
    "backend.feeds.routes",
    "backend.feeds.reader",
    "backend.feeds.pipeline",
    "workers.feeds",
    "backend.alerts.service",
)
POLL_S = 0.2
DONE = ("done", "failed")
START_WAIT_S = 60

INSERT_UPLOADER = """
INSERT INTO users (role, username, display_name, region_code, department_feeds)
VALUES ('department', $1, '青山省医疗保障局', $2, ARRAY['medical']) RETURNING id
"""
COUNT_LEFT = """
SELECT (SELECT count(*) FROM feed_rows_medical WHERE batch_id = $1) AS staging,
       (SELECT count(*) FROM feed_rejects WHERE batch_id = $1) AS rejects
"""
COUNT_ALERTS = "SELECT count(*) FROM alerts WHERE batch_id = $1"


def missing_pipeline() -> str | None:
    """Why the end-to-end run cannot happen on this branch, or None when it can."""
    for module in PIPELINE_MODULES:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"{module} is not on this branch yet (the pipeline is built on branch feeds-batches)"
    return None


@dataclass
class EndToEnd:
    seconds: float
    batch: dict
    phases: dict[str, float]  # status -> seconds after the upload began, when first seen
    upload_s: float
    worker_peak_rss: int  # bytes
    worker_cpu_s: float
    api_peak_rss: int
    alerts: int | None
    left_in_staging: int
    rejects: int
    truncated: list[str] = field(default_factory=list)


def _proc_status(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _start(command: str, settings: Settings) -> subprocess.Popen[bytes]:
    fields = (
        "database_url",
        "redis_url",
        "port",
        "queue_name",
        "redis_prefix",
        "data_dir",
        "log_level",
        "secret_key",
        "pii_key",
        "pii_index_key",
        "url_signing_key",
    )
    env = {**os.environ, **{env_name(f): str(getattr(settings, f)) for f in fields}}
    extra = ["--quiet-jobs"] if command == "worker" else []
    return subprocess.Popen([sys.executable, "-m", "backend.cli", command, *extra], cwd=ROOT, env=env)


def _wait(ready, process: subprocess.Popen[bytes], what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the {what} exited with {process.returncode}")
        try:
            if ready():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"the {what} did not start")


async def _prepare(dsn: str, region: str) -> tuple[int, list[str]]:
    """A department user for the upload, and no batch, alert or look-back figure from an earlier run."""
    conn = await asyncpg.connect(dsn)
    notices: list[str] = []
    conn.add_log_listener(lambda _, message: notices.append(message.message))
    try:
        await conn.execute("TRUNCATE feed_batches CASCADE")
        user_id = await conn.fetchval(INSERT_UPLOADER, f"bench-medical-{secrets.token_hex(4)}", region)
        return user_id, [n.removeprefix("truncate cascades to table ").strip('"') for n in notices]
    finally:
        await conn.close()


async def _left(dsn: str, batch_id: int) -> tuple[int | None, int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        counts = await conn.fetchrow(COUNT_LEFT, batch_id)
        has_alerts = await conn.fetchval("SELECT to_regclass('alerts') IS NOT NULL")
        alerts = await conn.fetchval(COUNT_ALERTS, batch_id) if has_alerts else None
        return alerts, counts["staging"], counts["rejects"]
    finally:
        await conn.close()


def run(
    dsn: str,
    redis_url: str,
    keys: dict[str, str],
    region: str,
    feed: Path,
    period: dt.date,
) -> EndToEnd:
    tag = secrets.token_hex(4)
    settings = load_settings(
        {},
        database_url=dsn,
        redis_url=redis_url,
        port=free_port(),
        queue_name=f"fangpin-bench-{tag}:queue",
        redis_prefix=f"fangpin-bench-{tag}:",
        data_dir=str(ROOT / ".fangpin/bench/e2e"),
        log_level="WARNING",
        **keys,
    )
    user_id, truncated = asyncio.run(_prepare(dsn, region))
    token = issue_access_token(settings, Principal(user_id=user_id, role=Role.department, region_code=region))
    base = f"http://127.0.0.1:{settings.port}"
    api = _start("serve", settings)
    worker = _start("worker", settings)
    redis = Redis.from_url(redis_url)
    try:
        _wait(
            lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200,
            api,
            "API",
        )
        _wait(
            lambda: redis.exists(f"{settings.queue_name}:health-check"),
            worker,
            "worker",
        )
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600) as client:
            start = time.perf_counter()
            with feed.open("rb") as f:
                response = client.post(
                    "/api/feeds/batches",
                    files={"file": (feed.name, f, "text/csv")},
                    data={"feed": "medical", "period": f"{period:%Y-%m}"},
                )
            upload_s = time.perf_counter() - start
            if response.status_code not in (200, 201):
                raise SystemExit(f"upload answered {response.status_code}: {response.text[:500]}")
            batch = response.json()
            phases: dict[str, float] = {}
            while batch["status"] not in DONE:
                time.sleep(POLL_S)
                batch = client.get(f"/api/feeds/batches/{batch['id']}").json()
                phases.setdefault(batch["status"], time.perf_counter() - start)
            seconds = time.perf_counter() - start
        worker_peak, worker_cpu, api_peak = (
            _proc_status(worker.pid, "VmHWM"),
            cpu_s(worker.pid),
            _proc_status(api.pid, "VmHWM"),
        )
    finally:
        for process in (worker, api):
            process.send_signal(signal.SIGTERM)
        for process in (worker, api):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.close()
    alerts, staging, rejects = asyncio.run(_left(dsn, batch["id"]))
    return EndToEnd(
        seconds,
        batch,
        phases,
        upload_s,
        worker_peak,
        worker_cpu,
        api_peak,
        alerts,
        staging,
        rejects,
        truncated,
    )
