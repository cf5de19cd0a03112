"""Account rules without I/O."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.accounts import errors, rules
from backend.auth import Principal
from backend.wechat.client import WeChatError
from schemas.base import Role

PHONE_INDEX = b"\x01" * 32


def person(name: str = "张三", phone_index: bytes | None = PHONE_INDEX) -> dict[str, object]:
    return {"name": name, "head_phone_bidx": phone_index}


@pytest.mark.parametrize("typed", ["张三", " 张 三 ", "张三\u3000"])
def test_names_match_despite_spaces(typed: str) -> None:
    assert rules.identity_matches(person(), typed, PHONE_INDEX)


def test_minority_names_match_with_any_middle_dot() -> None:
    assert rules.identity_matches(person("阿依古丽·买买提"), "阿依古丽•买买提", PHONE_INDEX)


@pytest.mark.parametrize(
    ("registered", "typed", "phone_index"),
    [
        (person(), "张四", PHONE_INDEX),  # another name
        (person(), "张三", b"\x02" * 32),  # another phone
        (person(phone_index=None), "张三", PHONE_INDEX),  # household has no phone on record
        (None, "张三", PHONE_INDEX),  # ID number not registered
    ],
)
def test_any_difference_is_a_mismatch(
    registered: dict[str, object] | None, typed: str, phone_index: bytes
) -> None:
    assert not rules.identity_matches(registered, typed, phone_index)


@pytest.mark.parametrize(
    ("errcode", "login_error", "phone_error"),
    [
        (40029, errors.WechatCodeInvalid, errors.PhoneCodeInvalid),
        (40163, errors.WechatCodeInvalid, errors.PhoneCodeInvalid),
        (45011, errors.WechatRateLimited, errors.WechatPhoneRateLimited),
        (-1, errors.WechatUnavailable, errors.WechatUnavailable),
        (
            40013,
            errors.WechatUnavailable,
            errors.WechatUnavailable,
        ),  # our appid is wrong: not the farmer's fault
    ],
)
def test_wechat_errors_become_errors_a_farmer_understands(
    errcode: int, login_error: type[Exception], phone_error: type[Exception]
) -> None:
    failure = WeChatError(errcode, "x")
    assert type(rules.login_error(failure)) is login_error
    assert type(rules.phone_error(failure)) is phone_error


def test_principal_carries_scope_and_organisation() -> None:
    row = {
        "id": 7,
        "role": "union_buyer",
        "region_code": None,
        "household_id": None,
        "union_id": 3,
        "supplier_id": None,
        "must_change_password": False,
    }
    assert rules.principal_from_user(row) == Principal(user_id=7, role=Role.union_buyer, union_id=3)
    handed_out = rules.principal_from_user({**row, "must_change_password": True})
    assert handed_out.must_change_password


def test_generated_passwords_pass_the_policy_and_differ() -> None:
    passwords = {rules.generate_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 14 and rules.password_problem(p, "zhangsan") is None for p in passwords)
    assert not set("0O1lI") & set("".join(passwords))


def test_password_policy_wants_letters_and_digits_and_not_the_username() -> None:
    assert rules.password_problem("onlyletterslong", "x") == "密码须同时包含字母和数字"
    assert rules.password_problem("1234567890", "x") == "密码须同时包含字母和数字"
    assert rules.password_problem("zhangsan2024!", "zhangsan") == "密码不能包含用户名"
    assert rules.password_problem("Shanshui-2024", "zhangsan") is None


def test_lock_message_shows_china_time() -> None:
    locked = errors.AccountLocked(dt.datetime(2024, 5, 1, 2, 30, tzinfo=dt.UTC))
    assert "10:30" in locked.message and locked.status_code == 423


def test_throttle_message_rounds_minutes_up() -> None:
    assert "2 分钟" in errors.BindingThrottled(61).message
    assert "1 分钟" in errors.BindingThrottled(5).message


def test_refresh_tokens_are_random_and_stored_hashed() -> None:
    first, second = rules.new_refresh_token(), rules.new_refresh_token()
    assert first != second and len(first) >= 43
    assert rules.hash_refresh_token(first) != first.encode() and len(rules.hash_refresh_token(first)) == 32
