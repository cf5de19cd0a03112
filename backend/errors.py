"""Domain errors and the one handler that renders every failure as ErrorBody.

An error class's name is its machine code (`HouseholdNotFound` → `household_not_found`); its
`message` is Chinese a farmer can read. Domains subclass these in their own `errors.py`.
"""

from __future__ import annotations

import logging
import re
from typing import ClassVar

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, SerializationException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from backend.observability import current_request_id
from schemas.base import ErrorBody, ErrorDetail

log = logging.getLogger("fangpin.errors")

# PostgreSQL went away under a request (a restart, a failover, pg_terminate_backend) or refuses
# new connections for now: a 503 worth retrying, not a 500.
DATABASE_GONE = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.PostgresConnectionError,
    ConnectionError,
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    message: ClassVar[str] = "请求有误"
    # Seconds after which trying again may succeed, sent as Retry-After (429, and a 503 that passes).
    retry_after_s: ClassVar[int | None] = None

    def __init__(
        self,
        message: str | None = None,
        detail: list[ErrorDetail] | None = None,
        *,
        retry_after_s: int | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.detail = detail
        if retry_after_s is not None:
            self.retry_after_s = retry_after_s  # type: ignore[misc]
        super().__init__(self.message)

    @classmethod
    def error_code(cls) -> str:
        return _snake(cls.__name__)

    @property
    def code(self) -> str:
        return self.error_code()


class BadRequest(DomainError):
    status_code = 400
    message = "请求格式有误"


class Unauthorized(DomainError):
    status_code = 401
    message = "请先登录"


class Forbidden(DomainError):
    status_code = 403
    message = "您没有权限进行此操作"


class NotFound(DomainError):
    status_code = 404
    message = "没有找到相关信息"


class Conflict(DomainError):
    status_code = 409
    message = "操作与当前状态冲突，请刷新后重试"


class Unprocessable(DomainError):
    status_code = 422
    message = "填写的内容有误，请检查后重新提交"


class TooManyRequests(DomainError):
    status_code = 429
    message = "操作太频繁，请稍后再试"
    retry_after_s = 60


class ServiceUnavailable(DomainError):
    """A dependency that is down for a while (storage, WeChat, Redis): worth trying again later."""

    status_code = 503
    message = "服务暂时不可用，请稍后再试"
    retry_after_s = 30


# Framework errors get the same shape: these name their codes and Chinese messages.
class ValidationFailed(BadRequest):
    message = "填写的内容有误，请检查后重新提交"


class BodyMissing(BadRequest):
    message = "请求内容为空，请填写后重新提交"


class BodyNotJson(BadRequest):
    message = "请求内容不是有效的 JSON"


class MethodNotAllowed(DomainError):
    status_code = 405
    message = "不支持此操作"


class HeadersTooLarge(DomainError):
    status_code = 431
    message = "请求头太大，请清理后重试"


class RequestBodyTimeout(DomainError):
    """The client stopped sending its body half-way (a dead link, or a client dripping bytes to
    hold a connection): the request is answered and its connection freed."""

    status_code = 408
    message = "网络太慢，内容没有传完，请在信号好的地方重试"


class PayloadTooLarge(DomainError):
    status_code = 413
    message = "上传的内容太大"


class UnsupportedMediaType(DomainError):
    status_code = 415
    message = "不支持的内容格式"


class InternalError(DomainError):
    status_code = 500
    message = "系统繁忙，请稍后再试"


class DatabaseUnavailable(ServiceUnavailable):
    """The connection to PostgreSQL was lost or refused mid-request: the transaction rolled back
    with it, so nothing was half-written, and the pool opens a fresh connection for the next."""

    message = "系统繁忙，请稍后再试"
    retry_after_s = 5


_HTTP_ERRORS: dict[int, type[DomainError]] = {
    error.status_code: error
    for error in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        PayloadTooLarge,
        UnsupportedMediaType,
        TooManyRequests,
    )
}


def _body(code: str, message: str, detail: list[ErrorDetail] | None = None) -> ErrorBody:
    return ErrorBody(code=code, message=message, detail=detail, request_id=current_request_id())


def _field_name(key: str | None) -> str:
    # msgspec reports "$.members[0].name"; the client wants "members[0].name". litestar names the
    # whole body "data" (the handler's parameter), which the client never sent.
    name = (key or "").removeprefix("$.").removeprefix("$")
    return "body" if name in ("", "data") else name


