"""The authorization matrix (issue 19): every operation whose path names an object, called by every
role on an object just outside that role's scope, answers 403 or 404 and changes no row of any
table; one caller inside gets the operation done, which proves the object and the body are real.

The operations come from the app's OpenAPI document; the matrix (matrix_*.py) says for each how
to build its object at a spot and the body it accepts. docs/security.md "Authorization matrix".
"""

from __future__ import annotations

import functools
import re
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from schemas.base import Role
from tests.factories import User
from tests.foundation.authz import matrix_cases, matrix_market, matrix_photos, matrix_records, matrix_work
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
UNCOMPARED_TABLES: frozenset[str] = frozenset()

REFUSED = (403, 404)


@functools.cache
def operations_with_ids(app: Litestar) -> dict[str, tuple[str, str]]:
    """operationId → (method, path) of every operation whose path takes a parameter."""
    found = {}
    for path, item in app.openapi_schema.to_schema()["paths"].items():
        for method, operation in item.items():
            if "{" in path and isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = (method.upper(), path)
    return found


async def table_digests(pool: asyncpg.Pool) -> dict[str, str]:
    """md5 of each public table's rows, in a stable order."""
    tables = await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    query = " UNION ALL ".join(
        f"SELECT '{t}' AS t, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x"
        for (t,) in tables
        if t not in UNCOMPARED_TABLES
    )
    return {r[0]: r[1] for r in await pool.fetch(query)}


@functools.cache
def photo_bytes() -> bytes:
    return phone_photo(seed=19)


async def send(
    client: AsyncTestClient, method: str, template: str, op: Op, scene: Scene, spot: Spot, target: dict[str, Any],
    user: User,
) -> Any:
    names = set(re.findall(r"{(\w+)}", template))
    path = template.format(**{k: v for k, v in target.items() if k in names})
    query = {k: v for k, v in target.items() if k not in names} or None
    if op.photo_upload:
        files = {"file": ("photo.jpg", photo_bytes(), "application/octet-stream")}
        return await client.request(method, path, params=query, files=files, headers=user.headers)
    body = op.json_for(scene, spot)
    return await client.request(method, path, params=query, json=body, headers=user.headers)


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


@pytest.mark.parametrize("operation_id", sorted(MATRIX))
async def test_outside_scope_is_refused_and_changes_nothing(
    operation_id: str, client: AsyncTestClient, scene: Scene, pool: asyncpg.Pool
) -> None:
    method, template = operations_with_ids(client.app)[operation_id]
    op = MATRIX[operation_id]
    objects: dict[Spot, dict[str, Any]] = {}
    for spot in [*(s for role in Role for s in op.outside(role)), op.insider_spot]:
        if spot not in objects:
            objects[spot] = await op.build(scene, spot)

    before = await table_digests(pool)
    leaks = []
    for role in Role:
        for spot in op.outside(role):
            response = await send(client, method, template, op, scene, spot, objects[spot], scene.caller(role))
            if response.status_code not in REFUSED:
                leaks.append(f"{role} on the {spot} object: {response.status_code} {response.text[:300]}")
    after = await table_digests(pool)
    changed = sorted(t for t in before if before[t] != after.get(t))
    assert not leaks, f"{operation_id} outside the caller's scope:\n" + "\n".join(leaks)
    assert not changed, f"{operation_id}: refused requests changed {changed}"

    insider = scene.caller(op.insider)
    spot = op.insider_spot
    response = await send(client, method, template, op, scene, spot, objects[spot], insider)
    assert 200 <= response.status_code < 300, f"{operation_id} by {op.insider} inside: {response.text[:500]}"
