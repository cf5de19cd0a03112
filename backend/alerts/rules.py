"""Alert rules without I/O: which statuses count as open, what "new" and "working age" mean, which
threshold a batch applies, and whether an admin's threshold makes sense."""

from __future__ import annotations

import msgspec

from schemas.alerts import Compare, ThresholdUnit

# Statuses that keep an alert on the household's traffic light and stop the same rule raising the
# same or a lower level for the person again. The alert work (issue 16) adds `assigned` and
# `dismissal_proposed` here; its closing states stay out.
OPEN_STATUSES = ("open",)

# "New" (a disability certificate, a relief or 低保 start): dated in the batch's month or the two
# before it, so that a certificate entered a little late in the department's system still counts.
NEW_WITHIN_MONTHS = 3

# 劳动年龄: 16 to 59 full years at the event's date (劳动法: work from 16; retirement at 60).
WORKING_AGE_FROM = 16
WORKING_AGE_UNTIL = 60  # exclusive

# The medical look-back: the batch's month and the 11 before it (DOMAIN §7.2 "12 months").
MEDICAL_LOOKBACK_MONTHS = 12

# Percent thresholds stay sensible: a share of income or of the monitoring line.
MAX_PERCENT = 1000


class Threshold(msgspec.Struct, frozen=True):
    """The threshold a rule applies to one batch, and where it came from; stored on each alert."""

    code: str
    value: int
    red_value: int
    unit: str
    province_code: str
    year: int
    source: str  # "province": set by an admin for this province and year (or an earlier year); "default"

    def applied(self) -> dict[str, object]:
        return {
            "value": self.value,
            "red_value": self.red_value,
            "unit": self.unit,
            "province_code": self.province_code,
            "year": self.year,
            "source": self.source,
        }


def province_of(region_code: str) -> str:
    return region_code[:2].ljust(12, "0")


def threshold_problem(compare: Compare, unit: ThresholdUnit | None, value: int, red_value: int) -> str | None:
    """Why an admin's (value, red_value) cannot work for the rule (Chinese), or None."""
    if compare is Compare.flag:
        return "该规则按情形直接预警，没有阈值"
    if unit is ThresholdUnit.percent and max(value, red_value) > MAX_PERCENT:
        return f"百分比阈值不能超过 {MAX_PERCENT}"
    if compare is Compare.at_least and red_value <= value:
        return "红色阈值应高于黄色阈值"
    if compare is Compare.below and red_value >= value:
        return "红色阈值应低于黄色阈值"
    return None