# msgspec's messages, in words a farmer can read; the field comes out of the message where it
# names one ("Object missing required field `name`").
_MSGSPEC_REASONS = (
    (re.compile(r"^Object missing required field `(?P<field>[^`]+)`"), "必须填写"),
    (re.compile(r"^Object contains unknown field `(?P<field>[^`]+)`"), "不认识的字段，请删除"),
    (re.compile(r"^Expected `(?P<want>\w+)`, got `(?P<got>\w+)`"), "应为{want}，收到的是{got}"),
    (re.compile(r"^Expected `(?P<want>\w+)` of length (?P<op>[<>]=) (?P<n>\d+)"), "长度应{op} {n}"),
    (re.compile(r"^Expected `(?P<want>\w+)` (?P<op>[<>]=?) (?P<n>-?[\d.]+)"), "应{op} {n}"),
    (re.compile(r"^Expected `str` matching regex"), "格式不正确"),
    (re.compile(r"^Invalid enum value '(?P<got>[^']*)'"), "不是可选的值：{got}"),
)
_TYPE_WORDS = {
    "object": "对象",
    "array": "列表",
    "str": "文字",
    "int": "整数",
    "float": "数字",
    "bool": "是/否",
    "null": "空值",
    "date": "日期",
    "datetime": "时间",
}
_OP_WORDS = {"<=": "不超过", ">=": "不少于", "<": "小于", ">": "大于"}


def _detail(field: str, message: str) -> ErrorDetail:
    text = message.split(" - at `", 1)[0]
    for pattern, reason in _MSGSPEC_REASONS:
        if m := pattern.match(text):
            words = {k: _TYPE_WORDS.get(v, _OP_WORDS.get(v, v)) for k, v in m.groupdict().items()}
            own = words.pop("field", None)
            return ErrorDetail(
                field=own if field == "body" and own else _join(field, own), reason=reason.format(**words)
            )
    return ErrorDetail(field=field, reason=message)


def _join(field: str, child: str | None) -> str:
    if not child:
        return field
    return child if field == "body" else f"{field}.{child}"


def domain_error_handler(_: Request, exc: DomainError) -> Response[ErrorBody]:
    headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s is not None else None
    return Response(_body(exc.code, exc.message, exc.detail), status_code=exc.status_code, headers=headers)


def validation_error_handler(request: Request, exc: ValidationException) -> Response[ErrorBody]:
    problems = [item for item in (exc.extra or []) if isinstance(item, dict)]
    if any(item.get("key") == "data" and item.get("message") == "'data'" for item in problems):
        return domain_error_handler(
            request, BodyMissing(detail=[ErrorDetail(field="body", reason="缺少请求内容")])
        )
    detail = [_detail(_field_name(item.get("key")), str(item.get("message", ""))) for item in problems]
    return domain_error_handler(
        request, ValidationFailed(detail=detail or [_detail("body", str(exc.detail))])
    )


def http_error_handler(request: Request, exc: HTTPException) -> Response[ErrorBody]:
    if isinstance(exc.__cause__, SerializationException):
        return domain_error_handler(request, BodyNotJson())
    error = _HTTP_ERRORS.get(exc.status_code)
    if error is None:
        return Response(_body("error", "请求没有成功"), status_code=exc.status_code)
    return domain_error_handler(request, error())


def _database_gone(exc: BaseException) -> bool:
    """The error, or what it was raised from or while handling (closing a transaction on a dead
    connection raises InterfaceError in the middle of handling the lost connection)."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, DATABASE_GONE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def internal_error_handler(request: Request, exc: Exception) -> Response[ErrorBody]:
    if _database_gone(exc):
        log.warning("request.database_unavailable", extra={"path": request.url.path, "error": str(type(exc))})
        return domain_error_handler(request, DatabaseUnavailable())
    log.exception("request.unhandled", extra={"path": request.url.path})
    return domain_error_handler(request, InternalError())


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_error_handler,
    NotFoundException: http_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}


class ErrorResponse(ResponseSpec):
    """The OpenAPI answer for one status: ErrorBody, with the codes it can carry as examples."""

    def __init__(self, status_code: int, codes: dict[str, str]) -> None:
        super().__init__(
            data_container=ErrorBody,
            generate_examples=False,
            description="；".join(f"`{code}` {message}" for code, message in sorted(codes.items()))
            + ("。响应头 Retry-After 给出多少秒后可以再试" if status_code in (429, 503) else ""),
            examples=[
                Example(summary=code, value={"code": code, "message": message, "request_id": "7f3c…"})
                for code, message in sorted(codes.items())
            ],
        )
        self.status_code = status_code
        self.codes = codes


def error_codes(*errors: type[DomainError]) -> dict[int, dict[str, str]]:
    """{status: {code: message}} of the given error classes."""
    by_status: dict[int, dict[str, str]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, {})[error.error_code()] = error.message
    return by_status


def responses(*errors: type[DomainError]) -> dict[int, ResponseSpec]:
    """`responses=` of a route: each status the listed errors answer, with their codes.

    backend/openapi.py adds what every route can answer (the boundary's 400s, 401 and 403 where a
    log-in is needed) when the app is built.
    """
    return {status: ErrorResponse(status, codes) for status, codes in error_codes(*errors).items()}
