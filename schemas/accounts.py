"""Log-in, tokens, WeChat binding and the caller's profile (DOMAIN §1, §10, §11)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from schemas.base import SINGLE_LINE, BaseStruct, Name, Role

Secret = Annotated[str, Meta(min_length=1, max_length=200)]
# A password a person chooses (DOMAIN §11); the character rules are backend/accounts/rules.py's.
NewPassword = Annotated[str, Meta(min_length=10, max_length=128, description="至少10位，含字母和数字")]
WxCode = Annotated[str, Meta(min_length=1, max_length=128, description="wx.login / getPhoneNumber 返回的 code")]


class StaffLogin(BaseStruct):
    username: Annotated[str, Meta(min_length=1, max_length=64, pattern=SINGLE_LINE)]
    password: Secret


class RefreshRequest(BaseStruct):
    refresh_token: Secret


class TokenPair(BaseStruct):
    """A short-lived access token (Bearer) and the refresh token that replaces it once."""

    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives
    role: Role
    household_id: int | None = None  # a bound farmer's household; absent until bound
    # The password was handed out by an administrator: only the password change and /me answer
    # until the user chooses their own (POST /api/auth/password).
    must_change_password: bool = False


class PasswordChange(BaseStruct):
    current_password: Secret
    new_password: NewPassword


class WeChatLogin(BaseStruct):
    code: WxCode


class FarmerBind(BaseStruct):
    id_number: Annotated[str, Meta(min_length=15, max_length=20, description="本人居民身份证号")]
    name: Name
    phone_code: WxCode  # from the getPhoneNumber button


class Profile(BaseStruct):
    user_id: int
    role: Role
    display_name: str
    region_code: str | None = None
    region_name: str | None = None
    phone_masked: str | None = None
    household_id: int | None = None
    union_id: int | None = None
    supplier_id: int | None = None
    must_change_password: bool = False
