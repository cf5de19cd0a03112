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
    open = "open"  # the alert work (issue 16) adds assigned, dismissed, converted ...


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


class Alert(AlertBrief):
    rule_title: str
    evidence: dict[str, Any]
    id_number_masked: str
    batch_id: int | None = None
    threshold: dict[str, Any] | None = None


class AlertPage(BaseStruct):
    items: list[AlertBrief]
    meta: PageMeta


class AlertSearch(BaseStruct):
    level: AlertLevel | None = None
    rule_code: RuleCode | None = None
    village_code: str | None = None  # a village, or any region code: alerts of households inside it
    status: AlertStatus | None = None
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
