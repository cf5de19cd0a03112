"""Registry wire types (DOMAIN §3)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

from msgspec import Meta

from schemas.base import BaseStruct, Fen, Name, PageMeta, RegionCode


class HouseholdCategory(enum.StrEnum):
    lifted = "lifted"  # 脱贫户
    ordinary = "ordinary"  # 一般农户


class MonitoringStatus(enum.StrEnum):
    none = "none"
    monitoring = "monitoring"  # 监测中
    risk_eliminated = "risk_eliminated"  # 风险已消除


class MonitoringType(enum.StrEnum):
    unstable = "unstable"  # 脱贫不稳定户
    marginal = "marginal"  # 边缘易致贫户
    sudden_hardship = "sudden_hardship"  # 突发严重困难户


class Relation(enum.StrEnum):
    head = "head"
    spouse = "spouse"
    child = "child"
    parent = "parent"
    grandchild = "grandchild"
    sibling = "sibling"
    other = "other"


class LabourCapacity(enum.StrEnum):
    normal = "normal"
    weak = "weak"
    none = "none"


class Health(enum.StrEnum):
    healthy = "healthy"
    chronic = "chronic"
    serious = "serious"
    disabled = "disabled"


class SchoolingStage(enum.StrEnum):
    preschool = "preschool"
    compulsory = "compulsory"
    high_school = "high_school"
    vocational = "vocational"
    college = "college"
    none = "none"


class Employment(enum.StrEnum):
    farming = "farming"
    local_work = "local_work"
    migrant_work = "migrant_work"
    public_post = "public_post"
    unemployed = "unemployed"
    student = "student"
    retired = "retired"
    none = "none"


IdNumberInput = Annotated[str, Meta(min_length=15, max_length=20, description="居民身份证号码")]
PhoneInput = Annotated[str, Meta(pattern=r"^(\+86)?1[0-9]{10}$(?!\n)", description="手机号码")]
HouseholdNo = Annotated[str, Meta(pattern=r"^[0-9A-Za-z-]{4,32}$(?!\n)", description="户编号")]
DisabilityLevel = Annotated[int, Meta(ge=1, le=4)]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]


class PersonCreate(BaseStruct):
    name: Name
    id_number: IdNumberInput
    relation: Relation
    labour_capacity: LabourCapacity = LabourCapacity.normal
    health: Health = Health.healthy
    disability_level: DisabilityLevel | None = None
    schooling_stage: SchoolingStage | None = None
    employment: Employment | None = None


class HouseholdCreate(BaseStruct):
    household_no: HouseholdNo
    village_code: RegionCode
    category: HouseholdCategory
    members: Annotated[list[PersonCreate], Meta(min_length=1, max_length=30)]
    address: Annotated[str, Meta(max_length=200)] = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    head_phone: PhoneInput | None = None


class Person(BaseStruct):
    id: int
    name: str
    id_number_masked: str
    relation: Relation
    sex: str
    birth_date: dt.date
    labour_capacity: LabourCapacity
    health: Health
    disability_level: int | None = None
    schooling_stage: SchoolingStage | None = None
    employment: Employment | None = None


class Household(BaseStruct):
    id: int
    household_no: str
    village_code: str
    village_name: str
    address: str
    category: HouseholdCategory
    monitoring_status: MonitoringStatus
    members: list[Person]
    latitude: float | None = None
    longitude: float | None = None
    monitoring_type: MonitoringType | None = None
    head_phone_masked: str | None = None
    helper_user_id: int | None = None


class HouseholdSummary(BaseStruct):
    id: int
    household_no: str
    village_code: str
    village_name: str
    category: HouseholdCategory
    monitoring_status: MonitoringStatus
    member_count: int
    head_name: str | None = None
    monitoring_type: MonitoringType | None = None


class HouseholdPage(BaseStruct):
    items: list[HouseholdSummary]
    meta: PageMeta


class IncomeSurvey(BaseStruct):
    year: Annotated[int, Meta(ge=2014, le=2100)]
    member_count: Annotated[int, Meta(gt=0, le=30)]
    wage_fen: Fen = 0
    business_fen: Fen = 0
    property_fen: Fen = 0
    transfer_fen: Fen = 0
    productive_expense_fen: Fen = 0
    medical_expense_fen: Fen = 0
    education_expense_fen: Fen = 0
    disaster_expense_fen: Fen = 0


class HouseholdSearch(BaseStruct):
    household_no: str | None = None
    name: str | None = None
    id_number: str | None = None
    monitoring_status: MonitoringStatus | None = None
    region_code: RegionCode | None = None
    page: int = 1
    page_size: int = 20


class IdNumberReveal(BaseStruct):
    person_id: int
    id_number: str
