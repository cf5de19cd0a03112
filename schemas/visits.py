"""Home visits (DOMAIN §5): the visit record and its reviewer flags, the cadence and the helper's
to-visit list, rectification items and the 月清零 report, the stationed cadres' work log, and the
overdue board."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

from msgspec import Meta

from schemas.base import BaseStruct, Fen, Id, PageMeta

Note = Annotated[str, Meta(max_length=500)]
VisitNote = Annotated[str, Meta(max_length=2000)]
ClearNote = Annotated[str, Meta(min_length=1, max_length=1000)]
LogNote = Annotated[str, Meta(max_length=1000)]


class ChecklistItem(enum.StrEnum):
    """两不愁三保障及饮水安全."""

    food = "food"  # 不愁吃
    clothing = "clothing"  # 不愁穿
    education = "education"  # 义务教育有保障
    medical = "medical"  # 基本医疗有保障
    housing = "housing"  # 住房安全有保障
    drinking_water = "drinking_water"  # 饮水安全有保障


class CheckResult(BaseStruct):
    """`ok` false is a problem: its note says what is wrong and opens a rectification item."""

    ok: bool
    note: Note = ""


class Checklist(BaseStruct):
    food: CheckResult
    clothing: CheckResult
    education: CheckResult
    medical: CheckResult
    housing: CheckResult
    drinking_water: CheckResult


class VisitLocation(BaseStruct):
    """The phone's location, shared when the helper chooses to; never required."""

    latitude: Annotated[float, Meta(ge=-90, le=90)]
    longitude: Annotated[float, Meta(ge=-180, le=180)]
    accuracy_m: Annotated[float, Meta(ge=0, le=100_000)] | None = None
    mock: bool | None = None  # the client's own report that the position is simulated


class VisitCreate(BaseStruct):
    household_id: Id
    visited_at: Annotated[dt.datetime, Meta(tz=True, description="入户时间（带时区）")]
    checklist: Checklist
    member_count: Annotated[int, Meta(ge=1, le=50)] | None = None
    net_income_fen: Fen | None = None  # the household's last twelve months
    rigid_expense_fen: Fen | None = None
    note: VisitNote = ""
    location: VisitLocation | None = None


class VisitFlag(enum.StrEnum):
    """What a reviewer may want to look at; never a refusal, never a score."""

    location_far = "location_far"  # farther than the radius from the household's recorded place
    location_mock = "location_mock"  # the client reported a simulated position
    location_inaccurate = "location_inaccurate"  # the position's accuracy is worse than the limit
    photo_taken_earlier = "photo_taken_earlier"  # EXIF time days before the visit
    photo_far = "photo_far"  # EXIF GPS farther than the radius from the household
    photo_reused = "photo_reused"  # looks like an earlier photo (backend/photos reuse check)


class FlagNote(BaseStruct):
    flag: VisitFlag
    message: str
    photo_id: int | None = None
    distance_m: int | None = None
    days: int | None = None


class Visit(BaseStruct):
    id: int
    household_id: int
    household_no: str
    village_code: str
    village_name: str
    visitor_user_id: int
    visitor_name: str
    visited_at: dt.datetime
    received_at: dt.datetime  # the server's own time
    checklist: Checklist
    note: str
    member_count: int | None = None
    net_income_fen: int | None = None
    rigid_expense_fen: int | None = None
    location: VisitLocation | None = None
    photo_ids: list[int] = []
    flags: list[FlagNote] = []
    rectification_ids: list[int] = []  # opened by this visit's problems


class VisitPage(BaseStruct):
    items: list[Visit]
    meta: PageMeta


# ---- cadence ----


class Cadence(enum.StrEnum):
    monthly = "monthly"  # monitored households: every calendar month
    lifted = "lifted"  # lifted households not monitored: March, August, November


