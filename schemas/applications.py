"""Identification workflow wire types (DOMAIN §5): cases, their inputs, timeline and task lists."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

from msgspec import Meta

from schemas.base import BaseStruct, Fen, Id, PageMeta
from schemas.registry import Latitude, Longitude, MonitoringType


class CaseKind(enum.StrEnum):
    identification = "identification"  # 监测对象识别认定
    risk_elimination = "risk_elimination"  # 风险消除, on the same engine with its own table


class Source(enum.StrEnum):
    """DOMAIN §5 step 1: three discovery sources, one case type."""

    self_report = "self_report"  # 自主申报
    cadre_screening = "cadre_screening"  # 干部排查
    department_alert = "department_alert"  # 部门筛查预警


class CaseState(enum.StrEnum):
    draft = "draft"
    verification = "verification"  # 待入户核实
    village_review = "village_review"  # 待村级民主评议
    awaiting_notice = "awaiting_notice"  # 评议通过，待公示
    in_notice = "in_notice"  # 村内公示中
    township_review = "township_review"  # 待乡镇审核
    county_approval = "county_approval"  # 待县级审定
    returned = "returned"  # 退回补充材料
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


class Action(enum.StrEnum):
    open = "open"  # staff open a case (cadre screening, department alert)
    submit = "submit"  # a farmer submits their draft
    verify = "verify"
    village_pass = "village_pass"
    village_fail = "village_fail"
    start_notice = "start_notice"
    raise_objection = "raise_objection"
    resolve_objection = "resolve_objection"
    end_notice = "end_notice"
    township_pass = "township_pass"
    approve = "approve"
    reject = "reject"
    return_for_material = "return_for_material"
    answer_return = "answer_return"
    withdraw = "withdraw"
    propose_elimination = "propose_elimination"  # 风险消除: the household's helper proposes it
    approve_elimination = "approve_elimination"  # 风险消除 县级审定: the household leaves monitoring


class RiskType(enum.StrEnum):
    """DOMAIN §4 致贫返贫风险类型."""

    illness = "illness"
    disability = "disability"
    schooling = "schooling"
    disaster = "disaster"
    accident = "accident"
    epidemic = "epidemic"
    business_failure = "business_failure"
    unstable_employment = "unstable_employment"
    lack_of_labour = "lack_of_labour"
    housing_unsafe = "housing_unsafe"
    dropout = "dropout"
    water_unsafe = "water_unsafe"
    income_drop = "income_drop"
    other = "other"


class NegativeListKind(enum.StrEnum):
    """DOMAIN §7.3 负面清单 ("五无")."""

    commercial_housing = "commercial_housing"
    vehicle = "vehicle"
    public_payroll = "public_payroll"
    enterprise_role = "enterprise_role"
    large_deposit = "large_deposit"


Narrative = Annotated[str, Meta(max_length=2000, description="用自己的话说明发生了什么")]
Comment = Annotated[str, Meta(max_length=2000)]
Required = Annotated[str, Meta(min_length=1, max_length=2000)]
PhotoIds = Annotated[list[Id], Meta(max_length=30, description="已上传照片的编号")]
RiskTypes = Annotated[list[RiskType], Meta(min_length=1, max_length=len(RiskType))]
Version = Annotated[int, Meta(ge=1, description="页面上看到的版本号；已被别人处理时返回409")]
IdempotencyKey = Annotated[str, Meta(min_length=8, max_length=100)]


# ---- farmer inputs ----


class ApplicationDraft(BaseStruct):
    """What a farmer has filled in so far; every field may still be empty."""

    risk_types: Annotated[list[RiskType], Meta(max_length=len(RiskType))] = []
    narrative: Narrative = ""
    declared_income_fen: Fen | None = None  # household income over the last 12 months
    declared_rigid_expense_fen: Fen | None = None  # medical, schooling, disaster costs


class ApplicationSubmit(BaseStruct):
    """A complete self-report (自主申报); photos are uploaded to the draft first, then listed here."""

    risk_types: RiskTypes
    narrative: Annotated[str, Meta(min_length=1, max_length=2000)]
    declared_income_fen: Fen | None = None
    declared_rigid_expense_fen: Fen | None = None
    photo_ids: PhotoIds = []


class AnswerReturn(BaseStruct):
    comment: Required
    photo_ids: PhotoIds = []
    version: Version | None = None


class Withdraw(BaseStruct):
    reason: Comment = ""
    version: Version | None = None


class ObjectionRaise(BaseStruct):
    content: Required


# ---- staff inputs ----


class CaseOpen(BaseStruct):
    """A case opened by staff for a household in scope (cadre screening)."""

    household_id: Id
    risk_types: RiskTypes
    narrative: Annotated[str, Meta(min_length=1, max_length=2000)]
    declared_income_fen: Fen | None = None
    declared_rigid_expense_fen: Fen | None = None


class Verification(BaseStruct):
    findings: Required
    income_fen: Fen
    rigid_expense_fen: Fen
    latitude: Latitude
    longitude: Longitude
    photo_ids: PhotoIds = []
    version: Version | None = None


class VillageReview(BaseStruct):
    passed: bool
    minutes: Required  # 评议记录
    reason: Comment = ""  # when failed: what the farmer reads
    version: Version | None = None


class NoticeStart(BaseStruct):
    start_date: dt.date  # Asia/Shanghai local dates, both inclusive
    end_date: dt.date
    comment: Comment = ""
    version: Version | None = None


class ObjectionResolve(BaseStruct):
    note: Required


class StepComment(BaseStruct):
    comment: Comment = ""
    version: Version | None = None


class ReturnForMaterial(BaseStruct):
    reason: Required  # what material is needed, in words the farmer reads
    version: Version | None = None


class Approval(BaseStruct):
    monitoring_type: MonitoringType
    risk_types: RiskTypes
    comment: Comment = ""
    # Required when the household's members hit the negative list (DOMAIN §7.3).
    negative_list_confirmation: Comment = ""
    version: Version | None = None


class Rejection(BaseStruct):
    reason: Required
    version: Version | None = None


# ---- outputs ----


class TimelineEntry(BaseStruct):
    id: int
    at: dt.datetime
    action: Action
    text: str  # plain Chinese for the farmer
    actor: str  # a role label (村委会), never a person's name
    comment: str = ""
    attachments: list[int] = []


class NextStep(BaseStruct):
    who: str
    what: str
    due_date: dt.date | None = None
    # Counted on the provisional calendar (the year's holiday notice is not entered yet): show
    # it as 暂定; it may move when the notice is entered.
    due_date_provisional: bool = False


class NegativeListHit(BaseStruct):
    person_id: int
    person_name: str
    id_number_masked: str
    kind: NegativeListKind
    kind_label: str
    source_department: str
    evidence: dict[str, object]
    loaded_at: dt.datetime


class Objection(BaseStruct):
    id: int
    content: str
    raised_at: dt.datetime
    resolved_at: dt.datetime | None = None
    resolution_note: str | None = None


class Application(BaseStruct):
    id: int
    kind: CaseKind
    household_id: int
    household_no: str
    village_code: str
    village_name: str
    state: CaseState
    state_label: str
    version: int
    risk_types: list[RiskType]
    narrative: str
    overdue: bool
    timeline: list[TimelineEntry]
    source: Source | None = None
    head_name: str | None = None
    declared_income_fen: int | None = None
    declared_rigid_expense_fen: int | None = None
    verified_income_fen: int | None = None
    verified_rigid_expense_fen: int | None = None
    verification_findings: str | None = None
    notice_start: dt.date | None = None
    notice_end: dt.date | None = None
    monitoring_type: MonitoringType | None = None
    approved_risk_types: list[RiskType] | None = None
    decision_reason: str | None = None
    plan_due_date: dt.date | None = None
    plan_due_provisional: bool = False  # 暂定: counted on the provisional calendar (DOMAIN §5)
    discovered_at: dt.datetime | None = None
    deadline_date: dt.date | None = None  # 15 days after discovery (DOMAIN §5), identification only
    member_count: int | None = None  # risk elimination: the household size its evidence counts
    decided_at: dt.datetime | None = None
    next_step: NextStep | None = None
    # Staff only:
    assignee_user_id: int | None = None
    objections: list[Objection] | None = None
    negative_list_hits: list[NegativeListHit] | None = None


class ApplicationSummary(BaseStruct):
    id: int
    kind: CaseKind
    household_id: int
    household_no: str
    village_name: str
    state: CaseState
    state_label: str
    overdue: bool
    source: Source | None = None
    head_name: str | None = None
    discovered_at: dt.datetime | None = None
    deadline_date: dt.date | None = None
    open_objections: int = 0


class ApplicationPage(BaseStruct):
    items: list[ApplicationSummary]
    meta: PageMeta


class TaskList(BaseStruct):
    """The cases waiting for the caller's role inside their scope, soonest deadline first."""

    items: list[ApplicationSummary]
    total: int
    overdue: int
    by_state: dict[str, int]


class NoticeItem(BaseStruct):
    """A case on public notice in the farmer's village (what the notice board shows)."""

    id: int
    household_no: str
    head_name: str | None
    village_name: str
    risk_types: list[RiskType]
    notice_start: dt.date
    notice_end: dt.date
