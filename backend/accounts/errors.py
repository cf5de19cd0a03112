"""Log-in, token and binding failures. Messages are what a farmer or cadre reads on screen."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from backend.errors import (
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from schemas.base import ErrorDetail

SHOWN_TZ = ZoneInfo("Asia/Shanghai")  # times in messages are China local time


class InvalidCredentials(Unauthorized):
    message = "用户名或密码错误"


class AccountLocked(DomainError):
    status_code = 423

    def __init__(self, locked_until: dt.datetime) -> None:
        shown = locked_until.astimezone(SHOWN_TZ).strftime("%H:%M")
        super().__init__(
            f"密码连续输错次数过多，账号已临时锁定，请在 {shown} 之后再试",
            [ErrorDetail(field="locked_until", reason=locked_until.astimezone(dt.UTC).isoformat())],
        )


class AccountDisabled(Forbidden):
    message = "账号已停用，请联系管理员"


class CurrentPasswordWrong(Unprocessable):
    message = "当前密码不正确"


class PasswordTooWeak(Unprocessable):
    def __init__(self, reason: str) -> None:
        super().__init__(reason, [ErrorDetail(field="new_password", reason=reason)])


class PasswordUnchanged(Unprocessable):
    message = "新密码不能与当前密码相同"


class RefreshTokenInvalid(Unauthorized):
    message = "登录已失效，请重新登录"


class RefreshTokenExpired(Unauthorized):
    message = "登录已过期，请重新登录"


class RefreshTokenReused(Unauthorized):
    message = "检测到登录凭证被重复使用，为保护账号安全已退出登录，请重新登录"


class WechatCodeInvalid(Unauthorized):
    message = "微信登录凭证无效或已过期，请重新打开小程序"


class WechatRateLimited(TooManyRequests):
    message = "微信登录太频繁，请稍后再试"


class WechatPhoneRateLimited(TooManyRequests):
    message = "向微信获取手机号太频繁，暂时无法绑定家庭，请 1 分钟后再授权手机号"


class WechatUnavailable(ServiceUnavailable):
    message = "微信服务暂时不可用，请稍后再试"


class PhoneCodeInvalid(BadRequest):
    message = "没能获取到您的手机号，请重新点击授权手机号"


class IdNumberInvalid(Unprocessable):
    message = "身份证号码格式不正确"


class BindingMismatch(Unprocessable):
    message = "身份信息核对不一致。请确认身份证号和姓名填写正确，并授权户主登记的手机号；仍有问题请联系村委会"


class BindingThrottled(TooManyRequests):
    def __init__(self, retry_after_s: int) -> None:
        minutes = max(1, math.ceil(retry_after_s / 60))
        super().__init__(f"核对失败次数过多，请 {minutes} 分钟后再试，或联系村委会帮助绑定")


class PersonAlreadyBound(Conflict):
    message = "该身份已绑定其他微信账号。如不是您本人操作，请联系村委会"


class AlreadyBoundToOther(Conflict):
    message = "您的微信已绑定其他家庭成员，如需更换请联系村委会"


class ThrottleUnavailable(ServiceUnavailable):
    message = "系统繁忙，暂时无法核对身份，请稍后再试"
