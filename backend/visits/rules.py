"""Visit rules without I/O: the cadence (which month requires a visit, what due and overdue
mean), when a visit's time is believable, the reviewer's flags, the two-thirds rule for
stationed cadres and when the daily reminder speaks. queries.py's cadence SQL takes the period
starts computed here, so the rule has one home."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from backend.applications.rules import REVIEWERS, VERIFIERS
from backend.auth import Principal
from schemas.base import Role
from schemas.visits import (
    Cadence,
    CadenceStatus,
    Checklist,
    ChecklistItem,
    FlagNote,
    VisitFlag,
    VisitLocation,
)

# ---- policy (DOMAIN §5) ----

# 脱贫户每年3月、8月、11月各走访一次; monitored households (监测户) every calendar month.
LIFTED_VISIT_MONTHS = (3, 8, 11)
# 驻村干部每月在村时间不少于三分之二 (三在村), counted on the month's calendar days.
IN_VILLAGE_SHARE = (2, 3)
# A phone clock a little ahead of the server's is normal; a visit "tomorrow" is not.
VISIT_CLOCK_SKEW = dt.timedelta(minutes=10)
# A visit may be entered late (no signal in the hills), but not after its month's report is out.
VISIT_MAX_AGE_DAYS = 31
# "Due" is on the list all month; the daily message about it only in the month's last week.
DUE_REMINDER_LAST_DAYS = 7

# Who records a visit: the household's responsible helper, or a grid officer of its village.
RECORDERS = VERIFIERS
# Who reads visits of a region (besides the visitor and the household's helper).
REGION_READERS = REVIEWERS | {Role.grid_officer}
# Who sees a visit's flags: its reviewers (DOMAIN §5), never as a score.
FLAG_READERS = REVIEWERS | {Role.admin}
# Who clears a rectification item besides its owner and the household's helper (月清零).
CLEARERS = frozenset({Role.township})
# The township's and county's lists, the monthly reports and the overdue board.
REPORT_READERS = frozenset({Role.township, Role.county, Role.admin})
# 驻村工作队员 are helper accounts whose region is the village they are stationed in.
CADRES = frozenset({Role.helper})

CHECKLIST_ITEMS = tuple(ChecklistItem)


# ---- months ----


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return add_months(day, 1) - dt.timedelta(days=1)


def days_in_month(day: dt.date) -> int:
    return month_end(day).day


def parse_month(text: str) -> dt.date | None:
    """'2026-03' → 2026-03-01; None when it is not a month."""
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        return None


# ---- cadence ----


@dataclass(frozen=True)
class Periods:
    """The month starts the cadence compares a household's last visit with, on local date `today`.

    monthly: the current month and the one before; lifted: the current month when it is a
    required one (else None) and the last required month that has ended."""

    monthly_current: dt.date
    monthly_previous: dt.date
    lifted_current: dt.date | None
    lifted_previous: dt.date

    def params(self) -> tuple[dt.date, dt.date, dt.date | None, dt.date]:
        """$1-$4 of queries.CADENCE_ROWS."""
        return self.monthly_current, self.monthly_previous, self.lifted_current, self.lifted_previous


def periods_on(today: dt.date) -> Periods:
    current = month_start(today)
    back = 1
    while add_months(current, -back).month not in LIFTED_VISIT_MONTHS:
        back += 1
    return Periods(
        monthly_current=current,
        monthly_previous=add_months(current, -1),
        lifted_current=current if current.month in LIFTED_VISIT_MONTHS else None,
        lifted_previous=add_months(current, -back),
    )


def cadence_of(monitoring_status: str, category: str) -> Cadence | None:
    """Monitored households monthly; lifted ones not monitored in March, August, November."""
    if monitoring_status == "monitoring":
        return Cadence.monthly
    if category == "lifted":
        return Cadence.lifted
    return None


def cadence_status(
    cadence: Cadence, last_visited_on: dt.date | None, periods: Periods, monitored_since: dt.date | None = None
) -> CadenceStatus:
    """Visited: a visit in the current required month. Overdue: the last required month that has
    ended had no visit and none came since (a late visit catches up); for a monitored household
    a month counts from the month after monitoring began. Due: the current month requires one.
    queries.CADENCE_STATUS is the same in SQL."""
    last = last_visited_on
    if cadence is Cadence.monthly:
        current, previous = periods.monthly_current, periods.monthly_previous
        counts = monitored_since is None or monitored_since < previous
    else:
        current, previous, counts = periods.lifted_current, periods.lifted_previous, True
    if current is not None and last is not None and last >= current:
        return CadenceStatus.visited
    if counts and (last is None or last < previous):
        return CadenceStatus.overdue
    return CadenceStatus.due if current is not None else CadenceStatus.not_due


def reminds_due(today: dt.date) -> bool:
    """Whether the daily message mentions visits merely due (the month's last week)."""
    return (month_end(today) - today).days < DUE_REMINDER_LAST_DAYS


# ---- the visit record ----


def visited_at_problem(visited_at: dt.datetime, now: dt.datetime) -> str | None:
    """'future' or 'too_old' when the stated time cannot be right, else None."""
    if visited_at > now + VISIT_CLOCK_SKEW:
        return "future"
    if visited_at < now - dt.timedelta(days=VISIT_MAX_AGE_DAYS):
        return "too_old"
    return None


def problems(checklist: Checklist) -> list[tuple[ChecklistItem, str]]:
    """The items found with a problem, with their notes, in checklist order."""
    found = [(item, getattr(checklist, item.value)) for item in CHECKLIST_ITEMS]
    return [(item, result.note) for item, result in found if not result.ok]


def may_read_visit(principal: Principal, village_code: str, person_ids: Sequence[int | None]) -> bool:
    """The visitor and the household's helper (`person_ids`), region staff over the village, admins."""
    if principal.role is Role.admin:
        return True
    if principal.user_id in person_ids and principal.role in RECORDERS:
        return True
    return principal.role in REGION_READERS and principal.covers_region(village_code)


# ---- flags for the reviewer ----


@dataclass(frozen=True)
class FlagLimits:
    radius_m: int
    max_accuracy_m: int
    photo_max_age_days: int


@dataclass(frozen=True)
class PhotoEvidence:
    photo_id: int
    taken_at: dt.datetime | None
    latitude: float | None
    longitude: float | None
    reused_of: int | None


EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine): metres are all a village-scale check needs."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def visit_flags(
    visited_at: dt.datetime,
    location: VisitLocation | None,
    home: tuple[float, float] | None,
    photos: Sequence[PhotoEvidence],
    limits: FlagLimits,
) -> list[FlagNote]:
    """What a reviewer may want to look at. Nothing is flagged for what is absent (no location,
    no photo, no EXIF): evidence is optional (国办函〔2026〕12号)."""
    flags: list[FlagNote] = []
    if location is not None:
        if location.mock:
            flags.append(FlagNote(flag=VisitFlag.location_mock, message="手机报告位置为模拟位置"))
        if location.accuracy_m is not None and location.accuracy_m > limits.max_accuracy_m:
            flags.append(FlagNote(flag=VisitFlag.location_inaccurate, message=f"定位精度约 {round(location.accuracy_m)} 米",
                                  distance_m=round(location.accuracy_m)))
        if home is not None:
            far = round(distance_m(location.latitude, location.longitude, *home))
            if far > limits.radius_m:
                flags.append(FlagNote(flag=VisitFlag.location_far, message=f"登记位置距农户 {far} 米", distance_m=far))
    for photo in photos:
        if photo.taken_at is not None:
            early = visited_at - photo.taken_at
            if early > dt.timedelta(days=limits.photo_max_age_days):
                flags.append(FlagNote(flag=VisitFlag.photo_taken_earlier, photo_id=photo.photo_id, days=early.days,
                                      message=f"照片拍摄于走访前 {early.days} 天"))
        if home is not None and photo.latitude is not None and photo.longitude is not None:
            far = round(distance_m(photo.latitude, photo.longitude, *home))
            if far > limits.radius_m:
                flags.append(FlagNote(flag=VisitFlag.photo_far, photo_id=photo.photo_id, distance_m=far,
                                      message=f"照片拍摄地点距农户 {far} 米"))
        if photo.reused_of is not None:
            flags.append(FlagNote(flag=VisitFlag.photo_reused, photo_id=photo.photo_id,
                                  message=f"照片与先前的照片（编号 {photo.reused_of}）相似"))
    return flags


# ---- stationed cadres (三在村) ----


def required_village_days(days: int) -> int:
    """Two thirds of the month's days, rounded up: 20 of 30, 21 of 31, 19 of 28."""
    share, whole = IN_VILLAGE_SHARE
    return -(-days * share // whole)


def work_log_date_problem(day: dt.date, today: dt.date) -> str | None:
    """'future', or 'closed' before the previous month: a month's log closes when the next ends."""
    if day > today:
        return "future"
    if day < add_months(today, -1):
        return "closed"
    return None
