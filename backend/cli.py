"""`fangpin` console script: up, serve, worker, migrate, seed-demo, import-registry,
import-department, evaluate-income, wechat-fake.

Every command reads the same Settings. Without DATABASE_URL / REDIS_URL the embedded servers in
the data folder are used; `up` starts them once and hands their URLs to its child processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from backend.embedded import servers
from backend.observability import configure_logging, log_uncaught_exceptions
from backend.settings import Settings, load_settings
from backend.supervisor import Child, stop_all

log = logging.getLogger("fangpin.cli")

HEALTH_WAIT_S = 60
UP_TEND_EVERY_S = 0.5  # how soon `up` notices a child died
CREDENTIALS_FILE = "demo-credentials.txt"  # in the data folder, readable by its owner only
# arq logs every job's start and finish at INFO: with the 5-second delivery sweep that buries
# `fangpin up`'s output. Failures are logged at ERROR / WARNING and still show.
ARQ_JOB_LOGGERS = ("arq.worker", "arq.jobs")


@contextlib.contextmanager
def resolved_settings() -> Iterator[Settings]:
    """Settings whose database_url and redis_url point at real servers (embedded if unset)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    with servers(settings.data_path, settings.database_url, settings.redis_url) as (database_url, redis_url):
        yield load_settings(database_url=database_url, redis_url=redis_url)


async def _migrate(settings: Settings) -> list[str]:
    from migrations.runner import migrate

    return await migrate(settings.database_url or "")


def cmd_migrate(_: argparse.Namespace) -> None:
    with resolved_settings() as settings:
        applied = asyncio.run(_migrate(settings))
        print(f"migrations applied: {', '.join(applied) or 'none (up to date)'}")


