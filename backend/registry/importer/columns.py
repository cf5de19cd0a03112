"""The registry import file (DOMAIN §3, CSV or XLSX, read by backend/tabular): one row per person, household columns repeated or
given once per household. Headers may be the English keys or the Chinese labels below; enum
cells may be the English codes or the Chinese words county staff use. No I/O here."""

from __future__ import annotations

from backend import tabular
from backend.tabular import Column, RawRow
from schemas.registry import Employment, Health, HouseholdCategory, LabourCapacity, Relation, SchoolingStage

MAX_IMPORT_ROWS = 100_000  # a large county's whole registry; bigger files go in several batches
MAX_IMPORT_BYTES = 30 * 1024 * 1024


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


def read_rows(data: bytes) -> tuple[list[RawRow], str]:
    """The file's data rows keyed by column, and its encoding; a bad header refuses the whole file."""
    return tabular.read_table(data, COLUMNS, max_rows=MAX_IMPORT_ROWS, max_bytes=MAX_IMPORT_BYTES)
