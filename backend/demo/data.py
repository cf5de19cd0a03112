"""The demo's fixed tables: a made-up province under code 66 (no real province has it, so demo
regions can never be mistaken for real ones), its two counties, the demo staff and the
consumption-assistance parties. Everything here is invented."""

from __future__ import annotations

import datetime as dt

from stdnum.cn import uscc

from backend.wechat.fake import openid_for
from schemas.base import Role
from schemas.notifications import NotificationEvent, TemplateUpdate

PROVINCE = "660000000000"
CITY = "660100000000"
COUNTY_SHIMEN = "660121000000"  # 石门县: national key assistance county
COUNTY_BAISHUI = "660122000000"  # 白水县: provincial key assistance county
TOWNSHIP_SHIMEN = "660121100000"
VILLAGE_SHIMEN = "660121100201"  # where the demo village staff, helper and farmer are

# (code, name, parent, poverty-relieved county, key assistance)
REGIONS: list[tuple[str, str, str | None, bool, str | None]] = [
    (PROVINCE, "青山省", None, False, None),
    (CITY, "云溪市", PROVINCE, False, None),
    (COUNTY_SHIMEN, "石门县", CITY, True, "national"),
    (COUNTY_BAISHUI, "白水县", CITY, True, "provincial"),
    (TOWNSHIP_SHIMEN, "石门镇", COUNTY_SHIMEN, False, None),
    ("660121201000", "龙潭乡", COUNTY_SHIMEN, False, None),
    ("660122100000", "白水镇", COUNTY_BAISHUI, False, None),
    ("660122202000", "青林乡", COUNTY_BAISHUI, False, None),
    (VILLAGE_SHIMEN, "石门村", TOWNSHIP_SHIMEN, False, None),
    ("660121100202", "河口村", TOWNSHIP_SHIMEN, False, None),
    ("660121100203", "桃源村", TOWNSHIP_SHIMEN, False, None),
    ("660121201201", "龙潭村", "660121201000", False, None),
    ("660121201202", "茶山村", "660121201000", False, None),
    ("660121201203", "松林村", "660121201000", False, None),
    ("660122100201", "白水村", "660122100000", False, None),
    ("660122100202", "杨柳村", "660122100000", False, None),
    ("660122100203", "清溪村", "660122100000", False, None),
    ("660122202201", "青林村", "660122202000", False, None),
    ("660122202202", "竹坪村", "660122202000", False, None),
    ("660122202203", "梨花村", "660122202000", False, None),
]
VILLAGES = [(code, name) for code, name, *_ in REGIONS if code[9:] != "000"]
REGION_NAMES = {code: name for code, name, *_ in REGIONS}

# The demo is seeded relative to the day it runs: union budgets for this year and the two before,
# thresholds from the 2019 reference up to this year, incomes for the last full year.
# 监测范围 (DOMAIN §3): 5,000 yuan is the 2019–2020 reference; every later year is the province's
# yearly configuration, here invented in the range provinces actually set (6,000 yuan in 2021,
# raised by 300 yuan a year).
THRESHOLD_REFERENCE_YEARS = (2019, 2020)
THRESHOLD_REFERENCE_FEN = 500_000
THRESHOLD_REFERENCE_NOTE = "2019–2020年参考标准：人均纯收入5000元（约为国家扶贫标准的1.5倍）"
THRESHOLD_2021_FEN = 600_000
THRESHOLD_RISE_FEN_PER_YEAR = 30_000
THRESHOLD_CONFIGURED_NOTE = "省级年度监测范围（演示配置）"


def thresholds_fen(this_year: int) -> list[tuple[int, int, str]]:
    """(year, per-capita line in fen, note) from the 2019 reference up to `this_year`."""
    rows = [(year, THRESHOLD_REFERENCE_FEN, THRESHOLD_REFERENCE_NOTE) for year in THRESHOLD_REFERENCE_YEARS]
    first_configured = THRESHOLD_REFERENCE_YEARS[-1] + 1
    for year in range(first_configured, this_year + 1):
        fen = THRESHOLD_2021_FEN + (year - first_configured) * THRESHOLD_RISE_FEN_PER_YEAR
        rows.append((year, fen, THRESHOLD_CONFIGURED_NOTE))
    return rows