async def _seed(settings: Settings) -> object:
    from backend.db import create_pool
    from backend.demo import seed_demo
    from backend.pii import Pii

    pool = await create_pool(settings.database_url or "", min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            pii = Pii(settings.key_bytes("pii_key"), settings.key_bytes("pii_index_key"))
            return await seed_demo(conn, pii)
    finally:
        await pool.close()


def cmd_seed_demo(_: argparse.Namespace) -> None:
    with resolved_settings() as settings:
        asyncio.run(_migrate(settings))
        print_credentials(asyncio.run(_seed(settings)))


def print_credentials(credentials: object) -> None:
    from backend.demo import format_credentials

    print(format_credentials(credentials))


def save_credentials(data_path: Path, credentials: object) -> Path:
    """Writes the demo log-ins to the data folder, mode 600, replacing an earlier copy whole."""
    from backend.demo import format_credentials

    data_path.mkdir(parents=True, exist_ok=True)
    path = data_path / CREDENTIALS_FILE
    partial = path.with_name(f".{CREDENTIALS_FILE}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a left-over partial file keeps its old mode otherwise
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(format_credentials(credentials) + "\n")
    os.replace(partial, path)
    return path


def cmd_import_registry(args: argparse.Namespace) -> None:
    from backend.registry.importer import run_import_cli

    with resolved_settings() as settings:
        ok = asyncio.run(run_import_cli(settings, args.file, args.region))
    sys.exit(0 if ok else 1)


def cmd_import_department(args: argparse.Namespace) -> None:
    from backend.feeds.cli import QUIET_LOGGERS, run_import_department_cli

    with resolved_settings() as settings:
        for name in QUIET_LOGGERS:  # the progress bar says it; warnings and errors still show
            logging.getLogger(name).setLevel(logging.WARNING)
        ok = asyncio.run(
            run_import_department_cli(settings, args.file, args.feed, args.region, args.period, args.sheet)
        )
    sys.exit(0 if ok else 1)


async def _evaluate_income(settings: Settings, region: str | None) -> int:
    from backend.alerts.service import evaluate_income, evaluate_income_everywhere
    from backend.db import create_pool
    from backend.feeds.rules import normalize_region

    pool = await create_pool(settings.database_url or "", min_size=1, max_size=2)
    try:
        if region is None:
            return await evaluate_income_everywhere(pool)
        async with pool.acquire() as conn:
            return await evaluate_income(conn, normalize_region(region))
    finally:
        await pool.close()


def cmd_evaluate_income(args: argparse.Namespace) -> None:
    from backend.errors import DomainError

    with resolved_settings() as settings:
        try:
            raised = asyncio.run(_evaluate_income(settings, args.region))
        except DomainError as exc:  # a mistyped region code
            print(exc.message, file=sys.stderr)
            sys.exit(2)
    print(f"收入预警（SR-01）：新增 {raised} 条")


def serve_api(settings: Settings, workers: int = 1) -> None:
    import uvicorn

    os.environ.update(_server_env(settings))
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        lifespan="on",
    )


def cmd_serve(args: argparse.Namespace) -> None:
    with resolved_settings() as settings:
        serve_api(settings, args.workers)


def quiet_job_logs() -> None:
    """arq's start and finish line for every job off; failures (ERROR) and warnings still show."""
    for name in ARQ_JOB_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def cmd_worker(args: argparse.Namespace) -> None:
    from workers.runner import run_worker

    with resolved_settings() as settings:
        if args.quiet_jobs:
            quiet_job_logs()
        asyncio.run(run_worker(settings))


def cmd_wechat_fake(args: argparse.Namespace) -> None:
    from backend.wechat.fake import serve_fake

    settings = load_settings()
    configure_logging(settings.log_level)
    serve_fake("127.0.0.1", args.port or settings.wechat_fake_port)


def _server_env(settings: Settings) -> dict[str, str]:
    return {"DATABASE_URL": settings.database_url or "", "REDIS_URL": settings.redis_url or ""}


def _wait_healthy(url: str, api: Child, children: list[Child]) -> bool:
    """Until the API answers /healthz; False when it exits first. Other children that die
    meanwhile are restarted."""
    deadline = time.monotonic() + HEALTH_WAIT_S
    while time.monotonic() < deadline:
        if api.process is None or api.process.poll() is not None:
            return False
        for child in children:
            child.tend(time.monotonic())
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return True
        time.sleep(0.3)
    return False


def _stop_requested(signum: int, frame: object) -> None:
    # The first Ctrl-C or SIGTERM starts the orderly stop; more of them must not cut it short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def up_children(settings: Settings) -> dict[str, list[str]]:
    """The processes `up` runs: the API, a worker that logs jobs only when they fail, the WeChat fake."""
    fangpin = [sys.executable, "-m", "backend.cli"]
    commands = {"api": [*fangpin, "serve"], "worker": [*fangpin, "worker", "--quiet-jobs"]}
    if settings.wechat_base_url.startswith("http://127.0.0.1"):
        commands["wechat-fake"] = [*fangpin, "wechat-fake"]
    return commands


def cmd_up(_: argparse.Namespace) -> None:
    """Everything on a laptop: servers, migrations, demo data, WeChat fake, API and worker."""
    # Set explicitly: a shell starts `fangpin up &` with SIGINT ignored, and SIGTERM's default
    # would leave the servers and children running.
    signal.signal(signal.SIGINT, _stop_requested)
    signal.signal(signal.SIGTERM, _stop_requested)
    with contextlib.suppress(KeyboardInterrupt), resolved_settings() as settings:
        url = f"http://{settings.host}:{settings.port}"
        # First, so the API's URL is the first one in the output (the WeChat fake logs its own).
        print(f"fangpin up: starting the API at {url}", flush=True)
        asyncio.run(_migrate(settings))
        credentials = asyncio.run(_seed(settings))
        credentials_path = save_credentials(settings.data_path, credentials)
        env = {**os.environ, **_server_env(settings)}
        children = [Child(name, command, env) for name, command in up_children(settings).items()]
        api = next(child for child in children if child.name == "api")
        try:
            for child in children:
                child.start()
            if not _wait_healthy(url, api, children):
                print("fangpin up: the API did not become healthy; see the log above", file=sys.stderr)
                return
            print_credentials(credentials)
            print(f"(also in {credentials_path}, readable by you only)")
            print(f"\nAPI:      {url}\nAPI docs: {url}/schema/swagger\nHealth:   {url}/healthz")
            print(f"WeChat fake: {settings.wechat_base_url}\nPress Ctrl-C to stop.", flush=True)
            while True:  # until Ctrl-C or SIGTERM; a child that dies is started again
                for child in children:
                    child.tend(time.monotonic())
                time.sleep(UP_TEND_EVERY_S)
        except KeyboardInterrupt:
            print("\nstopping...", flush=True)
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            stop_all(children)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fangpin", description="防贫 prevention-of-return-to-poverty service")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="run everything for a laptop (servers, migrations, demo data, API, worker)")
    serve = commands.add_parser("serve", help="run the API")
    serve.add_argument("--workers", type=int, default=1)
    worker = commands.add_parser("worker", help="run the arq worker (jobs and cron)")
    worker.add_argument(
        "--quiet-jobs",
        action="store_true",
        help="log job starts and finishes only when they fail (`up` uses it; failures still show)",
    )
    commands.add_parser("migrate", help="apply pending migrations")
    commands.add_parser("seed-demo", help="load the demo data (idempotent)")
    importer = commands.add_parser("import-registry", help="bulk-import households from CSV")
    importer.add_argument("file")
    importer.add_argument("--region", required=True, help="12-digit region code the import is scoped to")
    department = commands.add_parser(
        "import-department", help="load a department's data file (CSV/XLSX) and compare it with the registry"
    )
    department.add_argument("file")
    department.add_argument("--feed", required=True, help="medical, welfare, education, ... (docs/feeds.md)")
    department.add_argument("--region", required=True, help="6-digit county code or 12-digit region code")
    department.add_argument("--period", required=True, help="the month the data covers, YYYY-MM")
    department.add_argument("--sheet", default=None, help="XLSX: the sheet to read (default the first)")
    income = commands.add_parser(
        "evaluate-income", help="run the income rule (SR-01) after surveys or the monitoring line changed"
    )
    income.add_argument("--region", default=None, help="a region code (default: every province)")
    fake = commands.add_parser("wechat-fake", help="run the local fake of the WeChat APIs")
    fake.add_argument("--port", type=int, default=None)
    return parser


HANDLERS = {
    "up": cmd_up,
    "serve": cmd_serve,
    "worker": cmd_worker,
    "migrate": cmd_migrate,
    "seed-demo": cmd_seed_demo,
    "import-registry": cmd_import_registry,
    "import-department": cmd_import_department,
    "evaluate-income": cmd_evaluate_income,
    "wechat-fake": cmd_wechat_fake,
}


def main(argv: list[str] | None = None) -> None:
    log_uncaught_exceptions()
    args = build_parser().parse_args(argv)
    HANDLERS[args.command](args)


if __name__ == "__main__":
    main()
