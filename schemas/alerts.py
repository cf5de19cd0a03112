"""Alerts raised from department feeds (DOMAIN §7.2): rules, thresholds, alerts, traffic lights."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from schemas.applications import RiskType
from schemas.base import BaseStruct, PageMeta
from schemas.feeds import FeedCode
from schemas.registry import Household

RuleCode = Annotated[str, Meta(pattern=r"^[A-Z]{2}-[0-9]{2}$(?!\n)", description="预警规则编号，如 YB-01")]
ThresholdValue = Annotated[int, Meta(gt=0, le=10**13, description="金额（分）或百分比，见规则的 unit")]
Year = Annotated[int, Meta(ge=2014, le=2100)]


class BatchRef(msgspec.Struct, frozen=True):
    """The batch the pipeline hands to `evaluate_batch` (docs: /work/plan/feeds.md)."""

    id: int
    feed: FeedCode
    region_code: str
    period: dt.date  # the first of the month the export covers


class AlertLevel(enum.StrEnum):
    red = "red"
    yellow = "yellow"


class TrafficLight(enum.StrEnum):
    """红黄绿: the worst open alert of a household."""

    red = "red"
    yellow = "yellow"
    green = "green"


class AlertStatus(enum.StrEnum):
    """backend/alerts/rules.py's transition table; docs/alerts.md explains each."""

    open = "open"  # raised, nobody assigned yet
    assigned = "assigned"  # a helper or grid officer is to verify it by `due_date`
    dismissal_proposed = "dismissal_proposed"  # red: the helper dismissed it, the county has to confirm
    reopened = "reopened"  # the county sent a proposed dismissal back to the helper
    dismissed = "dismissed"
    converted = "converted"  # hardship confirmed: a case opened or joined, or attached for the next visit


class AlertAction(enum.StrEnum):
    assign = "assign"  # also a reassignment
    dismiss = "dismiss"
    confirm_dismissal = "confirm_dismissal"
    reopen = "reopen"
    confirm = "confirm"  # hardship confirmed on the ground
    seen_at_visit = "seen_at_visit"  # kept for the next visit, seen there (recorded by the visit, no step)


class DismissalReason(enum.StrEnum):
    data_error = "data_error"  # 数据有误
    already_assisted = "already_assisted"  # 已落实帮扶
    not_in_hardship = "not_in_hardship"  # 经核实不困难
    moved_away = "moved_away"  # 已迁出
    other = "other"


class Compare(enum.StrEnum):
    flag = "flag"  # any matching row raises the rule's level
    at_least = "at_least"  # yellow at value, red at red_value
    below = "below"  # yellow at or under value, red under red_value


class ThresholdUnit(enum.StrEnum):
    fen = "fen"
    percent = "percent"


class AlertBrief(BaseStruct):
    """An alert as lists and the household view show it."""

    id: int
    rule_code: str
    risk_type: RiskType
    level: AlertLevel
    why: str
    period: dt.date
    status: AlertStatus
    created_at: dt.datetime
    household_id: int
    person_id: int
    person_name: str
    household_no: str
    village_code: str
    village_name: str
    assignee_user_id: int | None = None
    assignee_name: str | None = None
    due_date: dt.date | None = None
    due_provisional: bool = False
    overdue: bool = False
    application_id: int | None = None
    attached_for_visit: bool = False


class AlertEvent(BaseStruct):
    action: AlertAction
    from_status: AlertStatus
    to_status: AlertStatus
    actor_user_id: int
    actor_role: str
    at: dt.datetime
    note: str
    photo_ids: list[int]
    data: dict[str, Any]


class Alert(AlertBrief, kw_only=True):
    rule_title: str
    evidence: dict[str, Any]
    id_number_masked: str
    batch_id: int | None = None
    threshold: dict[str, Any] | None = None
    dismissal_reason: DismissalReason | None = None
    outcome_note: str = ""
    verified_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    case_in_progress_id: int | None = None  # the household's case a confirmation would join
    events: list[AlertEvent] = []


class AlertPage(BaseStruct):
    items: list[AlertBrief]
    meta: PageMeta


class AlertSearch(BaseStruct):
    level: AlertLevel | None = None
    rule_code: RuleCode | None = None
    village_code: str | None = None  # a village, or any region code: alerts of households inside it
    status: AlertStatus | None = None
    risk_type: RiskType | None = None
    overdue: bool | None = None
    min_age_days: int | None = None  # raised at least this many days ago
    assignee_user_id: int | None = None
    active_only: bool = False  # what an assignee still has to do (the helper's list)
    page: int = 1
    page_size: int = 20


