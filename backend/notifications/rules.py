"""Pure rules of notification delivery: WeChat field limits, template rendering, retry schedule,
what a WeChat error code means, and how a batch spends subscribe grants. No I/O here."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from backend.wechat.client import ANSWER_LOST

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# Retry schedule for a delivery that failed for a passing reason (network, WeChat busy): the delay
# before attempt n+1 is RETRY_DELAYS_S[n-1]. After the last one the row ends `failed` and waits for
# an admin. About an hour and a half in all, long enough to ride out a WeChat or network outage.
RETRY_DELAYS_S = (10, 30, 120, 600, 1800, 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS_S) + 1

# A worker owns a claimed row this long; longer than a send can take (HTTP timeout 10 s plus one
# token refresh and retry), so only a worker that died loses its claim.
CLAIM_LEASE_S = 60
STOPPED_WHILE_SENDING = "worker stopped while sending: perhaps delivered, not sent again"

# WeChat subscribeMessage.send error codes (DOMAIN §10, developers.weixin.qq.com sendMessage).
ERRCODE_NO_GRANT = 43101  # user has not granted (or has used up) this template: inbox only
# Retrying cannot help until an admin fixes the template or the user record: fail at once.
PERMANENT_ERRCODES = {
    40003: "openid 无效",
    40037: "模板 id 无效",
    41030: "page 路径不正确",
    47003: "模板参数不正确",
}


class Outcome(enum.StrEnum):
    sent = "sent"
    inbox_only = "inbox_only"
    retry = "retry"
    failed = "failed"
    unconfirmed = "unconfirmed"  # the request went out, its answer did not come back


def outcome_of_errcode(errcode: int) -> Outcome:
    """What a WeChat send failure means for the row (token expiry is handled inside the client)."""
    if errcode == ERRCODE_NO_GRANT:
        return Outcome.inbox_only
    if errcode == ANSWER_LOST:
        return Outcome.unconfirmed  # sending again could deliver it twice
    if errcode in PERMANENT_ERRCODES:
        return Outcome.failed
    return Outcome.retry  # network failure (negative), -1 system busy, 45009 rate limit, ...


def retry_delay_s(attempts: int) -> int | None:
    """Seconds until the next attempt after `attempts` failed ones; None when attempts are used up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS_S[attempts - 1]


# 订阅消息参数值限制 (WeChat subscribe-message docs, "参数值内容限制说明"). Lengths are characters.
@dataclass(frozen=True)
class FieldRule:
    max_chars: int
    drop: re.Pattern[str] | None = None  # characters the platform refuses in this field type
    ellipsis: bool = False  # free text is cut with "…"; codes and numbers are cut plainly


_HAN = r"\u3400-\u9fff"
FIELD_RULES: dict[str, FieldRule] = {
    "thing": FieldRule(20, ellipsis=True),  # 20 个以内字符
    "phrase": FieldRule(5, drop=re.compile(f"[^{_HAN}]")),  # 5 个以内纯汉字
    "character_string": FieldRule(32, drop=re.compile(f"[{_HAN}\\s]")),  # 32 位以内数字、字母或符号
    "number": FieldRule(32, drop=re.compile(r"[^0-9.]")),  # 32 位以内数字，可带小数
    "letter": FieldRule(32, drop=re.compile(r"[^A-Za-z]")),  # 32 位以内字母
    "symbol": FieldRule(5),  # 5 位以内符号
    "phone_number": FieldRule(17, drop=re.compile(r"[^0-9+\-]")),  # 17 位以内数字、符号
    "car_number": FieldRule(8),  # 8 位以内
    "amount": FieldRule(12),  # 1 个币种符号 + 10 位以内数字，可带小数，结尾可带“元”
    "name": FieldRule(20),  # 10 个以内汉字或 20 个以内字母；含汉字按汉字算，see cut_field_value
    "time": FieldRule(40),  # 24 小时制时间，可带年月日，or a range "a~b"
    "date": FieldRule(40),  # 年月日，可带时间，or a range "a~b"
    "enum": FieldRule(20),  # one of the template's enum values
}
NAME_MAX_HAN = 10  # name.DATA: 10 个以内纯汉字 (mixed text counts as Chinese)
EMPTY_VALUE = {"phrase": "无"}  # an empty value is refused (47003); other types get "-"

