"""The registry import file (DOMAIN §3): one CSV row per person, household columns repeated or
given once per household. Headers may be the English keys or the Chinese labels below; enum
cells may be the English codes or the Chinese words county staff use. No I/O here."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from backend.registry.importer.errors import ImportFileInvalid
from schemas.base import ErrorDetail
from schemas.registry import Employment, Health, HouseholdCategory, LabourCapacity, Relation, SchoolingStage

MAX_IMPORT_ROWS = 100_000  # a large county's whole registry; bigger files go in several batches
MAX_IMPORT_BYTES = 30 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header county staff type
    required: bool = False
    household: bool = False  # a household attribute: repeated on members' rows or given once


COLUMNS = (
    Column("household_no", "户编号", required=True, household=True),
    Column("village_code", "村代码", required=True, household=True),
    Column("category", "户类型", required=True, household=True),
    Column("address", "住址", household=True),
    Column("head_phone", "户主电话", household=True),
    Column("latitude", "纬度", household=True),
    Column("longitude", "经度", household=True),
    Column("name", "姓名", required=True),
    Column("id_number", "身份证号", required=True),
    Column("relation", "与户主关系", required=True),
    Column("labour_capacity", "劳动能力"),
    Column("health", "健康状况"),
    Column("disability_level", "残疾等级"),
    Column("schooling_stage", "在校生状况"),
    Column("employment", "务工状况"),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
HOUSEHOLD_KEYS = tuple(c.key for c in COLUMNS if c.household and c.key != "household_no")
# Spreadsheet exports often carry a running number; it means nothing to the registry.
IGNORED_HEADERS = frozenset({"序号", "no", "row"})
_HEADER_TO_KEY = {c.key: c.key for c in COLUMNS} | {c.label: c.key for c in COLUMNS}

# Chinese words accepted for enum cells, besides the English codes (national registry wording).
CATEGORY_WORDS = {
    "脱贫户": HouseholdCategory.lifted,
    "一般农户": HouseholdCategory.ordinary,
    "一般户": HouseholdCategory.ordinary,
}
RELATION_WORDS = {
    "户主": Relation.head,
    "本人": Relation.head,
    "配偶": Relation.spouse,
    "妻": Relation.spouse,
    "夫": Relation.spouse,
    "子女": Relation.child,
    "之子": Relation.child,
    "之女": Relation.child,
    "子": Relation.child,
    "女": Relation.child,
    "父母": Relation.parent,
    "之父": Relation.parent,
    "之母": Relation.parent,
    "父亲": Relation.parent,
    "母亲": Relation.parent,
    "孙子女": Relation.grandchild,
    "之孙子": Relation.grandchild,
    "之孙女": Relation.grandchild,
    "兄弟姐妹": Relation.sibling,
    "之兄弟姐妹": Relation.sibling,
    "其他": Relation.other,
    "之儿媳": Relation.other,
    "之女婿": Relation.other,
}
LABOUR_WORDS = {
    "普通劳动力": LabourCapacity.normal,
    "技能劳动力": LabourCapacity.normal,
    "弱劳动力或半劳动力": LabourCapacity.weak,
    "弱劳动力": LabourCapacity.weak,
    "半劳动力": LabourCapacity.weak,
    "丧失劳动力": LabourCapacity.none,
    "无劳动力": LabourCapacity.none,
}
HEALTH_WORDS = {
    "健康": Health.healthy,
    "长期慢性病": Health.chronic,
    "慢性病": Health.chronic,
    "患有大病": Health.serious,
    "大病": Health.serious,
    "残疾": Health.disabled,
}
SCHOOLING_WORDS = {
    "学前教育": SchoolingStage.preschool,
    "学前": SchoolingStage.preschool,
    "义务教育": SchoolingStage.compulsory,
    "小学": SchoolingStage.compulsory,
    "初中": SchoolingStage.compulsory,
    "高中": SchoolingStage.high_school,
    "普通高中": SchoolingStage.high_school,
    "中职": SchoolingStage.vocational,
    "职业教育": SchoolingStage.vocational,
    "大学": SchoolingStage.college,
    "大专": SchoolingStage.college,
    "本科": SchoolingStage.college,
    "非在校生": SchoolingStage.none,
    "无": SchoolingStage.none,
}
EMPLOYMENT_WORDS = {
    "务农": Employment.farming,
    "本地务工": Employment.local_work,
    "县内务工": Employment.local_work,
    "外出务工": Employment.migrant_work,
    "公益性岗位": Employment.public_post,
    "公益岗": Employment.public_post,
    "失业": Employment.unemployed,
    "待业": Employment.unemployed,
    "学生": Employment.student,
    "在校生": Employment.student,
    "退休": Employment.retired,
    "无": Employment.none,
}
DISABILITY_WORDS = {"一级": 1, "二级": 2, "三级": 3, "四级": 4}

# Encodings we read, as we name them in the batch record. Excel in China saves "CSV" as GBK; we
# decode with GB 18030, its superset, so every GBK file reads.
ENCODING_UTF8_BOM = "utf-8-sig"
ENCODING_UTF8 = "utf-8"
ENCODING_GBK = "gbk"


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was in: UTF-8 with or without BOM, else GBK."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), ENCODING_UTF8_BOM
        except UnicodeDecodeError:
            raise ImportFileInvalid("文件标明是 UTF-8 编码，但内容不是，请重新导出") from None
    try:
        return data.decode("utf-8"), ENCODING_UTF8
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), ENCODING_GBK
    except UnicodeDecodeError:
        raise ImportFileInvalid("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV 文件") from None


@dataclass(frozen=True)
class RawRow:
    row: int  # the spreadsheet row number: the header is row 1
    cells: dict[str, str]  # column key → stripped cell text ("" when empty)


def read_rows(data: bytes) -> tuple[list[RawRow], str]:
    """The file's data rows keyed by column, and its encoding; a bad header refuses the whole file."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileInvalid(f"文件太大，每次最多导入 {MAX_IMPORT_BYTES // 1024 // 1024} MB")
    text, encoding = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(records, None)
    if not header:
        raise ImportFileInvalid("文件是空的")
    keys = _header_keys(header)
    rows: list[RawRow] = []
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            raise ImportFileInvalid(f"每次最多导入 {MAX_IMPORT_ROWS} 行，请分批导入")
        cells = {key: "" for key in keys if key is not None}
        for key, cell in zip(keys, record, strict=False):
            if key is not None:
                cells[key] = cell.strip()
        rows.append(RawRow(number, cells))
    return rows, encoding


def _header_keys(header: list[str]) -> list[str | None]:
    keys: list[str | None] = []
    problems: list[ErrorDetail] = []
    for name in (h.strip() for h in header):
        key = _HEADER_TO_KEY.get(name) or _HEADER_TO_KEY.get(name.lower())
        if key is None and name.lower() not in IGNORED_HEADERS and name:
            problems.append(ErrorDetail(field=name, reason="无法识别的列名"))
        if key is not None and key in keys:
            problems.append(ErrorDetail(field=name, reason="列名重复"))
        keys.append(key)
    for column in COLUMNS:
        if column.required and column.key not in keys:
            problems.append(
                ErrorDetail(field=column.key, reason=f"缺少必填列「{column.label}」({column.key})")
            )
    if problems:
        raise ImportFileInvalid("文件的表头不正确，请使用导入模板的列名", problems)
    return keys