class VillageLights(BaseStruct):
    village_code: str
    village_name: str
    red: int
    yellow: int
    green: int


class LightSummary(BaseStruct):
    """Households per traffic light in each village of a region (a county's board)."""

    region_code: str
    villages: list[VillageLights]
    red: int
    yellow: int
    green: int


class RegistryFlag(BaseStruct):
    """The civil registry reported something the registry has not caught up with."""

    person_id: int
    reason: str  # moved_out, death
    event_date: dt.date


class HouseholdWithAlerts(Household, kw_only=True):
    """The household as staff read it: with its traffic light, open alerts and registry flags."""

    traffic_light: TrafficLight
    open_alerts: list[AlertBrief]
    registry_flags: list[RegistryFlag]


class AlertThreshold(BaseStruct):
    province_code: str
    year: int
    value: int
    red_value: int
    note: str
    updated_at: dt.datetime
    updated_by: int | None = None


class AlertRule(BaseStruct):
    code: str
    feed: str  # a FeedCode, or `income` (the registry's yearly survey)
    risk_type: RiskType
    level: AlertLevel
    compare: Compare
    title: str
    why_template: str
    thresholds: list[AlertThreshold]
    unit: ThresholdUnit | None = None
    default_value: int | None = None
    default_red_value: int | None = None
    why_template_red: str | None = None


class ThresholdUpdate(BaseStruct):
    value: ThresholdValue
    red_value: ThresholdValue
    note: Annotated[str, Meta(max_length=200)] = ""


# --- alert work (issue 16) -------------------------------------------------------------------

AlertIds = Annotated[list[Annotated[int, Meta(gt=0, le=2**63 - 1)]], Meta(min_length=1, max_length=5000)]
Note = Annotated[str, Meta(max_length=2000)]
PhotoIds = Annotated[list[Annotated[int, Meta(gt=0, le=2**63 - 1)]], Meta(max_length=20)]


class AlertAssign(BaseStruct):
    """Assign (or reassign) alerts; without `assignee_user_id` each goes to its household's
    responsible helper, else a grid officer of its village."""

    alert_ids: AlertIds
    assignee_user_id: Annotated[int, Meta(gt=0, le=2**63 - 1)] | None = None
    note: Note = ""


class Assigned(BaseStruct):
    assigned: int
    alert_ids: list[int]
    due_dates: dict[str, dt.date]  # level → the verification deadline
    due_provisional: bool = False  # counted over a year whose holiday notice nobody entered yet


class AlertDismiss(BaseStruct):
    reason: DismissalReason
    note: Annotated[str, Meta(min_length=1, max_length=2000)]
    photo_ids: PhotoIds = []
    figures: dict[str, Annotated[int, Meta(ge=0, le=10**13)]] = {}  # e.g. income_fen, medical_fen


class AlertConfirm(BaseStruct):
    """Hardship confirmed on the ground: a case is opened (source department_alert) or joined."""

    note: Annotated[str, Meta(min_length=1, max_length=2000)]
    risk_types: Annotated[list[RiskType], Meta(max_length=14)] = []  # default: the alert's own
    photo_ids: PhotoIds = []
    figures: dict[str, Annotated[int, Meta(ge=0, le=10**13)]] = {}
    declared_income_fen: Annotated[int, Meta(ge=0, le=10**13)] | None = None
    declared_rigid_expense_fen: Annotated[int, Meta(ge=0, le=10**13)] | None = None


class AlertReview(BaseStruct):
    """The county on a proposed red dismissal: confirm it, or reopen it to the helper."""

    note: Note = ""


class Workload(BaseStruct):
    user_id: int
    name: str
    role: str
    open: int
    overdue: int


class BoardRow(BaseStruct):
    """A township's figures, per rule code; `rule_code` None = the township's total."""

    township_code: str
    township_name: str
    rule_code: str | None
    open: int
    overdue: int
    converted: int
    dismissed: int
    median_verify_days: float | None = None


class Board(BaseStruct):
    region_code: str
    rows: list[BoardRow]
    negative_list_cases: dict[str, int]  # township → self-applications in progress with a hit


class ExemptionCreate(BaseStruct):
    person_id: Annotated[int, Meta(gt=0, le=2**63 - 1)]
    rule_code: RuleCode
    reason: Annotated[str, Meta(min_length=1, max_length=500)]
    ends_on: dt.date


class Exemption(BaseStruct):
    id: int
    person_id: int
    person_name: str
    id_number_masked: str
    rule_code: str
    reason: str
    ends_on: dt.date
    region_code: str
    created_by: int
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
