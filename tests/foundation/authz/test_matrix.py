"""The authorization matrix (issue 19): every operation whose path names an object, called by every
role on an object just outside that role's scope, answers 403 or 404 and changes no row of any
table; one caller inside gets the operation done, which proves the object and the body are real.
So does every query parameter and body property that names an object (matrix_refs.py), where a
list filter may also answer 200 listing nothing.

The operations come from the app's OpenAPI document; the matrix (matrix_*.py) says for each how
to build its object at a spot and the body it accepts. docs/security.md "Authorization matrix".
"""

from __future__ import annotations

import functools
import io
import re
from typing import Any

import asyncpg
import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from schemas.base import Role
from tests.factories import User, table_digests
from tests.foundation.authz import (
    matrix_cases,
    matrix_market,
    matrix_photos,
    matrix_records,
    matrix_refs,
    matrix_work,
)
from tests.foundation.authz.op import Op
from tests.foundation.authz.scene import Scene, Spot
from tests.photos.conftest import phone_photo

MATRIX: dict[str, Op] = {
    **matrix_cases.OPS,
    **matrix_records.OPS,
    **matrix_work.OPS,
    **matrix_market.OPS,
    **matrix_photos.OPS,
}
assert len(MATRIX) == sum(
    len(m.OPS) for m in (matrix_cases, matrix_records, matrix_work, matrix_market, matrix_photos)
), "an operation is in two matrix modules"

# Tables a refused request may change and so left out of the before/after comparison.
# (None: no refusal writes anything — audit_log records what was done, not what was refused.)
REFUSED = (403, 404)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Query parameters and body properties named like a reference to an object.
REFERENCE = re.compile(
    r"(_id|_ids)$|^(ids|household|household_no|assignee|id_number)$"  # objects (a person by id number)
    r"|^(region|village|township|root|origin_county)$|(region|village|county)_code$"  # regions, by code
)
# References the matrix leaves out, each with the reason.
NOT_REFERENCES = frozenset(
    {
        "CreateHousehold household_no",  # the new household's own number, not one that exists
        "CreateHousehold members[].id_number",  # likewise its new members' (a taken one is refused as such)
        "FarmerBindHousehold id_number",  # the farmer's own, checked with name and phone: the login itself
        "PutNotificationTemplate template_id",  # the WeChat template's id on WeChat's side
        "ListCatalog origin_county",  # where a product comes from: the catalogue is every union's
        "CreateProduct origin_county_code",  # likewise, the product's origin (a county of any province)
        "ListVisitBoardItems region",  # its path row (matrix_work.py) already names the outside region
        # A multipart upload (the matrix sends JSON or a photo): tests/feeds/test_api.py refuses
        # another county's region_code with 403 feed_region_out_of_scope.
        "UploadFeedBatch region_code",
    }
)


@functools.cache
def document(app: Litestar) -> dict[str, Any]:
    return app.openapi_schema.to_schema()


@functools.cache
def operations(app: Litestar) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId → (method, path, its OpenAPI operation) of every operation."""
    found = {}
    for path, item in document(app)["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = (method.upper(), path, operation)
    return found


def operations_with_ids(app: Litestar) -> dict[str, tuple[str, str]]:
    """operationId → (method, path) of every operation whose path takes a parameter."""
    return {o: (method, path) for o, (method, path, _) in operations(app).items() if "{" in path}


def _properties(schema: dict[str, Any], components: dict[str, Any], prefix: str = "") -> list[str]:
    """Every property of a body schema, nested ones as `lines[].product_id`."""
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    names = []
    for sub in schema.get("oneOf", []) + schema.get("anyOf", []) + schema.get("allOf", []):
        names += _properties(sub, components, prefix)
    if "items" in schema:
        names += _properties(schema["items"], components, f"{prefix}[]")
    for name, sub in schema.get("properties", {}).items():
        full = f"{prefix}.{name}" if prefix else name
        names += [full, *_properties(sub, components, full)]
    return names


def _body_names(app: Litestar, operation: dict[str, Any]) -> list[str]:
    components = document(app).get("components", {}).get("schemas", {})
    content = operation.get("requestBody", {}).get("content", {}).values()
    return [name for c in content for name in _properties(c.get("schema", {}), components)]


@functools.cache
def body_properties(app: Litestar, operation_id: str) -> frozenset[str]:
    """The top-level properties of the operation's JSON body."""
    names = _body_names(app, operations(app)[operation_id][2])
    return frozenset(n for n in names if "." not in n and "[" not in n)


@functools.cache
def references(app: Litestar) -> dict[str, tuple[str, str]]:
    """"OperationId name" → (method, path) of every query parameter and body property named like a reference."""
    found = {}
    for operation_id, (method, path, operation) in operations(app).items():
        query = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
        for name in query + _body_names(app, operation):
            if REFERENCE.search(name.rsplit(".", 1)[-1]):
                found[f"{operation_id} {name}"] = (method, path)
    return found


@functools.cache
def photo_bytes() -> bytes:
    return phone_photo(seed=19)


