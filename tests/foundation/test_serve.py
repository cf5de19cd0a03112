"""`fangpin serve` runs the app on the ASGI server FANGPIN_HTTP_SERVER names (uvicorn, the default,
or granian; docs/performance.md): each answers, logs JSON only and stops cleanly on SIGTERM."""

import signal
from pathlib import Path

import httpx
import pytest

from backend.settings import Settings
from tests.foundation.test_outage import Fangpin, env_for, free_port, until


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
async def test_serve_answers_on_each_http_server_and_stops_cleanly(
    settings: Settings, tmp_path: Path, server: str
) -> None:
    port = free_port()
    api = Fangpin(["serve"], env_for(settings, port=str(port), http_server=server), tmp_path)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def healthy() -> bool:
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await until(healthy, f"{server} serving /healthz")
            ping = await client.get("/ping")
            assert ping.status_code == 200 and ping.headers["x-request-id"]
            missing = await client.get("/no-such-route")
            assert missing.status_code == 404 and missing.json()["code"]
            assert missing.headers["x-content-type-options"] == "nosniff"
    finally:
        # uvicorn re-raises the SIGTERM it handled once it has shut down; granian exits 0.
        assert api.stop() in (0, -signal.SIGTERM)
    # Each line JSON (or lines() fails), none of them a crash.
    assert not [line for line in api.lines() if line["event"] == "process.crashed" or "exc" in line]
