"""API fuzzing: schemathesis draws requests from the app's own OpenAPI document and sends them, as
every role and as no one, through the session's client (so tests/contract.py sees every answer).

Each answer must be no 5xx, a documented status with the documented content type and schema
(schemathesis' not_a_server_error, status_code_conformance, content_type_conformance,
response_headers_conformance, response_schema_conformance), and every refusal the one error
shape: a machine `code` and a Chinese `message`. Besides what schemathesis generates, every
parameter and body field of every operation gets the inputs that have broken APIs before (NUL
in text, integers past 64 bits and at their edge, the last page, floats at their limits, dates
that are no dates). Generation is derandomized: a run sends the same requests as the last.
FANGPIN_FUZZ_EXAMPLES raises the number of generated examples per operation (docs/security.md)."""

from __future__ import annotations

import copy
import functools
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote, unquote

import asyncpg
import msgspec
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from litestar.testing import AsyncTestClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.app import create_app
from backend.boundary import _CONTROL_CHARACTER
from backend.queue import create_redis
from backend.settings import Settings
from schemas.base import INT64_MAX, MAX_PAGE, ErrorBody, Role
from tests.alert_work.conftest import raise_red
from tests.alerts.conftest import Feeds, feeds  # noqa: F401  (fixture)
from tests.applications.conftest import SELF_REPORT
from tests.factories import User, World
from tests.orders.conftest import Market, market  # noqa: F401  (fixture)
from tests.orders.test_api import submit
from tests.photos.conftest import make_application, phone_photo, upload_files

