"""Assistance (DOMAIN §5 link 9, §6): the responsible helper (帮扶责任人) with its history, the
per-household plan (一户一策) of typed measures, and the outcome per measure type."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import msgspec
from msgspec import Meta

from schemas.base import SINGLE_LINE, BaseStruct, Fen, Id, PageMeta
from schemas.registry import MonitoringStatus

Note = Annotated[str, Meta(max_length=500)]
Department = Annotated[str, Meta(min_length=1, max_length=100, pattern=SINGLE_LINE, description="责任单位")]
Description = Annotated[str, Meta(max_length=1000)]


class MeasureType(enum.StrEnum):
    """DOMAIN §6 (the table's CHECK says the same)."""

    industry = "industry"  # 产业帮扶
    employment = "employment"  # 就业帮扶
    public_welfare_post = "public_welfare_post"  # 公益性岗位
    micro_credit = "micro_credit"  # 小额信贷
    education = "education"  # 教育资助
    medical = "medical"  # 医疗保障/救助
    dibao = "dibao"  # 低保
    tekun = "tekun"  # 特困供养
    temporary_assistance = "temporary_assistance"  # 临时救助
    housing = "housing"  # 危房改造
    insurance = "insurance"  # 防贫保险
    consumption = "consumption"  # 消费帮扶
    other = "other"  # 其他


class MeasureStatus(enum.StrEnum):
    planned = "planned"  # 计划中
    in_progress = "in_progress"  # 实施中
    done = "done"  # 已完成
    stopped = "stopped"  # 已终止


# ---- 帮扶责任人 ----


class HelperAssign(BaseStruct):
    """Assigns the household's responsible helper; when it has one, the current assignment ends
    and this one replaces it (the history keeps both)."""

    helper_user_id: Id
    note: Note = ""


class HelperAssignment(BaseStruct):
    """One assignment. `due_date` is the plan due date it answered (10 working days after the
    latest approved identification case; `due_provisional` when counted on the provisional
    calendar); `late` when the first assignment answering that case came after it."""

    id: int
    household_id: int
    helper_user_id: int
    helper_name: str
    assigned_by: int
    assigned_at: dt.datetime
    late: bool = False
    due_provisional: bool = False
    ended_at: dt.datetime | None = None
    application_id: int | None = None
    due_date: dt.date | None = None
    note: str = ""


# ---- 一户一策 ----


class MeasureCreate(BaseStruct):
    measure_type: MeasureType
    owner_department: Department
    start_date: dt.date
    end_date: dt.date | None = None
    status: MeasureStatus = MeasureStatus.planned
    amount_fen: Fen | None = None  # where money moves, in integer fen
    description: Description = ""


class MeasureUpdate(BaseStruct):
    """Only the fields sent change; `end_date` / `amount_fen` null clears them."""

    status: MeasureStatus | msgspec.UnsetType = msgspec.UNSET
    owner_department: Department | msgspec.UnsetType = msgspec.UNSET
    start_date: dt.date | msgspec.UnsetType = msgspec.UNSET
    end_date: dt.date | None | msgspec.UnsetType = msgspec.UNSET
    amount_fen: Fen | None | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET


class Measure(BaseStruct):
    id: int
    household_id: int
    measure_type: MeasureType
    type_name: str  # 产业帮扶 …
    owner_department: str
    start_date: dt.date
    status: MeasureStatus
    status_name: str  # 计划中 …
    created_by: int
    created_at: dt.datetime
    updated_at: dt.datetime
    end_date: dt.date | None = None
    amount_fen: int | None = None
    description: str = ""


class HelperBrief(BaseStruct):
    user_id: int
    display_name: str
    phone_masked: str | None = None


class Plan(BaseStruct):
    """The household's plan as staff read it: its current helper, the plan due date of its latest
    approved case, and every measure (oldest start first)."""

    household_id: int
    monitoring_status: MonitoringStatus
    measures: list[Measure]
    helper: HelperBrief | None = None
    due_date: dt.date | None = None
    due_provisional: bool = False


class HelperContact(BaseStruct):
    """What a farmer sees of their helper: the name and the phone to call (absent when the
    account has none recorded)."""

    display_name: str
    phone: str | None = None


class FarmerPlan(BaseStruct):
    measures: list[Measure]
    helper: HelperContact | None = None


# ---- outcome per measure ----


class FigureSource(enum.StrEnum):
    visit = "visit"  # 入户走访
    income_survey = "income_survey"  # 年度收入调查 of the year before the measure started


class Figures(BaseStruct):
    """A household's figures at one point, in integer fen: per-capita net income and the
    household's rigid expenses (medical, education, disaster) over twelve months."""

    source: FigureSource
    as_of: dt.date  # the visit's local date, or 12-31 of the survey year
    member_count: int
    per_capita_income_fen: int
    rigid_expense_fen: int


class HouseholdOutcome(BaseStruct):
    """One household under one measure type: `before` the earliest such measure started, and
    `latest` at the latest visit after it started (absent when there is none)."""

    household_id: int
    household_no: str
    village_code: str
    measure_type: MeasureType
    type_name: str
    start_date: dt.date
    measures: int
    before: Figures | None = None
    latest: Figures | None = None
    income_change_fen: int | None = None
    rigid_expense_change_fen: int | None = None


class HouseholdOutcomePage(BaseStruct):
    items: list[HouseholdOutcome]
    meta: PageMeta


class OutcomeGroup(BaseStruct):
    """Averages over the households of a region under one measure type, counting only those with
    both figures (`households`); `lacking` had a measure of the type but not both figures."""

    region_code: str
    region_name: str
    measure_type: MeasureType
    type_name: str
    households: int
    lacking: int
    before_income_fen: int | None = None
    latest_income_fen: int | None = None
    income_change_fen: int | None = None
    before_rigid_expense_fen: int | None = None
    latest_rigid_expense_fen: int | None = None
    rigid_expense_change_fen: int | None = None


class OutcomeReport(BaseStruct):
    region_code: str
    as_of: dt.date
    totals: list[OutcomeGroup]  # per measure type over the whole region
    townships: list[OutcomeGroup]  # per township and measure type
