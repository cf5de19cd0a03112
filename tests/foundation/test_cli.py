"""What `fangpin up` leaves for the person at the terminal: the demo log-ins in a private file, and a
worker that does not bury them under a log line per delivery sweep but still reports failures."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from arq.connections import ArqRedis

from backend import cli, supervisor
from backend.app import create_app
from backend.demo import format_credentials
from backend.demo.seed import DemoFarmer, DemoLogin, DemoSeed
from backend.settings import Settings
from backend.supervisor import Child
from backend.wechat.fake import create_fake_app
from tests.notifications.conftest import empty_queue, redis, run_workers  # noqa: F401  (fixtures)

SEEDED = DemoSeed(
    logins=[DemoLogin(role="county", username="demo_county", password="fangpin-county", region="县")],
    farmer=DemoFarmer(
        user_id=11, household_id=1, household_no="660121100201001", name="贺梓萱", openid="o", js_code="code"
    ),
    counts={"regions": 1, "households": 1, "persons": 2, "users": 2, "suppliers": 0, "products": 0},
    households_added=0,
)


def test_credentials_are_saved_for_the_owner_only(tmp_path: Path) -> None:
    stale = tmp_path / cli.CREDENTIALS_FILE
    stale.write_text("an old password table")
    stale.chmod(0o644)
    (tmp_path / f".{cli.CREDENTIALS_FILE}.partial").write_text("left by a crash")

    path = cli.save_credentials(tmp_path, SEEDED)

    assert path == stale
    assert path.read_text(encoding="utf-8") == format_credentials(SEEDED) + "\n"
    assert "fangpin-county" in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [cli.CREDENTIALS_FILE]


def test_up_runs_its_worker_with_quiet_job_logs(settings: Settings) -> None:
    children = cli.up_children(settings)
    assert set(children) >= {"api", "worker"}
    worker = cli.build_parser().parse_args(children["worker"][3:])
    assert worker.command == "worker" and worker.quiet_jobs
    assert not cli.build_parser().parse_args(["worker"]).quiet_jobs  # production keeps arq's job log


@pytest.fixture
def arq_log_levels() -> Iterator[None]:
    yield
    for name in cli.ARQ_JOB_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


def arq_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name.startswith("arq.")]


@pytest.mark.usefixtures("empty_queue", "arq_log_levels")
async def test_quiet_worker_drops_sweep_lines_and_keeps_failures(
    settings: Settings,
    redis: ArqRedis,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await run_workers(settings)  # the delivery sweep runs at start-up
    loud = arq_lines(caplog)
    assert any("cron:notifications_sweep" in line for _, line in loud)  # what buried `up`'s output

    caplog.clear()
    cli.quiet_job_logs()
    await redis.enqueue_job("notifications_deliver", ["not-an-id"], _queue_name=settings.queue_name)
    await run_workers(settings)
    quiet = arq_lines(caplog)
    assert not any("cron:" in line for _, line in quiet)
    [(level, failure)] = quiet
    assert level == logging.ERROR and "notifications_deliver failed" in failure


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("root_logging")
def test_the_api_and_the_wechat_fake_keep_json_logs(settings: Settings, capsys) -> None:
    create_app(settings)  # configures JSON logs; litestar must not put its text format back
    create_fake_app(settings.wechat_appid, settings.wechat_secret)
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on %s", "http://127.0.0.1:8000", extra={"color_message": "\x1b[1m"}
    )
    logging.getLogger("fangpin.test").warning("cases.overdue", extra={"count": 3})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["logger"], line["event"]) for line in lines] == [
        ("uvicorn.error", "Uvicorn running on http://127.0.0.1:8000"),
        ("fangpin.test", "cases.overdue"),
    ]
    assert "color_message" not in lines[0] and lines[1]["count"] == 3


def test_up_restarts_a_crash_looping_child_ever_more_slowly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fangpin.up")
    child = Child("worker", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))
    child.start()
    delays = []
    for _ in range(6):
        assert child.process is not None and child.process.wait(timeout=30) == 3
        now = child.started_at + 1  # died a second after it started: a crash loop
        child.tend(now)
        assert child.restart_at is not None
        delays.append(child.restart_at - now)
        child.tend(child.restart_at - 0.1)  # not yet
        assert child.restart_at is not None
        child.tend(child.restart_at)
    assert [round(d, 6) for d in delays] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]  # float clock arithmetic
    # A child that ran for a while before dying is not looping: the first delay again.
    assert child.process is not None and child.process.wait(timeout=30) == 3
    died_at = child.started_at + supervisor.CHILD_STABLE_S + 1  # a second past: no float-rounding edge
    child.tend(died_at)
    assert child.restart_at == died_at + 1.0
    events = [(r.getMessage(), getattr(r, "exit_code", None)) for r in caplog.records if r.name == "fangpin.up"]
    assert events.count(("up.child_restarted", 3)) == 6 and events.count(("up.child_exited", 3)) == 7
    supervisor.stop_all([child])
