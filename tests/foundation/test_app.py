import socket
import subprocess
import time

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.embedded import redis_server_binary
from schemas.base import Role
from tests.factories import VILLAGE_A1A, World
from tests.processes import free_port


@pytest.fixture
def private_redis(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    process.kill()
    process.wait()


async def test_healthz_reports_redis_down_and_keeps_serving(settings, private_redis) -> None:
    process, url = private_redis
    app = create_app(msgspec.structs.replace(settings, redis_url=url), configure_logs=False)
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/healthz")).status_code == 200
        process.kill()
        process.wait()
        down = await client.get("/healthz")
        assert down.status_code == 503
        assert down.json()["postgres"] == "ok"
        assert down.json()["redis"].startswith("down")
        assert (await client.get("/ping")).status_code == 200


async def test_validation_error_names_fields_in_chinese(client, world: World) -> None:
    response = await client.post(
        "/api/households",
        headers=world.user(Role.county).headers,
        json={"household_no": "X1", "village_code": VILLAGE_A1A, "category": "rich", "members": []},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert "填写" in body["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["detail"] and all(d["field"] for d in body["detail"])


async def test_errors_share_one_shape(client) -> None:
    missing = await client.get("/no/such/route")
    assert missing.status_code == 404 and set(missing.json()) == {"code", "message", "request_id"}
    no_token = await client.get("/api/households")
    assert no_token.status_code == 401 and no_token.json()["code"] == "unauthorized"
    bad_token = await client.get("/api/households", headers={"Authorization": "Bearer nonsense"})
    assert bad_token.status_code == 401 and bad_token.json()["code"] == "token_invalid"


async def test_request_id_is_the_servers_and_the_clients_is_kept_beside_it(client, world: World, pool) -> None:
    county = world.user(Role.county)
    headers = {**county.headers, "X-Request-ID": "anything"}
    response = await client.get(f"/api/households/{world.households['a1a'].id}", headers=headers)
    assert response.status_code == 200
    server_id = response.headers["x-request-id"]
    assert server_id != "anything" and len(server_id) == 32
    revealed = await client.get(
        f"/api/persons/{world.households['a1a'].member_ids[0]}/id-number",
        headers={**county.headers, "X-Request-ID": "x" * 500},
    )
    audited = await pool.fetchrow("SELECT request_id, client_request_id FROM audit_log WHERE action = 'person.id_number.read'")
    assert audited["request_id"] == revealed.headers["x-request-id"]
    assert audited["client_request_id"] == "x" * 64  # length-limited
    entries = await client.get("/api/audit", headers=world.user(Role.admin).headers)
    assert entries.json()["items"][0]["client_request_id"] == "x" * 64


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/no/such/route", 404), ("DELETE", "/ping", 405)])
async def test_unmatched_routes_carry_a_request_id(client, method: str, path: str, status: int) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert response.json()["request_id"] == response.headers["x-request-id"] != "-"


async def test_openapi_schema_is_served(client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/api/households" in response.json()["paths"]
