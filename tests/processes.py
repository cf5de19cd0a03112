"""fangpin's own commands as child processes with this test run's settings: the worker (`fangpin
worker`) and the API (`fangpin serve`), to kill, run side by side, or talk to over loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import msgspec

from backend.settings import Settings, env_name


def settings_env(settings: Settings, **overrides: object) -> dict[str, str]:
    """This test run's settings (with `overrides`) as the environment of a `fangpin` child process."""
    env = dict(os.environ)
    for field in Settings.__struct_fields__:
        value = overrides.get(field, getattr(settings, field))
        if isinstance(value, bool):
            env[env_name(field)] = str(value).lower()
        elif isinstance(value, tuple):  # structured settings travel as JSON (the rate limits)
            env[env_name(field)] = msgspec.json.encode(value).decode()
        elif value is not None:
            env[env_name(field)] = str(value)
    return env


class ChildProcess:
    """A `fangpin` command as a child process, its output in `log_path`."""

    def __init__(self, arguments: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", *arguments], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()


class WorkerProcess(ChildProcess):
    """`fangpin worker` with this test run's settings in its environment."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        super().__init__(["worker", "--quiet-jobs"], settings_env(settings), log_path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiProcess(ChildProcess):
    """`fangpin serve` on a port of its own; `url` once it answers /ping."""

    def __init__(self, settings: Settings, log_path: Path, *, start_s: float = 30) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        super().__init__(["serve"], settings_env(settings, host="127.0.0.1", port=port), log_path)
        deadline = time.monotonic() + start_s
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(self.url + "/ping", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"fangpin serve did not answer within {start_s} s: {log_path.read_text()[-2000:]}")


def stop_all(processes: Sequence[ChildProcess]) -> None:
    """SIGTERM to all at once, then wait for each: their graceful shutdowns overlap."""
    for child in processes:
        if child.process.poll() is None:
            child.process.terminate()
    for child in processes:
        child.stop()