_FIELD_KEY = re.compile(r"^([a-z_]+?)([0-9]+)$")


def field_type(key: str) -> str | None:
    """`thing1` → `thing`, `character_string12` → `character_string`; None if not a WeChat key."""
    match = _FIELD_KEY.match(key)
    if match is None or match.group(1) not in FIELD_RULES:
        return None
    return match.group(1)


def cut_field_value(kind: str, value: str) -> str:
    """The value as the platform accepts it for a field of this type: refused characters dropped,
    cut to the limit, never empty."""
    rule = FIELD_RULES[kind]
    text = " ".join(value.split())
    if rule.drop is not None:
        text = rule.drop.sub("", text)
    limit = rule.max_chars
    if kind == "name" and re.search(f"[{_HAN}]", text):
        limit = NAME_MAX_HAN
    if len(text) > limit:
        text = text[: limit - 1] + "…" if rule.ellipsis else text[:limit]
    return text or EMPTY_VALUE.get(kind, "-")


# Where a template field takes its value from.
SOURCE_FIXED = ("title", "body", "created_at")
SOURCE_DATA = "data."
SOURCE_LITERAL = "literal:"


def source_problem(source: str) -> str | None:
    """Why a field source is not usable, or None."""
    if source in SOURCE_FIXED:
        return None
    if source.startswith(SOURCE_DATA) and len(source) > len(SOURCE_DATA):
        return None
    if source.startswith(SOURCE_LITERAL) and len(source) > len(SOURCE_LITERAL):
        return None
    return "来源应为 title、body、created_at、data.<字段名> 或 literal:<文字>"


def template_field_problems(fields: Mapping[str, str]) -> dict[str, str]:
    """Field key → reason, for every key or source WeChat or we would refuse."""
    problems: dict[str, str] = {}
    for key, source in fields.items():
        if field_type(key) is None:
            problems[key] = "模板字段名应为类型加编号，如 thing1、phrase2、time3"
        elif (reason := source_problem(source)) is not None:
            problems[key] = reason
    return problems


def format_local_time(kind: str, moment: dt.datetime) -> str:
    local = moment.astimezone(LOCAL_TZ)
    day = f"{local.year}年{local.month}月{local.day}日"
    return day if kind == "date" else f"{day} {local:%H:%M}"


def _parse_moment(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class Message:
    """The parts of a notification a template draws on."""

    title: str
    body: str
    created_at: dt.datetime
    data: Mapping[str, str]
    page: str | None = None


def field_value(kind: str, source: str, message: Message) -> str:
    if source == "created_at":
        return format_local_time(kind, message.created_at)
    if source.startswith(SOURCE_LITERAL):
        return source.removeprefix(SOURCE_LITERAL)
    if source.startswith(SOURCE_DATA):
        value = message.data.get(source.removeprefix(SOURCE_DATA), "")
        if kind in ("time", "date") and (moment := _parse_moment(value)) is not None:
            return format_local_time(kind, moment)
        return value
    return message.title if source == "title" else message.body


def render_fields(fields: Mapping[str, str], message: Message) -> dict[str, str]:
    """Template key → value, cut to the platform's limits."""
    rendered = {}
    for key, source in fields.items():
        kind = field_type(key)
        if kind is not None:
            rendered[key] = cut_field_value(kind, field_value(kind, source, message))
    return rendered


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render_page(template_page: str, message: Message) -> str:
    """The template's page with `{key}` filled from the notification's data; the notification's own
    page when the template names none. WeChat wants it relative ("index?foo=bar"), so no leading "/"."""
    if not template_page:
        return (message.page or "").lstrip("/")
    return _PLACEHOLDER.sub(lambda m: message.data.get(m.group(1), ""), template_page).lstrip("/")


def allocate_grants(
    wanted: Iterable[tuple[int, int, str]], remaining: Mapping[tuple[int, str], int]
) -> set[int]:
    """Which notifications may go to WeChat: `wanted` is (notification id, user id, template id);
    each grant allows one message, oldest notification first."""
    left = dict(remaining)
    chosen = set()
    for notification_id, user_id, template_id in sorted(wanted):
        if left.get((user_id, template_id), 0) > 0:
            left[(user_id, template_id)] -= 1
            chosen.add(notification_id)
    return chosen
