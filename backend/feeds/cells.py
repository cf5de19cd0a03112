"""One cell of a department feed → its value, or CellError with the reason in Chinese. Pure: no
I/O, no state. The reader strips cells first; an empty cell never reaches these functions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from backend.boundary import control_character_reason
from backend.pii import InvalidIdNumber, normalize_id_number
from backend.tabular import CellError

# Excel counts days from 1899-12-30 (its serial 60 is a 29 February 1900 that never was).
EXCEL_EPOCH = dt.date(1899, 12, 30)
# A serial must have five digits (1927-05-18 … 2173-10-14): never a year, never a yyyymmdd.
EXCEL_SERIAL_DIGITS = 5
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
# Twelve integer digits of yuan (under a trillion): beyond that a cell is a typo, not money.
MAX_YUAN_DIGITS = 12
MAX_TEXT_CHARS = 200
REJECT_VALUE_CHARS = 50  # how much of a bad cell the reject report repeats

_DATE = re.compile(
    r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日?)"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?",  # a time of day some exports append
    re.ASCII,
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_EXCEL_SERIAL = re.compile(r"\d{5}(?:\.\d+)?", re.ASCII)
_AMOUNT = re.compile(r"([-－]?)[¥￥]?([-－]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d*))?元?", re.ASCII)
_VILLAGE_CODE = re.compile(r"[0-9]{12}")
_ID_LOOKALIKE = re.compile(r"[0-9]{17}[0-9Xx]|[0-9]{15}")

DATE_FORMATS_HINT = "可填 2026-03-01、2026/3/1、2026.3.1、20260301 或 2026年3月1日"
NON_ASCII_DIGITS = "请使用半角数字（0–9）"


def _has_non_ascii_digit(text: str) -> bool:
    return any(c.isdigit() and not c.isascii() for c in text)


def id_number(text: str) -> str:
    """The normalised 18-character number (15-digit ones converted)."""
    if not text.isascii():
        raise CellError(NON_ASCII_DIGITS if _has_non_ascii_digit(text) else "身份证号码只能包含数字和 X")
    try:
        return normalize_id_number(text)
    except InvalidIdNumber as exc:
        if "E+" in text.upper():
            raise CellError("身份证号码被表格软件转成了科学计数法，请把该列设为文本格式后重新导出") from None
        raise CellError(str(exc)) from None


def date(text: str) -> dt.date:
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        try:  # the common case, 2026-03-01, at C speed
            value = dt.date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return _in_range(value)
    if found := _DATE.fullmatch(text):
        year, month, day = found[1], found[2] or found[4], found[3] or found[5]
    elif found := _COMPACT_DATE.fullmatch(text):
        year, month, day = found.groups()
    elif _EXCEL_SERIAL.fullmatch(text):
        return _in_range(EXCEL_EPOCH + dt.timedelta(days=int(float(text))))
    else:
        raise CellError(NON_ASCII_DIGITS if _has_non_ascii_digit(text) else f"日期格式无法识别，{DATE_FORMATS_HINT}")
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:
        raise CellError("日期不存在，请检查月份和日") from None
    return _in_range(value)


def _in_range(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise CellError(f"日期应在 {EARLIEST_DATE.year} 年到 {LATEST_DATE.year} 年之间")
    return value


def amount_fen(text: str) -> int:
    """Yuan with at most two decimals (1234.5, 1,234.50, ¥1234, 1234元) → integer fen."""
    whole, _, cents = text.partition(".")
    if whole.isdigit() and text.isascii() and len(whole) <= MAX_YUAN_DIGITS:  # the common case, fast
        if not cents:
            return int(whole) * 100
        if cents.isdigit() and len(cents) <= 2:
            return int(whole + cents) * (10 if len(cents) == 1 else 1)
    found = _AMOUNT.fullmatch(text.replace(" ", ""))
    if found is None:
        raise CellError(NON_ASCII_DIGITS if _has_non_ascii_digit(text) else "金额格式不正确，应以元为单位，如 1234.50")
    if found[1] or found[2]:
        raise CellError("金额不能为负数")
    whole, cents = found[3].replace(",", ""), found[4] or ""
    if cents[2:].strip("0"):
        raise CellError("金额最多保留两位小数（到分）")
    if len(whole.lstrip("0")) > MAX_YUAN_DIGITS:
        raise CellError("金额过大，请检查单位是否为元")
    return int(whole) * 100 + int(cents[:2].ljust(2, "0"))


def text(limit: int = MAX_TEXT_CHARS) -> Callable[[str], str]:
    """Free text as the department wrote it, one line, at most `limit` characters."""

    def parse(value: str) -> str:
        if reason := control_character_reason(value):
            raise CellError(reason)
        if "\ufffd" in value:
            raise CellError("含有无法识别的字符，请检查文件编码后重新导出")
        if "\n" in value or "\t" in value:
            raise CellError("不能换行或含制表符")
        if len(value) > limit:
            raise CellError(f"不能超过 {limit} 个字")
        return value

    return parse


def village_code(value: str) -> str:
    if not _VILLAGE_CODE.fullmatch(value):
        raise CellError("村代码应为12位数字（统计用区划代码）")
    return value


def choice(words: dict[str, tuple[str, ...]]) -> Callable[[str], str]:
    """An enum cell: the English code (any case) or one of its Chinese words → the code.
    `words` maps each code to its Chinese words, the usual one first."""
    lookup = {code: code for code in words} | {w: code for code, ws in words.items() for w in ws}
    hint = "、".join(ws[0] for ws in words.values())

    def parse(value: str) -> str:
        code = lookup.get(value.replace(" ", "")) or lookup.get(value.lower())
        if code is None:
            raise CellError(f"无法识别「{value[:REJECT_VALUE_CHARS]}」，可填：{hint}")
        return code

    return parse


WELFARE_KINDS = {
    "dibao": ("低保", "最低生活保障", "农村低保", "城乡低保"),
    "tekun": ("特困", "特困供养", "特困人员", "特困人员救助供养", "五保"),
    "temporary_relief": ("临时救助", "临时救助金"),
}
EDUCATION_STAGES = {
    "compulsory": ("义务教育", "小学", "初中", "九年义务教育"),
    "high_school": ("高中", "普通高中"),
    "vocational": ("中职", "中专", "职高", "技校", "中等职业教育", "职业教育"),
    "college": ("大学", "大专", "高职", "本科", "高等教育", "研究生"),
}
EDUCATION_STATUSES = {
    "enrolled": ("在校", "在读", "在籍", "正常"),
    "dropout": ("辍学", "失学", "辍学失学", "失辍学"),
    "suspended": ("休学",),
}
EMPLOYMENT_STATUSES = {
    "employed": ("就业", "已就业", "在岗", "务工"),
    "unemployed": ("失业", "待业", "未就业", "失业登记"),
    "public_post": ("公益性岗位", "公益岗", "公益岗位"),
}
CIVIL_EVENTS = {
    "death": ("死亡", "死亡注销", "注销（死亡）"),
    "moved_out": ("迁出", "户口迁出", "户籍迁出", "迁移"),
}
NEGATIVE_LIST_KINDS = {
    "commercial_housing": ("商品房", "商品住房", "城镇商品房"),
    "vehicle": ("车辆", "机动车", "小汽车", "汽车"),
    "public_payroll": ("财政供养", "财政供养人员", "公职人员"),
    "enterprise_role": ("企业法人或股东", "企业法人", "股东", "法定代表人", "企业高管"),
    "large_deposit": ("大额存款", "存款"),
}
# Who holds each negative list, for a row whose file does not say (DOMAIN §7.1).
NEGATIVE_LIST_SOURCES = {
    "commercial_housing": "不动产",
    "vehicle": "车管",
    "public_payroll": "财政",
    "enterprise_role": "市场监管",
    "large_deposit": "银行",
}
_CHINESE_LEVELS = {"一": 1, "二": 2, "三": 3, "四": 4}


def housing_grade(value: str) -> str:
    """A–D, also written A级, C级危房."""
    grade = value.upper().removesuffix("危房").removesuffix("级")
    if grade not in ("A", "B", "C", "D"):
        raise CellError("房屋鉴定等级应为 A、B、C 或 D（也可写 C级）")
    return grade


def disability_level(value: str) -> int:
    """1–4, also written 一级 … 四级 or 二级残疾."""
    level = value.removesuffix("残疾").removesuffix("级")
    number = _CHINESE_LEVELS.get(level) or (int(level) if level in ("1", "2", "3", "4") else None)
    if number is None:
        raise CellError("残疾等级应为 1–4 或 一级–四级")
    return number


def reject_value(value: str, *, id_column: bool) -> str:
    """A bad cell as the reject report may repeat it: printable, at most REJECT_VALUE_CHARS
    characters, never an ID number in clear (whatever column it was typed in)."""
    shown = "".join(c if c.isprintable() else "�" for c in value)
    if id_column:
        return mask_any(shown)
    return _ID_LOOKALIKE.sub(lambda found: mask_any(found[0]), shown[:REJECT_VALUE_CHARS])


def mask_any(value: str) -> str:
    """Region and last four of anything typed as an ID number, as pii.mask_id_number shows a
    valid one; only its length when it is too short (under 15 characters) to hide enough."""
    if len(value) < 15:
        return f"（{len(value)}位）" if value else ""
    return value[:6] + "*" * min(len(value) - 10, REJECT_VALUE_CHARS - 10) + value[-4:]
