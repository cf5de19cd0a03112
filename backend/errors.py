"""Domain errors and the one handler that renders every failure as ErrorBody.

An error class's name is its machine code (`HouseholdNotFound` → `household_not_found`); its
`message` is Chinese a farmer can read. Domains subclass these in their own `errors.py`.
"""

from __future__ import annotations

import logging
import re
from typing import ClassVar

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException

from backend.observability import current_request_id
from schemas.base import ErrorBody, ErrorDetail

log = logging.getLogger("fangpin.errors")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    message: ClassVar[str] = "请求有误"

    def __init__(self, message: str | None = None, detail: list[ErrorDetail] | None = None) -> None:
        self.message = message or type(self).message
        self.detail = detail
        super().__init__(self.message)

    @property
    def code(self) -> str:
        return _snake(type(self).__name__)


class BadRequest(DomainError):
    status_code = 400


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


class ServiceUnavailable(DomainError):
    status_code = 503
    message = "服务暂时不可用，请稍后再试"


# Framework errors get the same shape, with Chinese messages.
_HTTP_MESSAGES = {
    400: ("bad_request", "请求格式有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "您没有权限进行此操作"),
    404: ("not_found", "没有找到相关信息"),
    405: ("method_not_allowed", "不支持此操作"),
    413: ("payload_too_large", "上传的内容太大"),
    415: ("unsupported_media_type", "不支持的内容格式"),
    429: ("too_many_requests", "操作太频繁，请稍后再试"),
}


def _body(code: str, message: str, detail: list[ErrorDetail] | None = None) -> ErrorBody:
    return ErrorBody(code=code, message=message, detail=detail, request_id=current_request_id())


def _field_name(key: str | None) -> str:
    # msgspec reports "$.members[0].name"; the client wants "members[0].name".
    return (key or "").removeprefix("$.").removeprefix("$") or "body"


def domain_error_handler(_: Request, exc: DomainError) -> Response[ErrorBody]:
    return Response(_body(exc.code, exc.message, exc.detail), status_code=exc.status_code)


def validation_error_handler(_: Request, exc: ValidationException) -> Response[ErrorBody]:
    detail = [
        ErrorDetail(field=_field_name(item.get("key")), reason=str(item.get("message", "")))
        for item in (exc.extra or [])
        if isinstance(item, dict)
    ] or [ErrorDetail(field="body", reason=str(exc.detail))]
    return Response(
        _body("validation_failed", "填写的内容有误，请检查后重新提交", detail), status_code=400
    )


def http_error_handler(_: Request, exc: HTTPException) -> Response[ErrorBody]:
    code, message = _HTTP_MESSAGES.get(exc.status_code, ("error", "请求没有成功"))
    return Response(_body(code, message), status_code=exc.status_code)


def internal_error_handler(request: Request, exc: Exception) -> Response[ErrorBody]:
    log.exception("request.unhandled", extra={"path": request.url.path})
    return Response(_body("internal_error", "系统繁忙，请稍后再试"), status_code=500)


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_error_handler,
    NotFoundException: http_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