class CadenceStatus(enum.StrEnum):
    visited = "visited"  # visited in the current required month
    due = "due"  # the current month requires a visit, none yet
    overdue = "overdue"  # the last required month ended without a visit, none since
    not_due = "not_due"  # nothing required now (a lifted household outside its months)


class ToVisit(BaseStruct):
    household_id: int
    household_no: str
    village_code: str
    village_name: str
    cadence: Cadence
    status: CadenceStatus
    plan_missing: bool  # monitored, and no measure in its plan (一户一策)
    open_rectifications: int
    head_name: str | None = None
    last_visited_on: dt.date | None = None


class ToVisitList(BaseStruct):
    items: list[ToVisit]
    due: int
    overdue: int
    plan_missing: int
    open_rectifications: int


# ---- rectification items (整改事项) ----


class RectificationStatus(enum.StrEnum):
    open = "open"
    cleared = "cleared"


class Rectification(BaseStruct):
    id: int
    household_id: int
    household_no: str
    village_code: str
    village_name: str
    item: ChecklistItem
    description: str
    found_on: dt.date
    status: RectificationStatus
    visit_id: int | None = None
    owner_user_id: int | None = None
    owner_name: str | None = None
    cleared_on: dt.date | None = None
    cleared_by: int | None = None
    cleared_note: str | None = None


class RectificationPage(BaseStruct):
    items: list[Rectification]
    meta: PageMeta


class RectificationClear(BaseStruct):
    note: ClearNote


class ClearanceVillage(BaseStruct):
    village_code: str
    village_name: str
    opened: int  # found in the month
    cleared: int  # cleared in the month
    open_at_month_end: int


class ClearanceReport(BaseStruct):
    """月清零: per village of the township, the month's opened and cleared items, and those open."""

    township_code: str
    township_name: str
    month: dt.date  # its first day
    villages: list[ClearanceVillage]
    still_open: list[Rectification]


# ---- the stationed cadres' work log (工作纪实) ----


class WorkLogEntry(BaseStruct):
    work_date: dt.date
    in_village: bool
    note: LogNote = ""


class WorkLogDay(BaseStruct):
    work_date: dt.date
    in_village: bool
    note: str
    recorded_at: dt.datetime


class WorkLogMonth(BaseStruct):
    user_id: int
    village_code: str
    month: dt.date
    days: list[WorkLogDay]
    in_village_days: int
    required_days: int  # two thirds of the month's days, rounded up (三在村)


class CadreMonth(BaseStruct):
    user_id: int
    name: str
    village_code: str
    village_name: str
    days_in_month: int
    logged_days: int
    in_village_days: int
    required_days: int
    meets_two_thirds: bool
    month_complete: bool  # false while the month is still running


class CadreReport(BaseStruct):
    region_code: str
    month: dt.date
    cadres: list[CadreMonth]  # by village, then name: never ranked


# ---- the overdue board ----


class BoardList(enum.StrEnum):
    identification_overdue = "identification_overdue"  # cases past 15 days
    helper_late = "helper_late"  # no helper within 10 working days of approval
    plan_missing = "plan_missing"  # monitored, no measure in the plan
    visit_overdue = "visit_overdue"
    rectification_open = "rectification_open"


class VisitBoardRow(BaseStruct):
    township_code: str
    township_name: str
    identification_overdue: int
    helper_late: int
    plan_missing: int
    visit_overdue: int
    rectification_open: int


class VisitBoard(BaseStruct):
    region_code: str
    rows: list[VisitBoardRow]


class BoardItem(BaseStruct):
    """One household (or case, or item) behind a board count; `ref_id` is the case or the
    rectification item, `on` the date that makes it late (deadline, plan due, last visit, found)."""

    household_id: int
    household_no: str
    village_code: str
    village_name: str
    helper_user_id: int | None = None
    helper_name: str | None = None
    ref_id: int | None = None
    on: dt.date | None = None


class BoardItemPage(BaseStruct):
    items: list[BoardItem]
    meta: PageMeta