async def send(
    client: AsyncTestClient, operation_id: str, op: Op, scene: Scene, spot: Spot, target: dict[str, Any], user: User
) -> Any:
    method, template, _ = operations(client.app)[operation_id]
    names = set(re.findall(r"{(\w+)}", template))
    path = template.format(**{k: v for k, v in target.items() if k in names})
    in_body = {k: v for k, v in target.items() if k in body_properties(client.app, operation_id)}
    query = {k: v for k, v in target.items() if k not in names and k not in in_body} or None
    headers = {**user.headers, **op.headers}
    if op.photo_upload:
        files = {"file": ("photo.jpg", photo_bytes(), "application/octet-stream")}
        return await client.request(method, path, params=query, files=files, headers=headers)
    body = {**(op.json_for(scene, spot) or {}), **in_body} if in_body else op.json_for(scene, spot)
    return await client.request(method, path, params=query, json=body, headers=headers)


def listed(response: Any) -> list[Any]:
    """The items of a list's answer (a page's, the list itself, a spreadsheet's rows under its header)."""
    if response.headers.get("content-type", "").startswith(XLSX):
        return list(openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows())[1:]
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


def unknown(value: Any) -> Any:
    """A reference like `value` to nothing: an id, ids or a region code no row has."""
    if isinstance(value, list):
        return [unknown(v) for v in value]
    return 2**62 if isinstance(value, int) else "990000000000"


def refused(op: Op, response: Any) -> bool:
    """403/404; a list filter's 200 listing nothing; the row's documented 422."""
    if response.status_code in REFUSED:
        return True
    if op.lists and response.status_code == 200:
        return not listed(response)
    return op.refusal is not None and response.status_code == 422 and response.json()["code"] == op.refusal


def test_every_operation_with_an_id_is_in_the_matrix(client: AsyncTestClient) -> None:
    operations = operations_with_ids(client.app)
    missing = sorted(set(operations) - set(MATRIX))
    assert not missing, (
        "operations taking an id in their path that the authorization matrix does not cover — add each to "
        "tests/foundation/authz/matrix_*.py with its object and body (docs/security.md): "
        + ", ".join(f"{o} ({' '.join(operations[o])})" for o in missing)
    )
    stale = sorted(set(MATRIX) - set(operations))
    assert not stale, f"matrix rows for operations the app no longer has: {stale}"


def test_every_reference_to_an_object_is_in_the_matrix(client: AsyncTestClient) -> None:
    found = references(client.app)
    missing = sorted(set(found) - set(matrix_refs.OPS) - NOT_REFERENCES)
    assert not missing, (
        "query parameters or body properties naming an object that the authorization matrix does not cover — "
        "add each to tests/foundation/authz/matrix_refs.py (docs/security.md): "
        + ", ".join(f"{r} ({' '.join(found[r])})" for r in missing)
    )
    stale = sorted((set(matrix_refs.OPS) | NOT_REFERENCES) - set(found))
    assert not stale, f"matrix rows or NOT_REFERENCES for references the app no longer has: {stale}"


@pytest.mark.parametrize("operation_id", sorted(MATRIX))
async def test_outside_scope_is_refused_and_changes_nothing(
    operation_id: str, client: AsyncTestClient, scene: Scene, pool: asyncpg.Pool
) -> None:
    await check(MATRIX[operation_id], operation_id, client, scene, pool)


@pytest.mark.parametrize("reference", sorted(matrix_refs.OPS))
async def test_outside_reference_is_refused_and_changes_nothing(
    reference: str, client: AsyncTestClient, scene: Scene, pool: asyncpg.Pool
) -> None:
    await check(matrix_refs.OPS[reference], reference, client, scene, pool)


async def check(op: Op, row: str, client: AsyncTestClient, scene: Scene, pool: asyncpg.Pool) -> None:
    """The row's outside callers are refused and change nothing; its insider gets it done."""
    operation_id = row.split()[0]
    objects: dict[Spot, dict[str, Any]] = {}
    for spot in [*(s for role in Role for s in op.outside(role)), op.insider_spot]:
        if spot not in objects:
            objects[spot] = await op.build(scene, spot)

    before = await table_digests(pool)
    leaks = []
    for role in Role:
        for spot in op.outside(role):
            response = await send(client, operation_id, op, scene, spot, objects[spot], scene.caller(role))
            if not refused(op, response):
                leaks.append(f"{role} on the {spot} object: {response.status_code} {response.text[:300]}")
    if op.refusal:  # the 422 must tell an outside object from none at all no better than the insider could
        home = objects[op.insider_spot]
        name = re.split(r"[.\[]", row.split()[1])[0]
        response = await send(client, operation_id, op, scene, op.insider_spot, {**home, name: unknown(home[name])},
                              scene.caller(op.insider))
        if response.status_code != 422 or response.json()["code"] != op.refusal:
            leaks.append(f"{op.insider} naming no object gets another answer: {response.text[:300]}")
    after = await table_digests(pool)
    changed = sorted(t for t in before if before[t] != after.get(t))
    assert not leaks, f"{row} outside the caller's scope:\n" + "\n".join(leaks)
    assert not changed, f"{row}: refused requests changed {changed}"

    insider = scene.caller(op.insider)
    spot = op.insider_spot
    response = await send(client, operation_id, op, scene, spot, objects[spot], insider)
    assert 200 <= response.status_code < 300, f"{row} by {op.insider} inside: {response.text[:500]}"
    assert not op.lists or listed(response), f"{row} by {op.insider} inside listed nothing"
