"""Plain Chinese for farmers: state names, the timeline, "what happens next" and notifications."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from backend.calendar.rules import CountedDate
from schemas.applications import Action, CaseKind, CaseState, NegativeListKind, NextStep, RiskType, Source
from schemas.base import Role
from schemas.notifications import NotificationEvent
from schemas.registry import MonitoringType

STATE_LABELS: dict[CaseState, str] = {
    CaseState.draft: "草稿",
    CaseState.verification: "待入户核实",
    CaseState.village_review: "待村民主评议",
    CaseState.awaiting_notice: "评议通过，待公示",
    CaseState.in_notice: "村内公示中",
    CaseState.township_review: "待乡镇审核",
    CaseState.county_approval: "待县级审定",
    CaseState.returned: "退回补充材料",
    CaseState.approved: "已纳入监测",
    CaseState.rejected: "未通过",
    CaseState.withdrawn: "已撤回",
}

# A risk elimination ends differently: approved means the household leaves monitoring.
_ELIMINATION_LABELS = {CaseState.approved: "风险已消除", CaseState.rejected: "未通过，继续监测"}


def state_label(kind: CaseKind, state: CaseState) -> str:
    if kind is CaseKind.risk_elimination and state in _ELIMINATION_LABELS:
        return _ELIMINATION_LABELS[state]
    return STATE_LABELS[state]


ACTION_VERBS: dict[Action, str] = {
    Action.open: "登记申请",
    Action.submit: "提交申请",
    Action.verify: "入户核实",
    Action.village_pass: "完成民主评议",
    Action.village_fail: "完成民主评议",
    Action.start_notice: "开始公示",
    Action.raise_objection: "提出异议",
    Action.resolve_objection: "处理异议",
    Action.end_notice: "结束公示",
    Action.township_pass: "乡镇审核",
    Action.approve: "县级审定",
    Action.reject: "县级审定",
    Action.return_for_material: "退回补充材料",
    Action.answer_return: "补充材料",
    Action.withdraw: "撤回申请",
    Action.propose_elimination: "提出风险消除",
    Action.approve_elimination: "审定风险消除",
}

ROLE_LABELS: dict[Role, str] = {
    Role.farmer: "农户",
    Role.helper: "帮扶干部",
    Role.grid_officer: "网格员",
    Role.village: "村委会",
    Role.township: "乡镇",
    Role.county: "县乡村振兴局",
    Role.department: "行业部门",
    Role.admin: "系统管理员",
}

RISK_LABELS: dict[RiskType, str] = {
    RiskType.illness: "因病",
    RiskType.disability: "因残",
    RiskType.schooling: "因学",
    RiskType.disaster: "因灾",
    RiskType.accident: "因意外事故",
    RiskType.epidemic: "因疫",
    RiskType.business_failure: "因产业项目失败或经营亏损",
    RiskType.unstable_employment: "因务工就业不稳",
    RiskType.lack_of_labour: "缺劳动力",
    RiskType.housing_unsafe: "住房出现安全问题",
    RiskType.dropout: "义务教育阶段失学辍学",
    RiskType.water_unsafe: "饮水安全问题",
    RiskType.income_drop: "收入骤减",
    RiskType.other: "其他",
}

MONITORING_TYPE_LABELS: dict[MonitoringType, str] = {
    MonitoringType.unstable: "脱贫不稳定户",
    MonitoringType.marginal: "边缘易致贫户",
    MonitoringType.sudden_hardship: "突发严重困难户",
}

NEGATIVE_KIND_LABELS: dict[NegativeListKind, str] = {
    NegativeListKind.commercial_housing: "有商品房",
    NegativeListKind.vehicle: "有车辆",
    NegativeListKind.public_payroll: "有财政供养人员",
    NegativeListKind.enterprise_role: "担任企业法人或股东",
    NegativeListKind.large_deposit: "有大额存款",
}

_OPENED_BY: dict[Source, str] = {
    Source.self_report: "您提交了监测申请，已受理",
    Source.cadre_screening: "干部走访排查时发现您家可能有困难，已为您登记申请",
    Source.department_alert: "部门数据比对发现您家可能有困难，已为您登记申请",
}


def md(day: dt.date | str) -> str:
    """`9月28日`, how a date reads on a notice board."""
    value = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{value.month}月{value.day}日"


# Said after a date counted on the provisional calendar (DOMAIN §5), wherever it is shown.
PROVISIONAL_MARK = "（暂定）"
PROVISIONAL_NOTE = "期限按暂定的节假日安排推算，国家公布节假日安排后可能调整"


def due_md(due: CountedDate) -> str:
    """`1月8日`, or `1月8日（暂定）` for a provisional date."""
    return md(due.date) + (PROVISIONAL_MARK if due.provisional else "")


def describe(action: Action, actor_role: Role, data: Mapping[str, object]) -> str:
    """One timeline line for the farmer, from the event's action and recorded figures."""
    who = ROLE_LABELS.get(actor_role, "工作人员")
    match action:
        case Action.open | Action.submit:
            return _OPENED_BY[Source(str(data.get("source", Source.self_report)))]
        case Action.verify:
            return f"{who}已到您家入户核实"
        case Action.village_pass:
            return "村委会已完成民主评议，结果：通过"
        case Action.village_fail:
            return f"村委会已完成民主评议，结果：未通过。原因：{data.get('reason', '')}"
        case Action.start_notice:
            return f"已在村内公示，公示期{md(str(data['start_date']))}至{md(str(data['end_date']))}"
        case Action.raise_objection:
            return "公示期间收到异议，村委会正在核实"
        case Action.resolve_objection:
            return "异议已核实处理"
        case Action.end_notice:
            return "公示期满，异议均已处理"
        case Action.township_pass:
            return "乡镇已审核通过，报县里审定"
        case Action.approve:
            label = MONITORING_TYPE_LABELS[MonitoringType(str(data["monitoring_type"]))]
            return f"县乡村振兴局审定通过，您家已纳入防返贫监测（{label}）"
        case Action.reject:
            return f"县乡村振兴局审定未通过，原因：{data.get('reason', '')}"
        case Action.return_for_material:
            return f"{who}退回了申请，需要您补充材料"
        case Action.answer_return:
            return "已补充材料，继续办理"
        case Action.withdraw:
            return "申请已撤回"
        case Action.propose_elimination:
            return "帮扶责任人提出风险消除：您家收入已稳定超过监测标准，报村民主评议"
        case Action.approve_elimination:
            return "县乡村振兴局审定通过，您家风险已消除，不再作为防返贫监测对象"


