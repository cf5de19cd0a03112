"""The columns of each department feed (DOMAIN §7.1): the header a department may give each one
(English key, Chinese label, the other Chinese names real exports use), how its cell is read and
which staging column (migration 0012) it fills. Headers not listed here are ignored: departments
export more than we need, the person's name included (matching is by ID number alone)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backend.feeds import cells
from backend.tabular import Column
from schemas.feeds import FeedCode

ID_NUMBER = Column(
    "id_number", "身份证号", required=True,
    aliases=("身份证号码", "公民身份号码", "公民身份证号码", "证件号码", "身份证件号码", "证件号", "身份证"),
)  # fmt: skip
VILLAGE_CODE = "village_code"


@dataclass(frozen=True)
class FeedField:
    column: Column
    staging: str  # its column in feed_rows_<feed>
    parse: Callable[[str], object]

    @property
    def key(self) -> str:
        return self.column.key


@dataclass(frozen=True)
class RowCheck:
    """A rule between two cells of a row, reported on `column` when `test` gives a reason."""

    column: str
    keys: tuple[str, str]  # the values `test` receives, None when the cell was empty
    test: Callable[[Any, Any], str | None]


@dataclass(frozen=True)
class RowFill:
    """The value of `column` when its cell is empty, from other cells of a valid row."""

    column: str
    keys: tuple[str, ...]
    fill: Callable[..., object]


@dataclass(frozen=True)
class FeedSpec:
    fields: tuple[FeedField, ...]
    checks: tuple[RowCheck, ...] = ()
    fills: tuple[RowFill, ...] = ()
    id_required: bool = True  # water: a row names a person or a village

    @property
    def columns(self) -> tuple[Column, ...]:
        return (_id_column(self.id_required), *(f.column for f in self.fields))


def _id_column(required: bool) -> Column:
    return ID_NUMBER if required else Column(ID_NUMBER.key, ID_NUMBER.label, aliases=ID_NUMBER.aliases)


def _field(key: str, label: str, staging: str, parse: Callable[[str], object], *aliases: str,
           required: bool = True) -> FeedField:  # fmt: skip
    return FeedField(Column(key, label, required=required, aliases=aliases), staging, parse)


def _not_before(later_label: str, earlier_label: str) -> Callable[[dt.date | None, dt.date | None], str | None]:
    def test(earlier: dt.date | None, later: dt.date | None) -> str | None:
        if earlier is not None and later is not None and later < earlier:
            return f"{later_label}早于{earlier_label}"
        return None

    return test


def _at_most(part_label: str, total_label: str) -> Callable[[int | None, int | None], str | None]:
    def test(part: int | None, total: int | None) -> str | None:
        if part is not None and total is not None and part > total:
            return f"{part_label}不能超过{total_label}"
        return None

    return test


def _person_or_village(id_index: bytes | None, village: str | None) -> str | None:
    if (id_index is None) == (village is None):
        return "身份证号和村代码须填且只填一项"
    return None


DATE_ALIASES = ("日期", "发生日期", "变动日期", "登记日期")

SPECS: dict[FeedCode, FeedSpec] = {
    FeedCode.medical: FeedSpec(
        (
            _field("period_start", "开始日期", "period_start", cells.date, "就诊日期", "入院日期", "起始日期", "费用开始日期"),
            _field("period_end", "结束日期", "period_end", cells.date, "出院日期", "结算日期", "截止日期", "费用结束日期"),
            _field("total_cost", "总费用", "total_cost_fen", cells.amount_fen, "医疗总费用", "费用总额", "总金额"),
            _field("reimbursed", "报销金额", "reimbursed_fen", cells.amount_fen, "医保报销", "统筹支付", "基金支付", "报销总额"),
            _field("out_of_pocket", "个人自付", "out_of_pocket_fen", cells.amount_fen, "自付金额", "个人负担", "个人支付", "自付费用"),
        ),
        (
            RowCheck("period_end", ("period_start", "period_end"), _not_before("结束日期", "开始日期")),
            RowCheck("reimbursed", ("reimbursed", "total_cost"), _at_most("报销金额", "总费用")),
            RowCheck("out_of_pocket", ("out_of_pocket", "total_cost"), _at_most("个人自付", "总费用")),
        ),
    ),
    FeedCode.welfare: FeedSpec(
        (
            _field("kind", "救助类型", "kind", cells.choice(cells.WELFARE_KINDS), "救助类别", "保障类型", "类别"),
            _field("start_date", "开始日期", "start_date", cells.date, "起始日期", "享受开始日期", "批准日期"),
            _field("end_date", "结束日期", "end_date", cells.date, "截止日期", "终止日期", required=False),
            _field("amount", "金额", "amount_fen", cells.amount_fen, "救助金额", "发放金额", "保障金额"),
        ),
        (RowCheck("end_date", ("start_date", "end_date"), _not_before("结束日期", "开始日期")),),
    ),
    FeedCode.education: FeedSpec(
        (
            _field("stage", "学段", "stage", cells.choice(cells.EDUCATION_STAGES), "教育阶段", "就读阶段", "学习阶段"),
            _field("status", "学籍状态", "status", cells.choice(cells.EDUCATION_STATUSES), "在校状态", "状态"),
            _field("date", "日期", "event_date", cells.date, *DATE_ALIASES[1:]),
        ),
    ),
    FeedCode.housing: FeedSpec(
        (
            _field("address", "地址", "address", cells.text(), "住址", "房屋地址", "房屋坐落"),
            _field("appraisal_grade", "鉴定等级", "appraisal_grade", cells.housing_grade, "危房等级", "安全等级", "房屋等级"),
            _field("appraisal_date", "鉴定日期", "appraisal_date", cells.date, "评定日期", *DATE_ALIASES),
        ),
    ),
    FeedCode.disability: FeedSpec(
        (
            _field("category", "残疾类别", "category", cells.text(20), "残疾类型"),
            _field("level", "残疾等级", "level", cells.disability_level, "等级"),
            _field("issue_date", "发证日期", "issue_date", cells.date, "办证日期", "核发日期", *DATE_ALIASES),
        ),
    ),
    FeedCode.employment: FeedSpec(
        (
            _field("status", "就业状态", "status", cells.choice(cells.EMPLOYMENT_STATUSES), "就业状况", "状态"),
            _field("monthly_income", "月收入", "monthly_income_fen", cells.amount_fen, "月工资", "月均收入", required=False),
            _field("date", "日期", "event_date", cells.date, *DATE_ALIASES[1:]),
        ),
    ),
    FeedCode.disaster: FeedSpec(
        (
            _field("disaster_type", "灾害类型", "disaster_type", cells.text(50), "灾种", "受灾类型"),
            _field("loss_amount", "损失金额", "loss_fen", cells.amount_fen, "直接经济损失", "经济损失"),
            _field("date", "日期", "event_date", cells.date, "受灾日期", *DATE_ALIASES[1:]),
        ),
    ),
    FeedCode.civil_registry: FeedSpec(
        (
            _field("event", "事件", "event", cells.choice(cells.CIVIL_EVENTS), "变动类型", "户籍变动", "变动原因"),
            _field("date", "日期", "event_date", cells.date, *DATE_ALIASES[1:]),
        ),
    ),
    FeedCode.water: FeedSpec(
        (
            _field(VILLAGE_CODE, "村代码", "village_code", cells.village_code, "行政村代码", "村级代码", "区划代码", required=False),
            _field("issue", "问题", "issue", cells.text(), "问题描述", "饮水问题", "存在问题"),
            _field("date", "日期", "event_date", cells.date, *DATE_ALIASES[1:]),
        ),
        (RowCheck(ID_NUMBER.key, (ID_NUMBER.key, VILLAGE_CODE), _person_or_village),),
        id_required=False,
    ),
    FeedCode.negative_list: FeedSpec(
        (
            _field("kind", "类型", "kind", cells.choice(cells.NEGATIVE_LIST_KINDS), "清单类型", "负面清单类型", "资产类型", "类别"),
            _field("source_department", "来源部门", "source_department", cells.text(50), "数据来源", "提供部门", required=False),
            _field("description", "说明", "description", cells.text(), "描述", "资产描述", "详情", "持有情况", required=False),
            _field("amount", "金额", "amount_fen", cells.amount_fen, "资产金额", "存款金额", required=False),
        ),
        fills=(
            RowFill("source_department", ("kind",), cells.NEGATIVE_LIST_SOURCES.__getitem__),
            RowFill("description", (), str),  # the table's default, ''
        ),
    ),
}

# The columns of feed_rows_<feed> the reader fills, in the table's order (migration 0012); the
# pipeline adds batch_id, matching fills person_id and household_id.
STAGING_COLUMNS: dict[FeedCode, tuple[str, ...]] = {
    feed: ("row_no", "id_number_bidx", "id_number_masked", *(f.staging for f in spec.fields))
    for feed, spec in SPECS.items()
}
