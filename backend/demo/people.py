"""Made-up households for the demo: deterministic (a seeded random generator), 2–6 members each,
ID numbers with valid GB 11643 check digits, ages and circumstances that fit together."""

from __future__ import annotations

import datetime as dt
import random

import msgspec
from stdnum.cn import ric

from backend.demo import data
from backend.registry.importer.rules import ImportHousehold, Member
from schemas.registry import (
    Employment,
    Health,
    HouseholdCategory,
    LabourCapacity,
    MonitoringStatus,
    MonitoringType,
    Relation,
    SchoolingStage,
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
    "余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN_MALE = [
    "建国",
    "志强",
    "国华",
    "德明",
    "永福",
    "海军",
    "文斌",
    "小龙",
    "俊杰",
    "家豪",
    "宇航",
    "子轩",
    "明亮",
    "大山",
    "金宝",
    "春生",
]
GIVEN_FEMALE = [
    "秀英",
    "桂兰",
    "玉梅",
    "春花",
    "海燕",
    "丽娟",
    "小红",
    "美玲",
    "欣怡",
    "雨涵",
    "梓萱",
    "晓燕",
    "翠萍",
    "金凤",
    "思雨",
    "慧敏",
]


class DemoHousehold(msgspec.Struct, frozen=True):
    household: ImportHousehold
    monitoring_status: MonitoringStatus
    monitoring_type: MonitoringType | None
    income: tuple[
        int, int, int, int, int, int
    ]  # wage, business, property, transfer, productive, medical (fen)