# Valid examples drawn per operation, and half as many invalid ones (validation refuses those the
# same way for every role), each sent as every role.
EXAMPLES = int(os.environ.get("FANGPIN_FUZZ_EXAMPLES", "2"))
EXAMPLES_BY_MODE = {schemathesis.GenerationMode.POSITIVE: EXAMPLES, schemathesis.GenerationMode.NEGATIVE: max(1, EXAMPLES // 2)}
BASE_URL = "http://testserver.local"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
GATES = (400, 401, 403)  # validation, authentication, the role check: before the handler's work
CJK = re.compile(r"[\u4e00-\u9fff]")
ERROR_CODE = re.compile(r"^[a-z][a-z0-9_]*$")

# What has broken APIs before, put in every parameter and body field of its kind. The first two
# kinds backend/boundary.py refuses before authentication, the same for every caller: they are
# sent once, anonymously; the rest reach the handlers, and are sent as every role let in.
NUL_TEXT = "a\x00b"
PAST_BIGINT = (2**64, -(2**63) - 1)
LARGEST_BIGINT = INT64_MAX
HUGE_FLOATS = (1e308, -1e308, 5e-324)
NOT_DATES = ("2026-02-30", "2026-13-01", "0000-00-00", "99999-01-01", "２０２６-０１-０１", "2026-01-01T25:61:00Z")
NOT_MONTHS = ("2026-13", "2026-00", "0000-01", "２０２６-１０")
MONTH_FIELDS = ("month", "period")

SCHEMA = schemathesis.openapi.from_dict(create_app(configure_logs=False).openapi_schema.to_schema())
# A log-out revokes the token the rest of the pass would use: it goes last.
OPERATIONS = sorted((result.ok() for result in SCHEMA.get_all_operations()), key=lambda op: op.path.endswith("/logout"))


def draw(operation: Any, mode: schemathesis.GenerationMode) -> list[Any]:
    cases: list[Any] = []

    @given(operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES_BY_MODE[mode],
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    def collect(case: Any) -> None:
        cases.append(case)

    try:
        collect()
    except Unsatisfiable:  # nothing to negate: an operation without parameters or body
        pass
    if mode is schemathesis.GenerationMode.POSITIVE:
        for case in cases:
            case.query, case.body = without_controls(case.query), without_controls(case.body)
            if case.path_parameters:  # drawn percent-encoded
                case.path_parameters = {
                    name: quote(without_controls(unquote(v)), safe="") if isinstance(v, str) else v
                    for name, v in case.path_parameters.items()
                }
    return cases


def without_controls(value: Any) -> Any:
    """A valid case's text with the control characters the schema allows but backend/boundary.py
    refuses (the hostile pass and the invalid cases send those) each turned into a "?", so that
    valid cases get past the boundary to the handlers."""
    if isinstance(value, str):
        return _CONTROL_CHARACTER.sub("?", value)
    if isinstance(value, dict):
        return {without_controls(k): without_controls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_controls(v) for v in value]
    return value


@functools.cache
def generated() -> list[tuple[Any, list[Any]]]:
    """Each operation with its drawn cases, the same for every role (drawn once a session)."""
    return [(op, draw(op, schemathesis.GenerationMode.POSITIVE) + draw(op, schemathesis.GenerationMode.NEGATIVE))
            for op in OPERATIONS]


# --- the hostile pass: one case per (field, bad value), derived from a valid case -------------


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    components = SCHEMA.raw_schema["components"]["schemas"]
    for _ in range(10):
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
        elif choices := schema.get("oneOf") or schema.get("anyOf"):
            schema = next((s for s in choices if s.get("type") != "null"), choices[0]) | {
                k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")
            }
        else:
            break
    return schema


def bad_values(name: str, schema: dict[str, Any], refused_at_boundary: bool) -> tuple[Any, ...]:
    schema = _resolve(schema)
    kind, form = schema.get("type"), schema.get("format")
    if kind == "integer":
        if refused_at_boundary:
            return PAST_BIGINT
        return (LARGEST_BIGINT, MAX_PAGE) if name == "page" else (LARGEST_BIGINT,)
    if kind == "number":
        return () if refused_at_boundary else HUGE_FLOATS
    if kind != "string" or form == "binary":
        return ()
    if refused_at_boundary:
        return (NUL_TEXT,)
    if form in ("date", "date-time"):
        return NOT_DATES
    return NOT_MONTHS if name in MONTH_FIELDS else ()


def body_fields(schema: dict[str, Any], value: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str, dict]]:
    """(path in the body, field name, schema) of every leaf field of `value`'s shape: object
    properties whether sent or not, the first item of a list that was sent."""
    schema = _resolve(schema)
    if schema.get("type") == "object" or "properties" in schema:
        if not isinstance(value, dict):
            return
        for name, sub in (schema.get("properties") or {}).items():
            yield from body_fields(sub, value.get(name), (*where, name))
    elif schema.get("type") == "array":
        if isinstance(value, list) and value:
            yield from body_fields(schema.get("items", {}), value[0], (*where, 0))
    elif where:
        yield where, str(where[-1]), schema


def _set(body: Any, where: tuple[Any, ...], value: Any) -> Any:
    body = copy.deepcopy(body)
    target = body
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    return body


def hostile(case: Any, refused_at_boundary: bool) -> Iterator[Any]:
    """`case` with one parameter or body field replaced by each bad value of its kind."""
    containers = {"path": "path_parameters", "query": "query", "header": "headers"}
    for parameter in case.operation.definition.raw.get("parameters", []):
        attribute = containers.get(parameter["in"])
        if attribute is None or parameter["name"].lower() == "authorization":
            continue
        for value in bad_values(parameter["name"], parameter.get("schema", {}), refused_at_boundary):
            if parameter["in"] == "header" and not isinstance(value, str):
                continue
            if parameter["in"] == "header" and "\x00" in value:
                continue  # no HTTP client sends a NUL in a header; h11 refuses it before the app
            container = dict(getattr(case, attribute) or {})
            container[parameter["name"]] = value
            yield case.operation.Case(
                **{k: getattr(case, k) for k in ("path_parameters", "query", "headers")} | {attribute: container},
                body=case.body,
                media_type=case.media_type,
            )
    content = (case.operation.definition.raw.get("requestBody") or {}).get("content", {})
    if not isinstance(case.body, dict):
        return
    if "application/json" in content:
        fields = body_fields(content["application/json"].get("schema", {}), case.body)
        changes = [(where, v) for where, name, schema in fields for v in bad_values(name, schema, refused_at_boundary)]
    elif "multipart/form-data" in content and not refused_at_boundary:
        # A form is read by its handler, after authentication: every kind goes to every role.
        fields = body_fields(content["multipart/form-data"].get("schema", {}), case.body)
        changes = [
            (where, v)
            for where, name, schema in fields
            if _resolve(schema).get("format") != "binary"
            for v in (NUL_TEXT, *bad_values(name, schema, False))
        ]
    else:
        return
    for where, value in changes:
        yield case.operation.Case(
            path_parameters=case.path_parameters,
            query=case.query,
            headers=case.headers,
            body=_set(case.body, where, value),
            media_type=case.media_type,
        )


@functools.cache
def hostile_cases(refused_at_boundary: bool) -> list[tuple[Any, list[Any]]]:
    """Derived from each operation's first valid case (hypothesis' simplest: ids of 1, which exist)."""
    return [(op, list(hostile(cases[0], refused_at_boundary))) for op, cases in generated() if cases]


# --- sending and checking -----------------------------------------------------------------------


async def send(client: AsyncTestClient, case: Any, user: User | None) -> Any:
    """The case as schemathesis' own transport would send it, through the session's client."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    headers = {k: v for k, v in kwargs.pop("headers").items() if k.lower() != "authorization"}
    if user is not None:
        headers |= user.headers
    prepared = requests.Request(**kwargs, headers=headers).prepare()
    return await client.request(
        prepared.method or "GET", prepared.url or "", headers=dict(prepared.headers), content=prepared.body
    )


def error_shape_problem(response: Any) -> str | None:
    """Why a refusal is not the one error shape with a Chinese message, or None."""
    if response.status_code < 400:
        return None
    try:
        body = msgspec.json.decode(response.content, type=ErrorBody)
    except msgspec.DecodeError as exc:
        return f"not the error shape: {exc}: {response.content[:200]!r}"
    if not ERROR_CODE.match(body.code):
        return f"code {body.code!r} is not a machine code"
    if not CJK.search(body.message):
        return f"message {body.message!r} ({body.code}) is not Chinese"
    return None


async def check(client: AsyncTestClient, case: Any, user: User | None, found: dict[str, str]) -> int:
    """Sends `case`; what is wrong with the answer goes into `found`, once per kind."""
    response = await send(client, case, user)
    problems = []
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        problems += [f"{type(f).__name__}: {f.title}" for f in group.exceptions]
    if problem := error_shape_problem(response):
        problems.append(problem)
    for problem in problems:
        key = f"{case.operation.label} → {response.status_code} {problem}"
        found.setdefault(key, f"{key}\n    sent: {case.as_curl_command()}\n    got: {response.text[:300]}")
    return response.status_code


async def fuzz(client: AsyncTestClient, user: User | None) -> list[str]:
    """The drawn cases as `user`, then the hostile ones: those that pass the boundary only where
    some drawn case got `user` past validation, authentication and the role check (elsewhere they
    would stop at the same 400, 401 or 403), those it refuses once, anonymously."""
    found: dict[str, str] = {}
    let_in: set[str] = set()
    for operation, cases in generated():
        for case in cases:
            if await check(client, case, user, found) not in GATES:
                let_in.add(operation.label)
    hostile = [(op, cases) for op, cases in hostile_cases(refused_at_boundary=False) if op.label in let_in]
    if user is None:
        hostile += hostile_cases(refused_at_boundary=True)
    for _, cases in hostile:
        for case in cases:
            await check(client, case, user, found)
    return list(found.values())


# --- the world the requests land in ---------------------------------------------------------------


def caller(world: World, m: Market, role: Role | None) -> User | None:
    by_org = {Role.union_buyer: "buyer_a", Role.union_approver: "approver_a", Role.supplier: "supplier_1"}
    if role is None:
        return None
    if role is Role.farmer:
        return world.farmer
    return m.users[by_org[role]] if role in by_org else world.users[role]


@pytest.fixture
async def populated(
    client: AsyncTestClient, pool: asyncpg.Pool, market: Market, feeds: Feeds, settings: Settings  # noqa: F811
) -> AsyncIterator[Market]:
    """The world with a case, a photo, an alert and its batch, an order: ids from 1 hit rows."""
    world = market.world
    assert world.farmer is not None
    response = await client.post(
        "/api/miniapp/farmer/applications",
        json=SELF_REPORT,
        headers={**world.farmer.headers, "Idempotency-Key": "fuzz-world-0001"},
    )
    assert response.status_code == 201, response.text
    async with pool.acquire() as conn:
        await make_application(conn, world.households["b1a"].id, world.other_county[Role.helper].id)
    response = await client.post(
        f"/api/applications/{response.json()['id']}/photos",
        **upload_files(phone_photo()),
        headers=world.users[Role.helper].headers,
    )
    assert response.status_code == 201, response.text
    response = await submit(client, market.users["buyer_a"], {market.products["rice"]: 2}, key="fuzz-world-0002")
    assert response.status_code == 201, response.text
    await raise_red(feeds, "a1a")
    yield market
    # Ids start at 1 again in the next test: the jobs and files this one queued and stored go.
    redis = create_redis(settings)
    jobs = [key async for key in redis.scan_iter(match=f"arq:*:{settings.redis_prefix}*")]
    await redis.delete(settings.queue_name, *jobs)
    await redis.aclose()
    shutil.rmtree(settings.data_path / "photos", ignore_errors=True)


ROLES = [None, *Role]


@pytest.mark.parametrize("role", ROLES, ids=[r.value if r else "anonymous" for r in ROLES])
async def test_fuzzed_requests_get_documented_answers(
    client: AsyncTestClient, populated: Market, role: Role | None
) -> None:
    found = await fuzz(client, caller(populated.world, populated, role))
    assert not found, f"{len(found)} findings as {role or 'anonymous'}:\n" + "\n".join(found)
