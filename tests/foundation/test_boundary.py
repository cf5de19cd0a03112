"""Malformed input is refused at the boundary, on every operation the app's own OpenAPI lists:
a NUL (or other control character) in any string, an integer beyond 64 bits anywhere, JSON nested
thousands deep. Each answers 400 in the one error shape and stores nothing. A route added later
is swept the same way without touching this file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from litestar.testing import AsyncTestClient

from backend import boundary
from backend.app import create_app
from schemas.base import Role
from tests.factories import World, table_digests

HUGE = 2**64
NUL = "a\u0000b"
METHODS = ("get", "post", "put", "patch", "delete")


SPEC = create_app(configure_logs=False).openapi_schema.to_schema()
COMPONENTS = SPEC["components"]["schemas"]
OPERATIONS = [
    (method.upper(), path, op)
    for path, ops in SPEC["paths"].items()
    for method, op in ops.items()
    if method in METHODS
]


def _ids(operations: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [op.get("operationId", f"{method} {path}") for method, path, op in operations]


def sample(schema: dict[str, Any], text: Callable[[], Any], number: Callable[[], Any]) -> Any:
    """A value of `schema` with every string from `text()` and every integer from `number()`."""
    if "$ref" in schema:
        return sample(COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]], text, number)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            choices = [s for s in schema[key] if s.get("type") != "null"]
            return sample(choices[0], text, number)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        if not properties and isinstance(schema.get("additionalProperties"), dict):
            return {text(): sample(schema["additionalProperties"], text, number)}
        return {name: sample(sub, text, number) for name, sub in properties.items()}
    if kind == "array":
        return [sample(schema.get("items", {}), text, number)]
    if kind == "integer":
        return number()
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    return text()  # strings, enums, dates: all arrive as JSON strings


def json_body(op: dict[str, Any]) -> dict[str, Any] | None:
    return op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")


def request_for(path: str, op: dict[str, Any], text: Callable[[], Any], number: Callable[[], Any]) -> dict[str, Any]:
    """URL, query and JSON body with every parameter and field filled the same way."""
    query: dict[str, Any] = {}
    for param in op.get("parameters", []):
        value = sample(param["schema"], text, number)
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", quote(str(value), safe=""))
        elif param["in"] == "query":
            query[param["name"]] = str(value).lower() if isinstance(value, bool) else str(value)
    request: dict[str, Any] = {"url": path, "params": query}
    if (schema := json_body(op)) is not None:
        request["json"] = sample(schema, text, number)
    return request


def has(schema: Any, kind: str) -> bool:
    """Whether a parameter or body schema holds a value of this JSON type anywhere."""
    pending: list[Any] = [schema]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            if item.get("type") == kind or (kind == "string" and "enum" in item):
                return True
            if "$ref" in item:
                pending.append(COMPONENTS[item["$ref"].rsplit("/", 1)[-1]])
            pending.extend(v for v in item.values() if isinstance(v, dict | list))
    return False


def slots(op: dict[str, Any]) -> list[Any]:
    params = [p["schema"] for p in op.get("parameters", []) if p["in"] in ("path", "query")]
    return params + ([json_body(op)] if json_body(op) is not None else [])


WITH_TEXT = [o for o in OPERATIONS if any(has(s, "string") for s in slots(o[2]))]
WITH_INTEGERS = [o for o in OPERATIONS if any(has(s, "integer") for s in slots(o[2]))]
WITH_JSON = [o for o in OPERATIONS if json_body(o[2]) is not None]


def assert_refused(response: Any, codes: set[str]) -> dict[str, Any]:
    assert response.status_code == 400, (response.status_code, response.text)
    body = response.json()
    assert set(body) <= {"code", "message", "detail", "request_id"} and body["message"]
    assert body["code"] in codes, body
    assert body["request_id"] == response.headers["x-request-id"]
    return body


class AdminClient:
    """The session's client with a token that passes authentication everywhere, so a refusal is the
    boundary's, not a 401."""

    def __init__(self, client: AsyncTestClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    async def request(self, method: str, url: str, **options: Any) -> Any:
        return await self.client.request(method, url, headers=self.headers, **options)

    async def get(self, url: str, **options: Any) -> Any:
        return await self.request("GET", url, **options)

    async def post(self, url: str, **options: Any) -> Any:
        return await self.request("POST", url, **options)


@pytest.fixture
def admin_client(client: AsyncTestClient, world: World) -> AdminClient:
    return AdminClient(client, world.user(Role.admin).headers)


@pytest.mark.parametrize(("method", "path", "op"), WITH_TEXT, ids=_ids(WITH_TEXT))
async def test_nul_in_every_string_is_refused(admin_client, pool, method: str, path: str, op: dict) -> None:
    before = await table_digests(pool)
    request = request_for(path, op, text=lambda: NUL, number=lambda: 1)
    response = await admin_client.request(method, **request)
    body = assert_refused(response, {"input_has_control_character"})
    assert "U+0000" in body["detail"][0]["reason"]
    assert await table_digests(pool) == before


@pytest.mark.parametrize(("method", "path", "op"), WITH_INTEGERS, ids=_ids(WITH_INTEGERS))
async def test_integer_beyond_64_bits_is_refused(admin_client, pool, method: str, path: str, op: dict) -> None:
    """Every integer at once (the boundary refuses path and body ones), then each integer query
    parameter alone (its bounded type refuses it, naming it)."""
    before = await table_digests(pool)
    everywhere = request_for(path, op, text=lambda: "x", number=lambda: HUGE)
    response = await admin_client.request(method, **everywhere)
    assert_refused(response, {"number_out_of_range", "validation_failed"})
    one_at_a_time = request_for(path, op, text=lambda: "x", number=lambda: 1)
    for param in op.get("parameters", []):
        if param["in"] == "query" and has(param["schema"], "integer"):
            params = {**one_at_a_time["params"], param["name"]: str(HUGE)}
            response = await admin_client.request(method, **{**one_at_a_time, "params": params})
            body = assert_refused(response, {"validation_failed"})
            assert param["name"] in {d["field"] for d in body["detail"]}, body
    assert await table_digests(pool) == before


@pytest.mark.parametrize(("method", "path", "op"), WITH_JSON, ids=_ids(WITH_JSON))
async def test_json_nested_ten_thousand_deep_is_refused(client, pool, method: str, path: str, op: dict) -> None:
    """Without a token: the body is refused before anyone is asked who is calling."""
    before = await table_digests(pool)
    url = request_for(path, op, text=lambda: "x", number=lambda: 1)["url"]
    deep = b"[" * 10_000 + b"]" * 10_000
    response = await client.request(method, url, content=deep, headers={"Content-Type": "application/json"})
    assert_refused(response, {"body_too_deep"})
    assert await table_digests(pool) == before


async def test_page_far_past_the_end_is_refused_not_overflowed(admin_client) -> None:
    response = await admin_client.get("/api/households", params={"page": str(2**62)})
    body = assert_refused(response, {"validation_failed"})
    assert body["detail"][0]["field"] == "page"


@pytest.mark.parametrize("character", ["\u0000", "\u0008", "\u000b", "\u000d", "\u001f", "\u007f", "\u0085"])
def test_control_characters_are_refused(character: str) -> None:
    with pytest.raises(boundary.InputHasControlCharacter):
        boundary.check_text(f"张{character}三", "name")


def test_tab_newline_and_chinese_pass() -> None:
    boundary.check_value({"narrative": "第一行\n第二行\t完", "members": [{"name": "张三"}]})


def test_depth_is_bounded_below_what_python_can_recurse() -> None:
    nested: list[Any] = []
    for _ in range(boundary.MAX_JSON_DEPTH + 1):
        nested = [nested]
    with pytest.raises(boundary.BodyTooDeep):
        boundary.check_value(nested)


async def test_a_json_body_under_another_content_type_is_checked_too(client, pool) -> None:
    """Litestar decodes a JSON route's body as JSON whatever the Content-Type says."""
    response = await client.post(
        "/api/auth/login",
        content=b'{"username": "a\\u0000b", "password": "x"}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_refused(response, {"input_has_control_character"})
    assert await pool.fetchval("SELECT count(*) FROM audit_log") == 0


@pytest.mark.parametrize("name", ["张\t三", "张\n三", "张三\n"])
async def test_names_are_one_line_where_a_narrative_may_break(admin_client, pool, name: str) -> None:
    before = await table_digests(pool)
    response = await admin_client.post("/api/regions", json={"code": "450102001009", "name": name})
    body = assert_refused(response, {"validation_failed"})
    assert body["detail"][0]["field"] == "name"
    assert await table_digests(pool) == before


async def test_a_json_body_beyond_a_megabyte_and_a_long_query_string_are_refused(client) -> None:
    huge = await client.post("/api/auth/login", json={"username": "x" * 1_100_000, "password": "y"})
    assert huge.status_code == 413 and huge.json()["code"] == "payload_too_large"
    assert huge.json()["message"]
    long_query = await client.get("/api/regions", params={"q": "甲" * 2000})
    assert long_query.status_code == 400 and long_query.json()["code"] == "query_too_long"