def _age(birth: dt.date) -> int:
    today = data.DEMO_TODAY
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class _Generator:
    def __init__(self) -> None:
        self.rng = random.Random(data.DEMO_RANDOM_SEED)
        self.used_numbers: set[str] = set()

    def id_number(self, birth: dt.date, male: bool) -> str:
        while True:  # a clash with an earlier number draws again; deterministic all the same
            place = self.rng.choice(data.BIRTHPLACES)
            sequence = self.rng.randrange(0, 500) * 2 + (1 if male else 0)  # odd digit for men
            body = f"{place}{birth:%Y%m%d}{sequence:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def birth(self, first_year: int, last_year: int) -> dt.date:
        start = dt.date(first_year, 1, 1).toordinal()
        return dt.date.fromordinal(self.rng.randint(start, dt.date(last_year, 12, 28).toordinal()))

    def name(self, surname: str, male: bool) -> str:
        return surname + self.rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)

    def member(self, row: int, surname: str, relation: Relation, birth: dt.date, male: bool) -> Member:
        age = _age(birth)
        roll = self.rng.random()
        health = Health.healthy
        disability = None
        if roll < 0.03:
            health, disability = Health.disabled, self.rng.randint(1, 4)
        elif roll < 0.07:
            health = Health.serious
        elif roll < 0.17 + (0.2 if age > 60 else 0):
            health = Health.chronic
        if age < 16:
            labour = LabourCapacity.none
        elif age > 70 or health in (Health.serious, Health.disabled):
            labour = self.rng.choice([LabourCapacity.weak, LabourCapacity.none])
        else:
            labour = LabourCapacity.weak if age > 60 else LabourCapacity.normal
        return Member(
            row=row,
            name=self.name(surname, male),
            id_number=self.id_number(birth, male),
            relation=relation,
            sex="male" if male else "female",
            birth_date=birth,
            labour_capacity=labour,
            health=health,
            disability_level=disability,
            schooling_stage=_schooling(age),
            employment=self.employment(age, labour),
        )

    def employment(self, age: int, labour: LabourCapacity) -> Employment | None:
        if age < 6:
            return None
        if age < 19:
            return Employment.student
        if labour is LabourCapacity.none:
            return Employment.none
        if age >= 65:
            return Employment.farming if labour is LabourCapacity.normal else Employment.none
        return self.rng.choice(
            [
                Employment.farming,
                Employment.farming,
                Employment.local_work,
                Employment.migrant_work,
                Employment.migrant_work,
                Employment.public_post,
                Employment.unemployed,
            ]
        )

    def household(self, index: int) -> DemoHousehold:
        village_code, village_name = data.VILLAGES[index % len(data.VILLAGES)]
        size = self.rng.randint(2, 6)
        surname = self.rng.choice(SURNAMES)
        head_male = self.rng.random() < 0.85
        head_birth = self.birth(1950, 1988)
        members = [self.member(1, surname, Relation.head, head_birth, head_male)]
        spouse_surname = self.rng.choice(SURNAMES)
        members.append(
            self.member(
                2,
                spouse_surname,
                Relation.spouse,
                self.birth(head_birth.year - 3, head_birth.year + 3),
                not head_male,
            )
        )
        for row in range(3, size + 1):
            if (
                head_birth.year > 1972
                and self.rng.random() < 0.3
                and not any(m.relation is Relation.parent for m in members)
            ):
                members.append(
                    self.member(
                        row,
                        surname,
                        Relation.parent,
                        self.birth(head_birth.year - 32, head_birth.year - 24),
                        True,
                    )
                )
            elif head_birth.year < 1962 and self.rng.random() < 0.4:
                members.append(
                    self.member(
                        row, surname, Relation.grandchild, self.birth(2008, 2021), self.rng.random() < 0.5
                    )
                )
            else:
                first = head_birth.year + 22
                members.append(
                    self.member(
                        row,
                        surname,
                        Relation.child,
                        self.birth(first, min(first + 14, 2022)),
                        self.rng.random() < 0.5,
                    )
                )
        category = HouseholdCategory.lifted if self.rng.random() < 0.6 else HouseholdCategory.ordinary
        roll = self.rng.random()
        status, kind = MonitoringStatus.none, None
        if roll < 0.12:
            status = MonitoringStatus.monitoring
            kind = (
                MonitoringType.unstable
                if category is HouseholdCategory.lifted
                else self.rng.choice([MonitoringType.marginal, MonitoringType.sudden_hardship])
            )
        elif roll < 0.16:
            status = MonitoringStatus.risk_eliminated
        sequence = index // len(data.VILLAGES) + 1
        township = data.REGION_NAMES[village_code[:9] + "000"]
        household = ImportHousehold(
            household_no=f"{village_code}{sequence:03d}",
            village_code=village_code,
            category=category,
            address=f"{township}{village_name}{self.rng.randint(1, 8)}组{self.rng.randint(1, 60)}号",
            head_phone=f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}",
            latitude=round(26.2 + self.rng.random() * 0.4, 6),
            longitude=round(108.6 + self.rng.random() * 0.5, 6),
            members=members,
        )
        return DemoHousehold(household, status, kind, self.income(members, status))

    def income(self, members: list[Member], status: MonitoringStatus) -> tuple[int, int, int, int, int, int]:
        workers = sum(1 for m in members if m.labour_capacity is LabourCapacity.normal)
        per_worker_yuan = (
            self.rng.randint(6_000, 22_000)
            if status is MonitoringStatus.none
            else self.rng.randint(2_500, 8_000)
        )
        wage = workers * per_worker_yuan * 100
        business = self.rng.randint(0, 8_000) * 100
        transfer = self.rng.randint(500, 4_000) * 100
        medical = self.rng.randint(0, 3_000) * 100 + (
            self.rng.randint(5_000, 30_000) * 100 if status is MonitoringStatus.monitoring else 0
        )
        return (
            wage,
            business,
            self.rng.randint(0, 1_000) * 100,
            transfer,
            self.rng.randint(500, 3_000) * 100,
            medical,
        )


def _schooling(age: int) -> SchoolingStage | None:
    if 3 <= age <= 5:
        return SchoolingStage.preschool
    if 6 <= age <= 15:
        return SchoolingStage.compulsory
    if 16 <= age <= 18:
        return SchoolingStage.high_school
    return None


def demo_households() -> list[DemoHousehold]:
    """The same HOUSEHOLD_COUNT households on every call."""
    generator = _Generator()
    return [generator.household(i) for i in range(data.HOUSEHOLD_COUNT)]