# Comments the farmer should read in the timeline; others (review minutes, objection content) stay
# with the staff.
FARMER_VISIBLE_COMMENTS = frozenset(
    {Action.return_for_material, Action.reject, Action.answer_return, Action.withdraw, Action.submit}
)

_NEXT: dict[CaseState, tuple[str, str]] = {
    CaseState.draft: ("您", "完善申请内容并提交"),
    CaseState.verification: ("帮扶干部", "到您家入户核实情况"),
    CaseState.village_review: ("村委会", "组织村民主评议"),
    CaseState.awaiting_notice: ("村委会", "在村内公示，公示不少于5天"),
    CaseState.township_review: ("乡镇", "审核"),
    CaseState.county_approval: ("县乡村振兴局", "审定"),
}


def next_step(
    state: CaseState,
    *,
    deadline: dt.date | None,
    notice_end: dt.date | None,
    plan_due: CountedDate | None,
    return_reason: str | None,
    kind: CaseKind = CaseKind.identification,
) -> NextStep | None:
    """下一步: who acts next and by when; None once nothing more is expected."""
    if state is CaseState.returned and kind is CaseKind.risk_elimination:
        return NextStep(who="帮扶责任人", what=f"补充风险消除材料：{return_reason or ''}")
    if state in _NEXT:
        who, what = _NEXT[state]
        return NextStep(who=who, what=what, due_date=deadline)
    if state is CaseState.in_notice:
        assert notice_end is not None
        return NextStep(
            who="村委会",
            what=f"公示到{md(notice_end)}，期间对公示内容有意见可以向村委会反映；公示期满后报乡镇审核",
            due_date=notice_end,
        )
    if state is CaseState.returned:
        return NextStep(who="您", what=f"按要求补充材料：{return_reason or ''}", due_date=deadline)
    if state is CaseState.approved and plan_due is not None:
        what = "为您家制定帮扶计划（一户一策）"
        return NextStep(
            who="帮扶责任人",
            what=f"{what}；{PROVISIONAL_NOTE}" if plan_due.provisional else what,
            due_date=plan_due.date,
            due_date_provisional=plan_due.provisional,
        )
    return None


