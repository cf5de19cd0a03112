"""Account policy (DOMAIN §11) as named constants, and the pure parts of log-in and binding."""

from __future__ import annotations

import functools
import hashlib
import secrets
import unicodedata
from collections.abc import Mapping
from typing import Any

from backend.accounts import errors
from backend.auth import Principal
from backend.errors import DomainError
from backend.passwords import hash_password
from backend.wechat import client as wx
from schemas.base import Role

# DOMAIN §11 "repeated failures lock the account for a while": 5 wrong passwords in a row lock
# a staff account for 15 minutes (等保三级 login-failure handling).
MAX_FAILED_LOGINS = 5
LOCKOUT_S = 15 * 60
# Binding to a registry person is guessable by trying ID numbers: at most 5 failed checks per
# WeChat account per hour, counted from the first failure.
BIND_MAX_FAILURES = 5
BIND_FAILURE_WINDOW_S = 3600
REFRESH_TOKEN_BYTES = 32  # 256 bits: a plain SHA-256 is enough to store it
# A chosen password (等保三级 identity check: length and complexity): at least 10 characters
# (schemas.accounts.NewPassword) with letters and digits, not the username.
# Handed-out passwords: 3 groups of 4 from letters and digits nobody misreads on paper (no 0/O,
# 1/l/I): 12 characters of a 54-symbol alphabet, about 69 bits, kept only until first log-in.
GENERATED_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_PASSWORD_GROUPS = 3
GENERATED_GROUP_CHARS = 4

# WeChat login errcodes that mean "this code is no good": expired, used (40163), or a user
# WeChat has flagged as high-risk (40226). Anything else not listed is WeChat's trouble, not theirs.
CODE_REJECTED = frozenset({wx.INVALID_CODE, 40163, 40226})


def principal_from_user(user: Mapping[str, Any]) -> Principal:
    """The token identity of a users row: role with its region, household, union or supplier."""
    return Principal(
        user_id=user["id"],
        role=Role(user["role"]),
        region_code=user["region_code"],
        household_id=user["household_id"],
        union_id=user["union_id"],
        supplier_id=user["supplier_id"],
        must_change_password=user["must_change_password"],
    )


def password_problem(password: str, username: str) -> str | None:
    """Why a password someone chose is refused (Chinese), or None when it is good enough."""
    if not any(c.isascii() and c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        return "密码须同时包含字母和数字"
    if username and username.lower() in password.lower():
        return "密码不能包含用户名"
    return None


def generate_password() -> str:
    """A one-time password for an administrator to hand over, e.g. `k7Qm-x3Rp-9tWz`."""
    while True:
        groups = [
            "".join(secrets.choice(GENERATED_PASSWORD_ALPHABET) for _ in range(GENERATED_GROUP_CHARS))
            for _ in range(GENERATED_PASSWORD_GROUPS)
        ]
        password = "-".join(groups)
        if password_problem(password, "") is None:
            return password


def new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def hash_refresh_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@functools.cache
def decoy_password_hash() -> str:
    """Checked against when the username is unknown, so both cases take the same time."""
    return hash_password(secrets.token_urlsafe(16))


def normalize_name(name: str) -> str:
    # Full-width letters, stray spaces and the several middle dots of minority names (·・•) compare equal.
    folded = unicodedata.normalize("NFKC", name)
    return "".join(folded.split()).replace("・", "·").replace("•", "·")


def identity_matches(person: Mapping[str, Any] | None, name: str, phone_index: bytes) -> bool:
    """Binding rule: the ID number is registered, the name is that person's, and the phone WeChat
    vouches for is the one registered for the person's household (the head's phone)."""
    return (
        person is not None
        and normalize_name(person["name"]) == normalize_name(name)
        and person["head_phone_bidx"] is not None
        and secrets.compare_digest(bytes(person["head_phone_bidx"]), phone_index)
    )


def login_error(exc: wx.WeChatError) -> DomainError:
    """What a farmer is told when wx.login's code cannot be exchanged."""
    if exc.errcode in CODE_REJECTED:
        return errors.WechatCodeInvalid()
    if exc.errcode == wx.RATE_LIMITED:
        return errors.WechatRateLimited()
    return errors.WechatUnavailable()


def phone_error(exc: wx.WeChatError) -> DomainError:
    if exc.errcode in CODE_REJECTED:
        return errors.PhoneCodeInvalid()
    if exc.errcode == wx.RATE_LIMITED:
        return errors.WechatPhoneRateLimited()
    return errors.WechatUnavailable()
