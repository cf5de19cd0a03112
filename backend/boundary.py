"""What every request's input must be before a handler sees it, whatever the route's types say.

One check for every string and number the API receives, so a new field or route cannot forget
it: no control character in any text (tab and newline are the only ones a text may hold), no
integer beyond PostgreSQL's bigint, no JSON nested deeper than MAX_JSON_DEPTH. It runs as the
app's `before_request` hook over path parameters, query parameters and the JSON body (before
authentication: a malformed request is refused the same way with or without a token); the
multipart readers (photo upload, registry import) and the import's file cells call `check_text`.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import SerializationException
from litestar.params import BodyKwarg

from backend.errors import BadRequest, HeadersTooLarge
from schemas.base import INT64_MAX, ErrorDetail

# JSON bodies are a few levels deep (a household, its members, a member's fields).
MAX_JSON_DEPTH = 32
# A JSON body is a form's worth of text; files go to the upload routes, which set their own caps.
MAX_JSON_BODY_BYTES = 1_000_000
# Filters and a page fit in a few hundred bytes; 4 KiB leaves room for long Chinese names.
MAX_QUERY_BYTES = 4096
# A token, a content type and a few client headers are about 2 KiB; nginx's default buffers stop at 8.
MAX_HEADER_BYTES = 16 * 1024
# C0 controls but tab and newline, DEL, C1 controls: no one types them, and PostgreSQL cannot
# store NUL in text at all.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORM_BODIES = frozenset({RequestEncodingType.MULTI_PART, RequestEncodingType.URL_ENCODED})


class InputHasControlCharacter(BadRequest):
    message = "填写的内容里有看不见的特殊字符，请删除后重新提交"


class NumberOutOfRange(BadRequest):
    message = "填写的数字太大了，请检查后重新提交"


class QueryTooLong(BadRequest):
    message = "查询条件太长，请缩短后再试"


class BodyTooDeep(BadRequest):
    message = "请求格式有误：层级太多"

    def __init__(self, field: str = "body") -> None:
        super().__init__(detail=[ErrorDetail(field=field, reason=f"嵌套超过 {MAX_JSON_DEPTH} 层")])


def control_character_reason(value: str) -> str | None:
    """Why `value` cannot be stored as text (a control character other than tab or newline)."""
    if found := _CONTROL_CHARACTER.search(value):
        return f"含有控制字符 U+{ord(found.group()):04X}"
    return None


def check_text(value: str, field: str) -> None:
    if reason := control_character_reason(value):
        raise InputHasControlCharacter(detail=[ErrorDetail(field=field, reason=reason)])


def check_value(value: object, field: str = "body") -> None:
    """Every string (keys included) and integer inside a decoded JSON value, walked without
    recursion so that depth itself cannot crash the check."""
    pending: list[tuple[object, str, int]] = [(value, field, 0)]
    while pending:
        item, where, depth = pending.pop()
        if isinstance(item, str):
            check_text(item, where)
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not -INT64_MAX - 1 <= item <= INT64_MAX:
                raise NumberOutOfRange(detail=[ErrorDetail(field=where, reason="超出 64 位整数范围")])
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise BodyTooDeep(where)
            if isinstance(item, dict):
                for key, child in item.items():
                    check_text(key, where)  # JSON keys are strings
                    pending.append((child, _join(where, key), depth + 1))
            else:
                pending.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))


def _is_form(definition: object) -> bool:
    return isinstance(definition, BodyKwarg) and definition.media_type in _FORM_BODIES


def _join(where: str, key: str) -> str:
    return key if where == "body" else f"{where}.{key}"


async def check_request(request: Request[Any, Any, Any]) -> None:
    """The app's before_request hook: path and query parameters always, the body when the route
    takes JSON `data` (whatever Content-Type the client claims: litestar decodes such a body as
    JSON regardless). Form bodies are left to their readers."""
    if sum(len(name) + len(value) for name, value in request.scope["headers"]) > MAX_HEADER_BYTES:
        raise HeadersTooLarge()
    if len(request.scope["query_string"]) > MAX_QUERY_BYTES:
        raise QueryTooLong(detail=[ErrorDetail(field="query", reason=f"超过 {MAX_QUERY_BYTES} 字节")])
    for name, value in request.path_params.items():
        check_value(value, name)
    for name, values in request.query_params.dict().items():
        check_text(name, name)
        for value in values:
            check_text(value, name)
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if data is None or _is_form(data.kwarg_definition) or not await request.body():
        return
    try:
        body = await request.json()
    except RecursionError:
        raise BodyTooDeep() from None
    except SerializationException:
        return  # not JSON at all: the route's own decoding reports it
    check_value(body)
