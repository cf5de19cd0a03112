"""Checking an import file row by row and household by household. Pure: the database's answers
arrive as RegistryFacts. A household with any bad row is rejected whole: never half a household."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TypeVar

import msgspec

from backend.boundary import control_character_reason
from backend.pii import InvalidIdNumber, id_birth_date, id_sex, normalize_id_number, normalize_phone
from backend.registry.importer import columns
from backend.registry.importer.columns import RawRow
from backend.tabular import CellError
from schemas.regions import RegionLevel
from schemas.registry import Employment, Health, HouseholdCategory, LabourCapacity, Relation, SchoolingStage
from schemas.registry_imports import ImportReject

E = TypeVar("E", bound=enum.Enum)

HOUSEHOLD_NO = re.compile(r"^[0-9A-Za-z-]{4,32}$")
VILLAGE_CODE = re.compile(r"^[0-9]{12}$")
MAX_ADDRESS_CHARS = 200
MAX_NAME_CHARS = 50
WHOLE_HOUSEHOLD_REJECTED = "同户其他成员信息有误，整户未导入"


class Member(msgspec.Struct, frozen=True):
    row: int
    name: str
    id_number: str  # normalised, 18 characters
    relation: Relation
    sex: str
    birth_date: dt.date
    labour_capacity: LabourCapacity
    health: Health
    disability_level: int | None
    schooling_stage: SchoolingStage | None
    employment: Employment | None


class ImportHousehold(msgspec.Struct, frozen=True):
    household_no: str
    village_code: str
    category: HouseholdCategory
    address: str
    head_phone: str | None
    latitude: float | None
    longitude: float | None
    members: list[Member]


class ParsedRow(msgspec.Struct):
    row: int
    household_no: str
    relation: Relation | None
    household: dict[str, object]  # household columns this row filled in, parsed
    member: Member | None  # None when a member column is bad
    problems: list[ImportReject]


class RegistryFacts(msgspec.Struct, frozen=True):
    """What the database says about the file's keys, looked up in bulk before checking."""

    village_levels: dict[str, str]  # code → level, for the file's codes that exist
    scope_prefix: str  # the caller's region prefix; "" for everything
    taken_household_nos: frozenset[str]
    registered_id_numbers: frozenset[str]


class ImportCheck(msgspec.Struct, frozen=True):
    households: list[ImportHousehold]
    rejects: list[ImportReject]  # sorted by row, then column in file order
    households_rejected: int


def _enum(enum_type: type[E], words: dict[str, E]) -> Callable[[str], E]:
    def parse(text: str) -> E:
        try:
            return words.get(text) or enum_type(text.lower())
        except ValueError:
            allowed = "、".join([*words, *(m.value for m in enum_type)])
            raise CellError(f"无法识别「{text}」，可填：{allowed}") from None

    return parse


def _id_number(text: str) -> str:
    if "E+" in text.upper():
        raise CellError("身份证号码被表格软件转成了科学计数法，请把该列设为文本格式后重新导出")
    try:
        return normalize_id_number(text)
    except InvalidIdNumber as exc:
        raise CellError(str(exc)) from None


def _text(limit: int, *, one_line: bool = False) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > limit:
            raise CellError(f"不能超过 {limit} 个字")
        if one_line and ("\t" in text or "\n" in text):
            raise CellError("不能换行或含制表符")
        return text

    return parse


