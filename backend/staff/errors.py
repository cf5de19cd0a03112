"""Staff account management failures, in words a county's operator can act on."""

from __future__ import annotations

from backend.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from schemas.base import ErrorDetail


class StaffUserNotFound(NotFound):
    message = "没有找到该用户"


class RoleNotAssignable(Forbidden):
    message = "您不能创建或管理该角色的账号"


class RegionOutOfScope(Forbidden):
    message = "该地区不在您的管辖范围内"


class OwnAccount(Forbidden):
    message = "不能停用或重置自己的账号；修改自己的密码请使用“修改密码”"


class UsernameTaken(Conflict):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"用户名“{username}”已被使用，请换一个", [ErrorDetail(field="username", reason="用户名已被使用")]
        )


class StaffUserInvalid(Unprocessable):
    message = "账号信息有误，请检查后重新提交"


class StaffImportNotFound(NotFound):
    message = "没有找到该导入记录"


class PasswordsGone(DomainError):
    status_code = 410
    message = "一次性密码文件只能下载一次，已被下载或已过期；如需密码请为相应用户重置密码"