def notification(
    event: NotificationEvent,
    action: Action,
    new_state: CaseState,
    *,
    reason: str = "",
    due: CountedDate | None = None,
    kind: CaseKind = CaseKind.identification,
) -> tuple[str, str]:
    """(title, body) of a notification about a case."""
    if kind is CaseKind.risk_elimination:
        return _elimination_notification(event, new_state, reason=reason, due=due)
    match event:
        case NotificationEvent.application_received:
            return "申请已受理", "您家的监测申请已受理，帮扶干部会尽快到您家核实情况。"
        case NotificationEvent.application_returned:
            return "需要补充材料", f"您家的申请被退回，需要补充材料：{reason}"
        case NotificationEvent.application_in_notice:
            return "申请正在公示", f"您家的申请已在村内公示，公示到{due_md(due) if due else ''}。"
        case NotificationEvent.application_approved:
            return "申请已通过", "您家已纳入防返贫监测，帮扶责任人会和您一起制定帮扶计划。"
        case NotificationEvent.application_rejected:
            return "申请未通过", f"您家的申请未通过，原因：{reason}"
        case _:
            if action is Action.approve:
                return (
                    "请制定帮扶计划",
                    f"有一户已纳入监测，请在{due_md(due) if due else ''}前落实帮扶计划（一户一策）。",
                )
            if action is Action.raise_objection:
                return "公示收到异议", "有一份公示中的申请收到异议，请核实处理。"
            return "有申请等您办理", f"有一份申请等您办理：{STATE_LABELS[new_state]}。"


def _elimination_notification(
    event: NotificationEvent, new_state: CaseState, *, reason: str, due: CountedDate | None
) -> tuple[str, str]:
    match event:
        case NotificationEvent.application_in_notice:
            return "风险消除公示", f"您家的风险消除已在村内公示，公示到{due_md(due) if due else ''}。"
        case NotificationEvent.risk_eliminated:
            return "风险已消除", "县乡村振兴局已审定您家风险消除。以后遇到困难，仍可随时申请监测帮扶。"
        case NotificationEvent.application_rejected:
            return "风险消除未通过", f"您提出的风险消除未通过，这户继续监测帮扶。原因：{reason}"
        case NotificationEvent.application_returned:
            return "需要补充材料", f"您提出的风险消除被退回，需要补充材料：{reason}"
        case _:
            return "有风险消除等您办理", f"有一户的风险消除等您办理：{STATE_LABELS[new_state]}。"


def due_date_changed(old: CountedDate, new: CountedDate, *, for_farmer: bool) -> tuple[str, str]:
    """(title, body) telling that a provisional plan due date moved once the year's notice was entered."""
    why = "国家公布了节假日安排"
    if for_farmer:
        return "办理期限调整", (
            f"{why}，帮扶责任人为您家制定帮扶计划的期限由{due_md(old)}调整为{due_md(new)}。"
        )
    return "办理期限调整", (
        f"{why}，有一户的帮扶计划（一户一策）期限由{due_md(old)}调整为{due_md(new)}，请按新期限落实。"
    )
