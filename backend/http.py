"""Success answers: an action answers 200, a creation 201 with the new object's `Location`."""

from __future__ import annotations

from typing import TypeVar

from litestar import Response
from litestar.datastructures import ResponseHeader

T = TypeVar("T")

# `response_headers=` of a creating route, so that the OpenAPI document shows the header.
LOCATION = [ResponseHeader(name="Location", description="新建对象的地址", documentation_only=True)]


def created(body: T, location: str) -> Response[T]:
    return Response(body, status_code=201, headers={"Location": location})
