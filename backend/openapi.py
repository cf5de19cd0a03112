"""The OpenAPI document: every status an operation can answer, in the one error shape.

A route lists its own errors (`responses=responses(HouseholdNotFound, ...)`, backend/errors.py);
`document_routes` adds, once the app is built, what the whole API shares: the boundary's 400s
(backend/boundary.py) for every operation, 401 and 403 with the bearer scheme where a log-in is
needed, the router's 404 where a path parameter must parse as a number. `ClosedStructSchemaPlugin`
describes request and answer objects as msgspec checks them. tests/contract.py checks every answer
the test suite sees against the document, tests/foundation/test_fuzz.py fuzzes every operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec
from litestar import Litestar
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
    SecurityScheme,
)

from backend import auth, boundary, errors
from backend.deps import provide_caller_conn
from backend.errors import ErrorResponse, error_codes

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition

BEARER = "bearer"


EVERY_OPERATION = (
    errors.ValidationFailed,
    errors.BadRequest,
    errors.BodyMissing,
    errors.BodyNotJson,
    boundary.InputHasControlCharacter,
    boundary.NumberOutOfRange,
    boundary.BodyTooDeep,
    boundary.QueryTooLong,
    errors.PayloadTooLarge,
    errors.RequestBodyTimeout,
    errors.HeadersTooLarge,
    errors.InternalError,
    errors.DatabaseUnavailable,
)
LOGGED_IN = (
    errors.Unauthorized,
    auth.TokenExpired,
    auth.TokenInvalid,
    auth.TokenRevoked,
    errors.Forbidden,
    auth.PasswordChangeRequired,
)
UPLOADS = (errors.PayloadTooLarge,)
# A path segment that does not parse as its type ("/api/orders/abc" for {order_id:int}) matches no
# route: litestar's router answers 404 before the operation runs.
TYPED_PATH = (errors.NotFound,)


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="fangpin 防贫 API",
        version="0.1.0",
        path="/schema",
        render_plugins=[SwaggerRenderPlugin()],
        components=Components(
            security_schemes={
                BEARER: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="POST /api/auth/login 或 /api/miniapp/login 得到的 access_token",
                )
            }
        ),
    )


# A number's bounds as msgspec checks them. litestar drops a bound of 0 on an optional field
# (`Fen | None` lost its minimum: 0 is falsy), every bound of a list's items, and writes INT64_MAX as
# the float 2**63: each a value the document allowed and the API refused.
_BOUNDS = {"ge": "minimum", "gt": "exclusive_minimum", "le": "maximum", "lt": "exclusive_maximum"}


class ClosedStructSchemaPlugin(StructSchemaPlugin):
    """A Struct as the API decodes it: `additionalProperties: false` where it refuses unknown
    fields (schemas.base.BaseStruct; the document promised that a body with an extra field was
    valid), and its numbers' bounds as msgspec checks them."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct = msgspec.inspect.type_info(field_definition.type_)
        assert isinstance(struct, msgspec.inspect.StructType)
        if struct.forbid_unknown_fields:
            schema.additional_properties = False
        for field in struct.fields:
            _copy_bounds(field.type, (schema.properties or {}).get(field.encode_name))
        return schema


def _copy_bounds(exact: msgspec.inspect.Type, documented: object) -> None:
    if not isinstance(documented, Schema):
        return  # a reference: its own component carries its bounds
    if isinstance(exact, msgspec.inspect.UnionType):
        exact = next((t for t in exact.types if not isinstance(t, msgspec.inspect.NoneType)), exact)
    if isinstance(exact, msgspec.inspect.Metadata):  # a description beside the constraints
        exact = exact.type
    if isinstance(exact, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        for bound, attribute in _BOUNDS.items():
            if (value := getattr(exact, bound)) is not None:
                setattr(documented, attribute, value)
    elif isinstance(exact, msgspec.inspect.ListType | msgspec.inspect.SetType | msgspec.inspect.FrozenSetType):
        _copy_bounds(exact.item_type, documented.items)


def multipart_form(file_description: str, **fields: str) -> type[Operation]:
    """`operation_class=` of a route that reads its multipart form itself, as it streams in: the
    body litestar cannot see in the signature, documented as the form it is."""
    properties = {"file": Schema(type=OpenAPIType.STRING, format="binary", description=file_description)}
    properties |= {name: Schema(type=OpenAPIType.STRING, description=text) for name, text in fields.items()}
    body = RequestBody(
        required=True,
        content={
            RequestEncodingType.MULTI_PART.value: OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.OBJECT, required=["file"], properties=properties)
            )
        },
    )

    @dataclass
    class MultipartOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    return MultipartOperation


def needs_login(handler: HTTPRouteHandler) -> bool:
    parameters = handler.parsed_fn_signature.parameters
    if "principal" in parameters:
        return True
    conn = handler.resolve_dependencies().get("conn") if "conn" in parameters else None
    return isinstance(conn, Provide) and conn.dependency is provide_caller_conn


def _is_upload(handler: HTTPRouteHandler) -> bool:
    return issubclass(handler.operation_class, Operation) and handler.operation_class is not Operation


def _merge(
    declared: dict[int, ResponseSpec] | None, shared: dict[int, dict[str, str]]
) -> dict[int, ResponseSpec]:
    merged = dict(declared or {})
    for status, codes in shared.items():
        own = merged.get(status)
        if own is not None and not isinstance(own, ErrorResponse):
            continue  # a route's own description of a non-error answer stays as written
        merged[status] = ErrorResponse(status, (own.codes if own else {}) | codes)
    return merged


def document_routes(app: Litestar) -> None:
    """Adds the shared statuses and the bearer requirement to every route of `app`."""
    for route in app.routes:
        typed_path = any(p.parser is not None for p in route.path_parameters.values())
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler) or not handler.include_in_schema:
                continue
            shared = list(EVERY_OPERATION)
            if needs_login(handler):
                shared += LOGGED_IN
                handler.security = [{BEARER: []}]
            if _is_upload(handler):
                shared += UPLOADS
            if typed_path:
                shared += TYPED_PATH
            handler.responses = _merge(handler.responses, error_codes(*shared))
