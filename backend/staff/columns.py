"""The staff list file (CSV or XLSX, read by backend/tabular): one row per account. Headers may be
the English keys or the Chinese labels; roles and feeds may be codes or the words a county uses.
No I/O here."""

from __future__ import annotations

import re

import msgspec

from backend.staff import rules
from backend.tabular import Column, RawRow
from schemas.base import ImportReject, Role
from schemas.feeds import FeedCode

MAX_STAFF_IMPORT_ROWS = 2_000  # a county's helpers, officers and committees; each needs an argon2 hash
MAX_STAFF_IMPORT_BYTES = 2 * 1024 * 1024

COLUMNS = (
    Column("username", "用户名", required=True),
    Column("display_name", "姓名", required=True),
    Column("role", "角色", required=True),
    Column("region_code", "区划代码"),
    Column("phone", "手机号"),
    Column("department_feeds", "数据类型"),
)
ROLE_WORDS = {
    "帮扶干部": Role.helper,
    "帮扶责任人": Role.helper,
    "信息员": Role.grid_officer,
    "监测信息员": Role.grid_officer,
    "网格员": Role.grid_officer,
    "村两委": Role.village,
    "村委会": Role.village,
    "乡镇": Role.township,
    "街道": Role.township,
    "乡镇街道": Role.township,
    "县乡村振兴局": Role.county,
    "行业部门": Role.department,
}
# Roles a list may hold: those with a region. Union and supplier accounts are made one by one.
IMPORTABLE_ROLES = frozenset(role for role, levels in rules.ROLE_REGION_LEVELS.items() if levels)
FEED_WORDS = {
    "医保": FeedCode.medical,
    "民政": FeedCode.welfare,
    "教育": FeedCode.education,
    "住建": FeedCode.housing,
    "残联": FeedCode.disability,
    "人社": FeedCode.employment,
    "应急管理": FeedCode.disaster,
    "应急": FeedCode.disaster,
    "公安": FeedCode.civil_registry,
    "水利": FeedCode.water,
    "负面清单": FeedCode.negative_list,
}
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")


class ParsedRow(msgspec.Struct):
    """A row as a candidate account, or the problems that keep it from being one."""

    row: int
    candidate: rules.Candidate | None
    problems: list[ImportReject]


def _role(text: str) -> Role:
    role = ROLE_WORDS.get(text) or next((r for r in Role if r.value == text.lower()), None)
    if role is None:
        raise ValueError(f"无法识别「{text}」，可填：{'、'.join(ROLE_WORDS)}")
    if role not in IMPORTABLE_ROLES:
        raise ValueError("工会、供应商和农户账号不能批量导入")
    return role


def _feeds(text: str) -> tuple[FeedCode, ...]:
    feeds: list[FeedCode] = []
    for word in filter(None, _LIST_SEPARATORS.split(text)):
        feed = FEED_WORDS.get(word) or next((f for f in FeedCode if f.value == word.lower()), None)
        if feed is None:
            raise ValueError(f"无法识别数据类型「{word}」，可填：{'、'.join(FEED_WORDS)}")
        if feed not in feeds:
            feeds.append(feed)
    return tuple(feeds)


def parse_row(raw: RawRow) -> ParsedRow:
    cells = raw.cells
    problems = [
        ImportReject(row=raw.row, column=c.key, reason="必填项为空") for c in COLUMNS if c.required and not cells.get(c.key)
    ]
    role, feeds = None, ()
    try:
        role = _role(cells["role"]) if cells.get("role") else None
    except ValueError as exc:
        problems.append(ImportReject(row=raw.row, column="role", reason=str(exc)))
    try:
        feeds = _feeds(cells.get("department_feeds", ""))
    except ValueError as exc:
        problems.append(ImportReject(row=raw.row, column="department_feeds", reason=str(exc)))
    if problems:
        return ParsedRow(raw.row, None, problems)
    candidate = rules.Candidate(
        username=cells["username"],
        display_name=cells["display_name"],
        role=role,  # type: ignore[arg-type]
        region_code=cells.get("region_code") or None,
        department_feeds=feeds,  # type: ignore[arg-type]
        phone=cells.get("phone") or None,
    )
    return ParsedRow(raw.row, candidate, [])


def mark_duplicate_usernames(parsed: list[ParsedRow]) -> None:
    rows_by_username: dict[str, list[int]] = {}
    for p in parsed:
        if p.candidate is not None:
            rows_by_username.setdefault(p.candidate.username, []).append(p.row)
    for p in parsed:
        if p.candidate is not None and len(rows := rows_by_username[p.candidate.username]) > 1:
            where = "、".join(map(str, rows))
            p.problems.append(ImportReject(row=p.row, column="username", reason=f"用户名在文件中重复出现（第 {where} 行）"))
