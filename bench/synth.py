"""Synthetic data for bench/compare.py: a province-sized registry and a month of a medical feed.

Everything is a pure function of a person's index and a seed, so the registry rows, the analyst's
export CSV and the feed's ID numbers agree without reading one another: person `i` lives in
village `i // PER_VILLAGE`, 200 villages to a county (10 townships of 20), 10 counties to a city,
all under the invented province 66 (as the demo's). Its ID number is GB 11643: its county's
birthplace (a real county code, one per synthetic county), a birth date and serial drawn by a
bijection of `i`, and a check digit from precomputed partial sums (no per-digit loop).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROVINCE = "660000000000"
PER_VILLAGE = 500  # persons; households are drawn until the village is full
VILLAGES_PER_TOWNSHIP = 20
TOWNSHIPS_PER_COUNTY = 10
COUNTIES_PER_CITY = 10
VILLAGES_PER_COUNTY = VILLAGES_PER_TOWNSHIP * TOWNSHIPS_PER_COUNTY
PER_COUNTY = PER_VILLAGE * VILLAGES_PER_COUNTY  # 100,000 persons
HOUSEHOLD_ID_STRIDE = 1000  # household id = village * stride + sequence: no coordination needed


def _birthplaces() -> list[str]:
    """Real county codes valid for every birth year (GB 11643 numbers carry the birthplace, and the
    checks behind backend/pii reject a code stdnum's table does not know for that year)."""
    from stdnum import numdb

    codes = []
    for _, province, _, _, counties in numdb.get("cn/loc").prefixes:
        for _, county, _, props, _ in counties:
            if not county.endswith("00") and not props.get("county", "[").startswith("["):
                codes.append(province + county)
    return codes


BIRTHPLACES = _birthplaces()  # the last one is for outsiders: treated here, not in the registry
MAX_PERSONS = (len(BIRTHPLACES) - 1) * PER_COUNTY

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_FIRST_BIRTH = dt.date(1940, 1, 1)
_DAYS = (dt.date(2023, 12, 31) - _FIRST_BIRTH).days + 1
_SPACE = _DAYS * 1000  # (birth date, serial) pairs one county code can number
_SPREAD = 1_000_003  # prime, coprime to _SPACE: j -> j * _SPREAD % _SPACE is a bijection
_BIRTHS = [_FIRST_BIRTH + dt.timedelta(days=d) for d in range(_DAYS)]
_BIRTH_TEXT = [d.strftime("%Y%m%d") for d in _BIRTHS]


def _digit_sum(text: str, offset: int) -> int:
    return sum(int(c) * _WEIGHTS[offset + k] for k, c in enumerate(text))


_PLACE_SUM = [_digit_sum(p, 0) for p in BIRTHPLACES]
_BIRTH_SUM = [_digit_sum(t, 6) for t in _BIRTH_TEXT]
_SERIAL_TEXT = [f"{s:03d}" for s in range(1000)]
_SERIAL_SUM = [_digit_sum(t, 14) for t in _SERIAL_TEXT]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文红玉梅春生福海林云山德荣金凤"
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
HOUSEHOLD_SIZE_WEIGHTS = (12, 22, 24, 22, 12, 8)


def county_code(county: int) -> str:
    city, within = divmod(county, COUNTIES_PER_CITY)
    return f"66{city + 1:02d}{within + 21:02d}000000"


def village_code(village: int) -> str:
    county, within = divmod(village, VILLAGES_PER_COUNTY)
    township, number = divmod(within, VILLAGES_PER_TOWNSHIP)
    return f"{county_code(county)[:6]}{township + 101:03d}{number + 201:03d}"


def region_rows(persons: int) -> list[tuple[str, str, str, str | None, str]]:
    """(code, name, level, parent, prefix) of every region the registry needs, parents first."""
    villages = -(-persons // PER_VILLAGE)
    counties = -(-villages // VILLAGES_PER_COUNTY)
    rows = [(PROVINCE, "青山省", "province", None, "66")]
    for city in range(-(-counties // COUNTIES_PER_CITY)):
        code = f"66{city + 1:02d}00000000"
        rows.append((code, f"云溪{city + 1}市", "city", PROVINCE, code[:4]))
    for county in range(counties):
        code = county_code(county)
        rows.append((code, f"石门{county + 1}县", "county", code[:4] + "00000000", code[:6]))
        for township in range(TOWNSHIPS_PER_COUNTY):
            first = county * VILLAGES_PER_COUNTY + township * VILLAGES_PER_TOWNSHIP
            if first >= villages:
                break
            t_code = village_code(first)[:9] + "000"
            rows.append(
                (
                    t_code,
                    f"{county + 1}县{township + 1}镇",
                    "township",
                    code,
                    t_code[:9],
                )
            )
            for village in range(first, min(first + VILLAGES_PER_TOWNSHIP, villages)):
                v_code = village_code(village)
                rows.append(
                    (
                        v_code,
                        f"{v_code[6:9]}镇{v_code[9:]}村",
                        "village",
                        t_code,
                        v_code,
                    )
                )
    return rows


def id_number(i: int) -> str:
    """Person i's ID number: unique, as each county has its own birthplace and PER_COUNTY < _SPACE."""
    county, j = divmod(i, PER_COUNTY)
    return _number(county, j * _SPREAD % _SPACE)


def outsider_id_number(k: int) -> str:
    return _number(len(BIRTHPLACES) - 1, k % _SPACE)


def _number(place: int, code: int) -> str:
    serial, day = divmod(code, _DAYS)
    total = _PLACE_SUM[place] + _BIRTH_SUM[day] + _SERIAL_SUM[serial]
    return BIRTHPLACES[place] + _BIRTH_TEXT[day] + _SERIAL_TEXT[serial] + _CHECK[total % 11]


def birth_date(i: int) -> dt.date:
    return _BIRTHS[(i % PER_COUNTY) * _SPREAD % _SPACE % _DAYS]


def random_name(rng: random.Random, surname: str | None = None) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return (surname or rng.choice(SURNAMES)) + given


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    name: str
    relation: str


@dataclass(frozen=True, slots=True)
class Household:
    id: int
    household_no: str
    village_code: str
    category: str
    monitoring_status: str
    monitoring_type: str | None
    # household_incomes of the last full year, in fen
    wage_fen: int
    business_fen: int
    transfer_fen: int
    productive_expense_fen: int
    members: list[Person]

    @property
    def net_income_fen(self) -> int:
        return max(
            0,
            self.wage_fen + self.business_fen + self.transfer_fen - self.productive_expense_fen,
        )


def village_households(village: int, persons: int, seed: int) -> list[Household]:
    """The households of one village, the same on every call."""
    rng = random.Random(seed * 1_000_003 + village)
    code = village_code(village)
    first, end = village * PER_VILLAGE, min((village + 1) * PER_VILLAGE, persons)
    households: list[Household] = []
    index = first
    while index < end:
        size = min(rng.choices(HOUSEHOLD_SIZES, HOUSEHOLD_SIZE_WEIGHTS)[0], end - index)
        surname = rng.choice(SURNAMES)
        relations = [
            "head",
            "spouse",
            *(rng.choice(("child", "child", "parent", "grandchild")) for _ in range(4)),
        ]
        members = [
            Person(
                index + k,
                random_name(rng, surname if relations[k] != "spouse" else None),
                relations[k],
            )
            for k in range(size)
        ]
        lifted = rng.random() < 0.6
        roll = rng.random()
        status, kind = (
            ("monitoring", "unstable" if lifted else "marginal")
            if roll < 0.12
            else (("risk_eliminated", None) if roll < 0.16 else ("none", None))
        )
        # Per-capita net income: most households well above the monitoring line (7,200 yuan in
        # 2025), monitored ones nearer it; a few percent within 10 % of it or below.
        per_capita = rng.lognormvariate(
            math.log(11_000 if status == "monitoring" else 16_000),
            0.25 if status == "monitoring" else 0.35,
        )
        total = int(per_capita * size) * 100
        business, transfer = (
            total * rng.randint(0, 30) // 100,
            rng.randint(500, 4_000) * 100,
        )
        productive = rng.randint(500, 3_000) * 100
        sequence = len(households) + 1
        households.append(
            Household(
                id=village * HOUSEHOLD_ID_STRIDE + sequence,
                household_no=f"{code}{sequence:03d}",
                village_code=code,
                category="lifted" if lifted else "ordinary",
                monitoring_status=status,
                monitoring_type=kind,
                wage_fen=max(0, total - business - transfer + productive),
                business_fen=business,
                transfer_fen=transfer,
                productive_expense_fen=productive,
                members=members,
            )
        )
        index += size
    return households


REGISTRY_HEADER = ("身份证号", "户编号", "家庭人口数", "上年家庭纯收入")
# DOMAIN §7.1's medical columns under headers backend/feeds/columns.py accepts (就诊日期 and 结算日期
# are its aliases for period_start and period_end; 姓名 it ignores).
FEED_HEADER = (
    "身份证号",
    "姓名",
    "就诊日期",
    "结算日期",
    "医疗总费用",
    "报销金额",
    "个人自付",
)
BAD_ROW_EVERY = 100  # 1 % of the feed's rows
BAD_KINDS = ("checksum", "date", "amount")


def registry_export_rows(
    households: list[Household],
) -> Iterator[tuple[str, str, int, str]]:
    """What a county analyst has: the ID number in clear, the household, its size and income."""
    for h in households:
        income = f"{h.net_income_fen / 100:.2f}"
        for m in h.members:
            yield id_number(m.index), h.household_no, len(h.members), income


@dataclass(frozen=True)
class FeedStats:
    rows: int
    bad: dict[str, int]
    outsiders: int


def write_medical_feed(path: Path, rows: int, persons: int, period: dt.date, seed: int) -> FeedStats:
    """A month of 医保 settlements in GBK, DOMAIN §7.1 columns under Chinese headers: ~70 % of the
    rows' persons visit once, the rest more often; 3 % are not in the registry; every 100th row
    is bad (a wrong check digit, an impossible date or an unreadable amount, in turn)."""
    rng = random.Random(seed)
    patients = max(1, min(persons, rows * 7 // 10))
    spread = next(a for a in range(7_919, 10**7) if _coprime(a, persons))
    month_days = ((period.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - period).days
    bad = dict.fromkeys(BAD_KINDS, 0)
    outsiders = 0
    with path.open("w", encoding="gbk", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")  # what Excel on Windows writes
        writer.writerow(FEED_HEADER)
        for n in range(rows):
            if rng.random() < 0.03:
                number = outsider_id_number(rng.randrange(_SPACE))
                outsiders += 1
            else:
                number = id_number(rng.randrange(patients) * spread % persons)
            start = period + dt.timedelta(days=rng.randrange(month_days))
            end = min(
                start + dt.timedelta(days=rng.choice((0, 0, 0, 1, 3, 7, 12))),
                period.replace(day=month_days),
            )
            if rng.random() < 0.9:  # outpatient
                total = rng.randint(3_000, 80_000)
                reimbursed = total * rng.randint(30, 60) // 100
            else:  # in hospital: a long tail
                total = int(rng.lognormvariate(13.6, 0.9))  # median ≈ 8,000 yuan
                reimbursed = total * rng.randint(50, 80) // 100
            cells = [
                number,
                random_name(rng),
                start.isoformat(),
                end.isoformat(),
                f"{total / 100:.2f}",
                f"{reimbursed / 100:.2f}",
                f"{(total - reimbursed) / 100:.2f}",
            ]
            if n % BAD_ROW_EVERY == BAD_ROW_EVERY - 1:
                kind = BAD_KINDS[n // BAD_ROW_EVERY % len(BAD_KINDS)]
                bad[kind] += 1
                if kind == "checksum":
                    cells[0] = number[:17] + _CHECK[(_CHECK.index(number[17]) + 1) % 11]
                elif kind == "date":
                    cells[2] = f"{period.year}-{period.month:02d}-{month_days + 1}"
                else:
                    cells[6] = rng.choice(("12.345", "约300", "1.2.3"))
            writer.writerow(cells)
    return FeedStats(rows=rows, bad=bad, outsiders=outsiders)


def _coprime(a: int, b: int) -> bool:
    while b:
        a, b = b, a % b
    return a == 1