HOUSEHOLD_COUNT = 200
DEMO_RANDOM_SEED = 20_210_101  # the demo is the same on every machine
DEMO_TODAY = dt.date(2025, 1, 1)  # ages in the demo are computed at this date, so they never drift
# Real birthplace codes (GB 11643 checks them); demo people were born in these counties.
BIRTHPLACES = ("522633", "522632", "522634", "522631")

UNION_NAME = "云溪市总工会"
UNION_APPROVAL_THRESHOLD_FEN = 200_000  # orders above 2,000 yuan need an approver
# Budgets for two years ago, last year and this year: 200,000, 300,000 and 500,000 yuan, against the
# food procurement totals its budget units stated (2, 2.5 and 3 million yuan; 10 % of it reserved).
UNION_BUDGETS_FEN = (20_000_000, 30_000_000, 50_000_000)
UNION_FOOD_PROCUREMENT_FEN = (200_000_000, 250_000_000, 300_000_000)
# Some provinces set a yearly amount per member for grassroots unions (DOMAIN §8: e.g. 300 yuan).
UNION_PER_MEMBER_FEN = 30_000
UNION_MEMBERS = 1_200


def union_budgets_fen(this_year: int) -> list[tuple[int, int, int]]:
    """(year, budget, stated food procurement total), in fen, for this year and the two before."""
    first = this_year - len(UNION_BUDGETS_FEN) + 1
    return [
        (first + offset, fen, food)
        for offset, (fen, food) in enumerate(zip(UNION_BUDGETS_FEN, UNION_FOOD_PROCUREMENT_FEN, strict=True))
    ]


def _credit_code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


# (name, credit code, county) — both in the poverty-relieved 石门县 (DOMAIN §8).
SUPPLIERS = [
    ("石门县山珍农业专业合作社", _credit_code("93660121MA6C1Q2R5"), COUNTY_SHIMEN),
    ("石门县龙潭茶业有限公司", _credit_code("91660121MA7D3K8N2"), COUNTY_SHIMEN),
]
# (supplier index, certified product number, name, category, unit, price fen, stock, minimum order)
PRODUCTS = [
    (0, "XF-660121-2024-0001", "石门高山土鸡蛋（30枚）", "禽蛋", "盒", 4_800, 500, 10),
    (0, "XF-660121-2024-0002", "石门香菇干（500克）", "干货", "袋", 6_800, 300, 5),
    (0, "XF-660121-2024-0003", "石门黑猪腊肉（1千克）", "肉制品", "袋", 12_800, 200, 5),
    (1, "XF-660121-2024-0011", "龙潭云雾绿茶（250克）", "茶叶", "罐", 15_800, 400, 2),
    (1, "XF-660121-2024-0012", "龙潭高山红茶（250克）", "茶叶", "罐", 12_800, 400, 2),
]

# One staff user per role: (role, username, password, region, display name, the feed a department uploads).
STAFF = [
    (Role.helper, "demo_helper", "fangpin-helper", VILLAGE_SHIMEN, "帮扶干部 刘志强", None),
    (Role.grid_officer, "demo_grid", "fangpin-grid", VILLAGE_SHIMEN, "信息员 杨春梅", None),
    (Role.village, "demo_village", "fangpin-village", VILLAGE_SHIMEN, "石门村两委", None),
    (Role.township, "demo_township", "fangpin-township", TOWNSHIP_SHIMEN, "石门镇", None),
    (Role.county, "demo_county", "fangpin-county", COUNTY_SHIMEN, "石门县乡村振兴局", None),
    (Role.department, "demo_department", "fangpin-department", COUNTY_SHIMEN, "石门县医疗保障局", "medical"),
    (Role.union_buyer, "demo_union_buyer", "fangpin-union-buyer", None, "云溪市总工会 采购员", None),
    (Role.union_approver, "demo_union_approver", "fangpin-union-approver", None, "云溪市总工会 审批人", None),
    (Role.supplier, "demo_supplier", "fangpin-supplier", None, "石门县山珍农业专业合作社", None),
    (Role.admin, "demo_admin", "fangpin-admin", PROVINCE, "系统管理员", None),
]
# The wx.login code that logs in as the demo farmer: the shipped WeChat fake turns it into this openid
# (the same function), so `./dev up` and the mini-program's developer tools reach the farmer with it.
DEMO_FARMER_JS_CODE = "demo-farmer"
DEMO_FARMER_OPENID = openid_for(DEMO_FARMER_JS_CODE)

