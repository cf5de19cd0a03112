"""Region codes (DOMAIN §2): 12-digit statistical division codes, scope by prefix."""

from __future__ import annotations

from schemas.regions import RegionLevel

# Significant digits per level (统计用区划代码: 2-2-2-3-3).
SIGNIFICANT_DIGITS = {
    RegionLevel.province: 2,
    RegionLevel.city: 4,
    RegionLevel.county: 6,
    RegionLevel.township: 9,
    RegionLevel.village: 12,
}
_LEVEL_BY_DIGITS = {digits: level for level, digits in SIGNIFICANT_DIGITS.items()}


def region_level(code: str) -> RegionLevel:
    """The level a code is at, read from where its trailing zero blocks start."""
    for digits in (2, 4, 6, 9):
        if set(code[digits:]) == {"0"}:
            return _LEVEL_BY_DIGITS[digits]
    return RegionLevel.village


def region_prefix(code: str) -> str:
    return code[: SIGNIFICANT_DIGITS[region_level(code)]]


def parent_code(code: str) -> str | None:
    level = region_level(code)
    if level is RegionLevel.province:
        return None
    order = list(SIGNIFICANT_DIGITS)
    parent_digits = SIGNIFICANT_DIGITS[order[order.index(level) - 1]]
    return code[:parent_digits].ljust(12, "0")


def is_within(code: str, scope_code: str) -> bool:
    return code.startswith(region_prefix(scope_code))


# Each level's parent level; a code whose parent is not one level up has a zero segment.
LEVEL_ABOVE = {
    RegionLevel.city: RegionLevel.province,
    RegionLevel.county: RegionLevel.city,
    RegionLevel.township: RegionLevel.county,
    RegionLevel.village: RegionLevel.township,
}


def invalid_code_reason(code: str) -> str | None:
    """Why `code` cannot name a region (Chinese, for the caller), or None when it can."""
    if len(code) != 12 or not (code.isascii() and code.isdigit()):
        return "区划代码应为12位数字"
    if code[:2] == "00":
        return "区划代码的省级段不能为00"
    level = region_level(code)
    parent = parent_code(code)
    if parent is not None and region_level(parent) is not LEVEL_ABOVE[level]:
        return "区划代码中间的某一级段为零，无法确定上级地区"
    return None