def _pattern(pattern: re.Pattern[str], reason: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not pattern.match(text):
            raise CellError(reason)
        return text

    return parse


def _phone(text: str) -> str:
    try:
        return normalize_phone(text)
    except ValueError as exc:
        raise CellError(str(exc)) from None


def _coordinate(limit: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        if not text.isascii():  # float() would also read full-width and other scripts' digits
            raise CellError("应为数字")
        try:
            value = float(text)
        except ValueError:
            raise CellError("应为数字") from None
        if not -limit <= value <= limit:
            raise CellError(f"应在 -{limit:g} 到 {limit:g} 之间")
        return value

    return parse


def _disability(text: str) -> int:
    level = columns.DISABILITY_WORDS.get(text) or (int(text) if text.isascii() and text.isdigit() else 0)
    if not 1 <= level <= 4:
        raise CellError("残疾等级应为 1–4 或 一级–四级")
    return level


# One parser per column: a cell's text → its value, or CellError with a reason staff can act on.
PARSERS: dict[str, Callable[[str], object]] = {
    "household_no": _pattern(HOUSEHOLD_NO, "户编号应为4–32位字母、数字或连字符"),
    "village_code": _pattern(VILLAGE_CODE, "村代码应为12位数字"),
    "category": _enum(HouseholdCategory, columns.CATEGORY_WORDS),
    "address": _text(MAX_ADDRESS_CHARS),
    "head_phone": _phone,
    "latitude": _coordinate(90),
    "longitude": _coordinate(180),
    "name": _text(MAX_NAME_CHARS, one_line=True),  # as schemas.base.Name
    "id_number": _id_number,
    "relation": _enum(Relation, columns.RELATION_WORDS),
    "labour_capacity": _enum(LabourCapacity, columns.LABOUR_WORDS),
    "health": _enum(Health, columns.HEALTH_WORDS),
    "disability_level": _disability,
    "schooling_stage": _enum(SchoolingStage, columns.SCHOOLING_WORDS),
    "employment": _enum(Employment, columns.EMPLOYMENT_WORDS),
}
MEMBER_DEFAULTS: dict[str, object] = {"labour_capacity": LabourCapacity.normal, "health": Health.healthy}


def parse_row(raw: RawRow) -> ParsedRow:
    values: dict[str, object] = {}
    problems: list[ImportReject] = []
    for key, text in raw.cells.items():
        if not text:
            if columns.COLUMN_BY_KEY[key].required and not columns.COLUMN_BY_KEY[key].household:
                problems.append(ImportReject(row=raw.row, column=key, reason="必填项为空"))
            continue
        if reason := control_character_reason(text):
            problems.append(ImportReject(row=raw.row, column=key, reason=reason))
            continue
        try:
            values[key] = PARSERS[key](text)
        except CellError as exc:
            problems.append(ImportReject(row=raw.row, column=key, reason=str(exc)))
    if not raw.cells.get("household_no"):
        problems.append(ImportReject(row=raw.row, column="household_no", reason="必填项为空"))
    member = None
    if not any(not columns.COLUMN_BY_KEY[p.column].household for p in problems):
        number = str(values["id_number"])
        member = Member(
            row=raw.row,
            name=str(values["name"]),
            id_number=number,
            relation=values["relation"],  # type: ignore[arg-type]
            sex=id_sex(number),
            birth_date=id_birth_date(number),
            labour_capacity=values.get("labour_capacity", MEMBER_DEFAULTS["labour_capacity"]),  # type: ignore[arg-type]
            health=values.get("health", MEMBER_DEFAULTS["health"]),  # type: ignore[arg-type]
            disability_level=values.get("disability_level"),  # type: ignore[arg-type]
            schooling_stage=values.get("schooling_stage"),  # type: ignore[arg-type]
            employment=values.get("employment"),  # type: ignore[arg-type]
        )
    relation = values.get("relation")
    return ParsedRow(
        row=raw.row,
        household_no=raw.cells.get("household_no", ""),
        relation=relation if isinstance(relation, Relation) else None,
        household={k: values[k] for k in columns.HOUSEHOLD_KEYS if k in values},
        member=member,
        problems=problems,
    )


def parse_rows(rows: Iterable[RawRow]) -> list[ParsedRow]:
    return [parse_row(raw) for raw in rows]


def keys_to_look_up(parsed: list[ParsedRow]) -> tuple[set[str], set[str], set[str]]:
    """The village codes, household numbers and ID numbers the database must be asked about."""
    villages = {str(p.household["village_code"]) for p in parsed if "village_code" in p.household}
    household_nos = {p.household_no for p in parsed if HOUSEHOLD_NO.match(p.household_no)}
    id_numbers = {p.member.id_number for p in parsed if p.member is not None}
    return villages, household_nos, id_numbers


def _mark_duplicates_in_file(parsed: list[ParsedRow]) -> None:
    rows_by_number: dict[str, list[int]] = defaultdict(list)
    for p in parsed:
        if p.member is not None:
            rows_by_number[p.member.id_number].append(p.row)
    for p in parsed:
        if p.member is not None and len(rows := rows_by_number[p.member.id_number]) > 1:
            where = "、".join(str(r) for r in rows)
            p.problems.append(
                ImportReject(
                    row=p.row, column="id_number", reason=f"身份证号码在文件中重复出现（第 {where} 行）"
                )
            )


def _household_problems(household_no: str, rows: list[ParsedRow], facts: RegistryFacts) -> list[ImportReject]:
    """Problems of the household as a whole, reported on its first row."""
    first = rows[0].row
    problems: list[ImportReject] = []

    def problem(column: str, reason: str) -> None:
        problems.append(ImportReject(row=first, column=column, reason=reason))

    for key in columns.HOUSEHOLD_KEYS:
        if len({r.household[key] for r in rows if key in r.household}) > 1:
            problem(key, f"同一户各行的「{columns.COLUMN_BY_KEY[key].label}」不一致")
    village = next((r.household["village_code"] for r in rows if "village_code" in r.household), None)
    if village is None:
        if not any(p.column == "village_code" for r in rows for p in r.problems):
            problem("village_code", "本户没有填写村代码")
    elif facts.village_levels.get(str(village)) != RegionLevel.village:
        problem("village_code", "村代码不存在（应为已登记的12位村级区划代码）")
    elif not str(village).startswith(facts.scope_prefix):
        problem("village_code", "该村不在您的管辖范围内")
    if not any("category" in r.household for r in rows) and not any(
        p.column == "category" for r in rows for p in r.problems
    ):
        problem("category", "本户没有填写户类型")
    heads = sum(1 for r in rows if r.relation is Relation.head)
    if heads != 1:
        problem("relation", f"每户必须有且只有一位户主（本户有 {heads} 位）")
    if household_no in facts.taken_household_nos:
        problem("household_no", "户编号已登记，本户未重复导入")
    for r in rows:
        if r.member is not None and r.member.id_number in facts.registered_id_numbers:
            r.problems.append(
                ImportReject(row=r.row, column="id_number", reason="该身份证号码已登记在其他家庭中")
            )
    return problems


def _household(household_no: str, rows: list[ParsedRow]) -> ImportHousehold:
    values = {k: v for r in rows for k, v in r.household.items()}
    return ImportHousehold(
        household_no=household_no,
        village_code=str(values["village_code"]),
        category=values["category"],  # type: ignore[arg-type]
        address=str(values.get("address", "")),
        head_phone=values.get("head_phone"),  # type: ignore[arg-type]
        latitude=values.get("latitude"),  # type: ignore[arg-type]
        longitude=values.get("longitude"),  # type: ignore[arg-type]
        members=[r.member for r in rows if r.member is not None],
    )


def check(parsed: list[ParsedRow], facts: RegistryFacts) -> ImportCheck:
    """Households ready to insert, and a reject entry for every row that will not be imported."""
    _mark_duplicates_in_file(parsed)
    by_household: dict[str, list[ParsedRow]] = defaultdict(list)
    rejects: list[ImportReject] = []
    for p in parsed:
        if p.household_no:
            by_household[p.household_no].append(p)
        else:
            rejects.extend(p.problems)
    households: list[ImportHousehold] = []
    rejected = 0
    for household_no, rows in by_household.items():
        problems = _household_problems(household_no, rows, facts)
        problems += [problem for r in rows for problem in r.problems]
        if not problems:
            households.append(_household(household_no, rows))
            continue
        rejected += 1
        reported = {p.row for p in problems}
        problems += [
            ImportReject(row=r.row, column="household_no", reason=WHOLE_HOUSEHOLD_REJECTED)
            for r in rows
            if r.row not in reported
        ]
        rejects.extend(problems)
    order = {key: i for i, key in enumerate(columns.COLUMN_BY_KEY)}
    rejects.sort(key=lambda p: (p.row, order.get(p.column, len(order))))
    return ImportCheck(households=households, rejects=rejects, households_rejected=rejected)


def rows_rejected(rejects: list[ImportReject]) -> int:
    return len({p.row for p in rejects})