# WeChat subscribe-message templates (订阅消息) for the events a farmer is told about (DOMAIN §9),
# laid out like the public library's 审核结果通知: what, status, when, note. The template ids are
# invented (the WeChat fake takes any); a real mini-program's ids replace them through
# PUT /api/notifications/templates/{event}. Pages are the mini-program's, relative, no leading "/".
CASE_PAGE = "pages/application/detail?id={application_id}"
HOUSEHOLD_PAGE = "pages/household/index"


def _case_template(template_id: str, status: str, *, sms_fallback: bool = False) -> TemplateUpdate:
    return TemplateUpdate(
        template_id=template_id,
        page=CASE_PAGE,
        fields={
            "thing1": "literal:防返贫监测申请",  # 申请事项
            "phrase2": f"literal:{status}",  # 办理状态, at most 5 Chinese characters
            "time3": "created_at",  # 办理时间
            "thing4": "body",  # 温馨提示
            "character_string5": "data.application_id",  # 申请编号
        },
        sms_fallback=sms_fallback,
    )


TEMPLATES: dict[NotificationEvent, TemplateUpdate] = {
    NotificationEvent.application_received: _case_template(
        "DemoC0kn1a8QPWqixiI6F42JRfBhUOBWeN-kxVo1k8U0", "已受理"
    ),
    # A request for material runs against the 15-day clock: worth an SMS when there is no grant.
    NotificationEvent.application_returned: _case_template(
        "DemozCJ351kTdvVOYlsyW3JbAcF032NULuLlRjTWT5I", "待补充", sms_fallback=True
    ),
    NotificationEvent.application_in_notice: _case_template(
        "DemoFmTX147l4Ev_qt4sscjhAAJJljVstaAVfCXtCSMY", "公示中"
    ),
    NotificationEvent.application_approved: _case_template(
        "Demo4kyijtbvOiyMUdK8Pwn3dvpv6MWrxEX3niUlfshE", "已通过"
    ),
    NotificationEvent.application_rejected: _case_template(
        "DemorHlmUQlxRWZHz_ee5xit1uJvX9t2fbCY9p-jLWM", "未通过", sms_fallback=True
    ),
    # A plan due date counted on the provisional calendar moved when the year's notice was entered.
    NotificationEvent.due_date_changed: _case_template(
        "DemoQd7u2RkP0yTn5cWvX8aLbE3hJm9sFgZ1oIiK4Ne6", "期限调整"
    ),
    NotificationEvent.risk_eliminated: TemplateUpdate(
        template_id="Demo6Baf6Lb8x3HB40bslfNLERfcXLbxUib_V8T9qGsE",
        page=HOUSEHOLD_PAGE,
        fields={
            "thing1": "literal:防返贫监测",
            "phrase2": "literal:已消除",
            "time3": "created_at",
            "thing4": "body",
        },
    ),
    NotificationEvent.helper_assigned: TemplateUpdate(
        template_id="Demo0nyEqjk1nAbXl-9_ln8aTD6aBuPRtILGLS-R7s8",
        page=HOUSEHOLD_PAGE,
        fields={"thing1": "title", "thing2": "body", "time3": "created_at"},  # 通知事项, 说明, 时间
    ),
}
