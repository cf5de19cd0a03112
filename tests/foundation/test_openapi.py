"""The OpenAPI document is the contract a client is generated from: every error in the one shape,
the bearer scheme where a log-in is needed, uploads as the multipart forms they are, downloads as
CSV, steps answering 200 and creations 201 with a Location. (That every answer the suite sees is
documented is checked by tests/contract.py at the end of the session.)"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.registry.importer.columns import COLUMNS
from schemas.base import INT64_MAX, Role
from tests.factories import World

SPEC = create_app(configure_logs=False).openapi_schema.to_schema()
OPERATIONS = [
    (method.upper(), path, op)
    for path, ops in SPEC["paths"].items()
    for method, op in ops.items()
    if method in ("get", "post", "put", "patch", "delete")
]
PUBLIC = {"StaffLogin", "RefreshTokens", "Logout", "FarmerWeChatLogin", "ServePhoto", "Health", "Ping"}


def _by_id(operation_id: str) -> dict[str, Any]:
    return next(op for _, _, op in OPERATIONS if op["operationId"] == operation_id)


def test_every_error_is_the_real_error_body() -> None:
    error_body = SPEC["components"]["schemas"]["ErrorBody"]
    assert set(error_body["required"]) == {"code", "message", "request_id"}
    assert {"code", "message", "detail", "request_id"} <= set(error_body["properties"])
    for method, path, op in OPERATIONS:
        for status, response in op["responses"].items():
            if int(status) < 400 or (op["operationId"], status) == ("Health", "503"):
                continue  # /healthz answers its own report when a dependency is down
            content = response["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
            assert content["examples"], (method, path, status)  # each code a caller may see
        assert "400" in op["responses"] and "500" in op["responses"], (method, path)


def test_logged_in_operations_name_the_bearer_scheme() -> None:
    scheme = SPEC["components"]["securitySchemes"]["bearer"]
    assert scheme == scheme | {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    for method, path, op in OPERATIONS:
        if op["operationId"] in PUBLIC or path.startswith("/healthz"):
            assert "security" not in op, (method, path)
            continue
        assert op.get("security") == [{"bearer": []}], (method, path)
        codes = {
            e["summary"] for e in op["responses"]["401"]["content"]["application/json"]["examples"].values()
        }
        assert {"unauthorized", "token_expired", "token_revoked"} <= codes, (method, path)
        assert "403" in op["responses"], (method, path)


def test_photo_upload_is_a_multipart_form_with_a_file() -> None:
    for operation_id in ("UploadApplicationPhoto", "UploadHouseholdPhoto"):
        op = next((o for _, _, o in OPERATIONS if o["operationId"] == operation_id), None)
        if op is None:
            continue
        form = op["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"
        assert {"201", "200", "413"} <= set(op["responses"])


def test_reject_reports_are_declared_and_served_as_csv_once() -> None:
    for operation_id in (
        "DownloadRegistryImportRejects",
        "DownloadStaffImportRejects",
        "TakeStaffImportPasswords",
    ):
        assert list(_by_id(operation_id)["responses"]["200"]["content"]) == ["text/csv"]


async def test_reject_report_download_has_one_charset(client: AsyncTestClient, world: World) -> None:
    county = world.user(Role.county)
    header = ",".join(c.key for c in COLUMNS)
    upload = await client.post(
        "/api/registry/imports",
        files={"file": ("bad.csv", f"{header}\nHH-1,,,,,,,,bad,,,,,,,\n".encode())},
        headers=county.headers,
    )
    assert upload.status_code == 201
    report = await client.get(upload.headers["Location"] + "/rejects.csv", headers=county.headers)
    assert report.status_code == 200
    assert report.headers["content-type"] == "text/csv; charset=utf-8"


def test_steps_answer_200_and_creations_201_with_location() -> None:
    for method, path, op in OPERATIONS:
        if method != "POST":
            continue
        success = {s for s in op["responses"] if int(s) < 300}
        if "201" in success:
            assert "Location" in op["responses"]["201"]["headers"], (path, op["operationId"])
        else:
            assert success & {"200", "204"}, (path, op["operationId"])
    for step in (
        "VerifyApplication",
        "ApproveApplication",
        "VerifyAtHome",
        "WithdrawApplication",
        "EndNotice",
    ):
        assert set(_by_id(step)["responses"]) & {"200", "201"} == {"200"}, step
    for creation in (
        "OpenApplication",
        "CreateHousehold",
        "CreateRegion",
        "CreateStaffUser",
        "SubmitApplication",
    ):
        assert "201" in _by_id(creation)["responses"], creation


@pytest.mark.parametrize("status", ["429", "503"])
def test_retry_after_is_documented_where_it_is_sent(status: str) -> None:
    answering = [op for _, _, op in OPERATIONS if status in op["responses"]]
    assert answering
    for op in answering:
        assert "Retry-After" in op["responses"][status]["description"], op["operationId"]


def test_objects_and_numbers_are_documented_as_they_are_checked() -> None:
    """What the API refuses, the document does not allow: unknown fields, and each number's bounds
    (litestar's own generation lost a bound of 0 on optional fields and those of list items)."""
    components = SPEC["components"]["schemas"]
    assert components["ErrorBody"]["additionalProperties"] is False
    submit = components["ApplicationSubmit"]
    assert submit["additionalProperties"] is False
    assert submit["properties"]["declared_income_fen"]["minimum"] == 0
    assert submit["properties"]["photo_ids"]["items"]["exclusiveMinimum"] == 0
    assert submit["properties"]["photo_ids"]["items"]["maximum"] == INT64_MAX  # not the float 2**63
    assert components["BudgetUpdate"]["properties"]["member_count"]["minimum"] == 0


def test_a_path_number_sent_as_text_has_its_404_documented() -> None:
    """litestar's router answers /api/orders/abc with 404 before the operation runs."""
    for _, path, op in OPERATIONS:
        if any(p["in"] == "path" and p["schema"].get("type") == "integer" for p in op.get("parameters", [])):
            assert "404" in op["responses"], (path, op["operationId"])
