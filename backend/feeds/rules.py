"""Department feed batches as data and pure functions: who uploads and reads which batches, the
upload form's checks, storage keys, when a batch's job counts as lost, progress and failures."""

from __future__ import annotations

import datetime as dt
import re

from backend.auth import Principal
from backend.calendar.rules import LEGAL_TZ
from backend.feeds import errors
from backend.regions.rules import invalid_code_reason, region_prefix
from schemas.base import Role
from schemas.feeds import FeedBatchStatus, FeedCode

# Who -----------------------------------------------------------------------------------------

# A line department uploads its own feeds; the county bureau "runs department comparisons"
# (DOMAIN §1), so it may upload a file a department handed over, for any feed in its region;
# admins (system operators) anywhere.
UPLOADERS = frozenset({Role.department, Role.county, Role.admin})
READERS = UPLOADERS

FEED_LABELS = {
    FeedCode.medical: "医保",
    FeedCode.welfare: "民政",
    FeedCode.education: "教育",
    FeedCode.housing: "住建",
    FeedCode.disability: "残联",
    FeedCode.employment: "人社",
    FeedCode.disaster: "应急管理",
    FeedCode.civil_registry: "公安",
    FeedCode.water: "水利",
    FeedCode.negative_list: "负面清单",
}


def feeds_in_view(principal: Principal, department_feeds: list[str]) -> list[str]:
    """The feeds whose batches the caller sees (and uploads): a department its own, others all."""
    if principal.role is Role.department:
        return list(department_feeds)
    return [f.value for f in FeedCode]


# The form -------------------------------------------------------------------------------------

PERIOD_PATTERN = re.compile(r"^([0-9]{4})-([0-9]{2})$(?!\n)")
# 建档立卡 (the registry's records) start in 2014; earlier months have nothing to compare with.
EARLIEST_PERIOD = dt.date(2014, 1, 1)
MAX_FILE_NAME_CHARS = 200
MAX_SHEET_NAME_CHARS = 31  # Excel's own limit


def parse_feed(text: str) -> FeedCode:
    try:
        return FeedCode(text.strip())
    except ValueError:
        raise errors.FeedTypeUnknown(text) from None


def parse_period(text: str, today: dt.date) -> dt.date:
    """`YYYY-MM` → the first of that month; not before 2014 and not after the current month."""
    match = PERIOD_PATTERN.match(text.strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        raise errors.FeedPeriodInvalid(text)
    period = dt.date(int(match[1]), int(match[2]), 1)
    if period < EARLIEST_PERIOD:
        raise errors.FeedPeriodTooEarly(text)
    if period > today.replace(day=1):
        raise errors.FeedPeriodInFuture(text)
    return period


def local_today(now: dt.datetime) -> dt.date:
    return now.astimezone(LEGAL_TZ).date()


def period_label(period: dt.date) -> str:
    return period.strftime("%Y-%m")


def normalize_region(text: str) -> str:
    """A 6-digit county code (what departments write) or a 12-digit division code → 12 digits."""
    code = text.strip()
    if len(code) == 6 and code.isascii() and code.isdigit():
        code = code.ljust(12, "0")
    if invalid_code_reason(code) is not None:
        raise errors.FeedRegionInvalid(text)
    return code


def check_region_in_scope(principal: Principal, region_code: str) -> None:
    if not principal.covers_region(region_code):
        raise errors.FeedRegionOutOfScope(principal.region_code or "")


def check_sheet(sheet: str | None) -> str | None:
    if sheet is None or not sheet.strip():
        return None
    if len(sheet) > MAX_SHEET_NAME_CHARS:
        raise errors.FeedSheetInvalid()
    return sheet.strip()


def file_name_of(name: str | None) -> str:
    """The uploaded file's name as shown back: its last path segment, bounded."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    return (base or "upload.csv")[-MAX_FILE_NAME_CHARS:]


def region_like(region_code: str) -> str:
    """LIKE pattern for codes inside this region."""
    return region_prefix(region_code) + "%"


# Storage ---------------------------------------------------------------------------------------


def storage_key(sha256: bytes, token: str) -> str:
    """One object per batch (not per content): it is deleted when its batch ends, since it holds
    clear ID numbers, and another batch with the same bytes may still need its own."""
    return f"feeds/{sha256.hex()}-{token}"


# The worker ------------------------------------------------------------------------------------

UNFINISHED = (FeedBatchStatus.queued, FeedBatchStatus.parsing, FeedBatchStatus.matching)
# A batch still queued this long after upload, with no worker on it, lost its job (Redis was down
# at upload, or the queue was flushed). A parsing or matching batch no worker holds is lost at once.
QUEUED_LOST_AFTER_S = 60
# Runs a batch gets (crashes, time-outs, transient errors) before it is failed for good.
MAX_ATTEMPTS = 5


def staging_table(feed: FeedCode) -> str:
    return f"feed_rows_{feed.value}"


def estimate_rows(line_count: int, header_row: int | None) -> int:
    """Data rows in a CSV of `line_count` lines whose headers are on `header_row`."""
    return max(line_count - (header_row or 1), 0)


def progress_percent(status: FeedBatchStatus, rows_read: int, rows_expected: int | None) -> int:
    """Reading is most of the work (to 95 %); matching and the rules the rest."""
    if status is FeedBatchStatus.done:
        return 100
    if status is FeedBatchStatus.matching:
        return 95
    if status is FeedBatchStatus.parsing and rows_expected:
        return min(94, rows_read * 95 // rows_expected)
    return 0


# Why a batch failed, beyond the reader's own FeedFileRejected codes.
FAILURE_MESSAGES = {
    "feed_file_lost": "上传的文件在存储中找不到了，请重新上传",
    "feed_worker_failed": "处理这批数据时出错，已自动重试仍未成功，请稍后重新上传；仍不成功请联系运维人员",
    "feed_worker_lost": f"这批数据处理了 {MAX_ATTEMPTS} 次都没有完成（文件可能过大或服务器重启），请联系运维人员",
}

REJECTS_CSV_HEADER = ("行号", "列", "值", "原因")
