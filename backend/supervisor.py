"""`fangpin up`'s children (API, worker, WeChat fake): one that dies is started again after a
backoff while the others keep running; the service stops only when the person at the terminal
stops it."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Sequence

log = logging.getLogger("fangpin.up")

RESTART_FIRST_S = 1.0
# A child that cannot start (or a worker without Redis) is retried every half minute, not in a
# tight loop.
RESTART_MAX_S = 30.0
# A child that ran this long before it died is not crash-looping: its next restart waits
# RESTART_FIRST_S again.
CHILD_STABLE_S = 60.0
CHILD_STOP_TIMEOUT_S = 10


def backoff_s(attempt: int, first_s: float = RESTART_FIRST_S, max_s: float = RESTART_MAX_S) -> float:
    """first_s, 2·first_s, 4·first_s … capped at max_s; attempt counts from 1."""
    return min(first_s * 2 ** (attempt - 1), max_s)


class Child:
    """One supervised process, in its own process group so a terminal's Ctrl-C reaches only `up`."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name, self.command, self.env = name, command, env
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.failures = 0  # deaths in a row, each within CHILD_STABLE_S of its start
        self.exit_code: int | None = None
        self.restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env, preexec_fn=os.setpgrp)
        self.started_at = time.monotonic()
        log.info("up.child_started", extra={"child": self.name, "pid": self.process.pid})

    def tend(self, now: float) -> None:
        """Notices a death and schedules the restart, or restarts when the backoff has passed."""
        if self.restart_at is None:
            if self.process is None or (code := self.process.poll()) is None:
                return
            self.failures = 1 if now - self.started_at >= CHILD_STABLE_S else self.failures + 1
            self.exit_code, self.restart_at = code, now + backoff_s(self.failures)
            log.warning(
                "up.child_exited",
                extra={"child": self.name, "exit_code": code, "restart_in_s": backoff_s(self.failures)},
            )
        elif now >= self.restart_at:
            self.restart_at = None
            self.start()
            log.warning(
                "up.child_restarted",
                extra={
                    "child": self.name,
                    "exit_code": self.exit_code,
                    "delay_s": backoff_s(self.failures),
                    "pid": self.process.pid if self.process else None,
                },
            )


def stop_all(children: Sequence[Child]) -> None:
    """SIGTERM to every running child, then SIGKILL to any still running after the timeout."""
    running = [c.process for c in children if c.process is not None and c.process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    for process in running:
        try:
            process.wait(timeout=CHILD_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
