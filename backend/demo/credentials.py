"""The demo log-ins as text for the terminal (`fangpin up` prints it)."""

from __future__ import annotations

from backend.demo.seed import DemoSeed

ROLE_NAMES = {
    "helper": "帮扶干部",
    "grid_officer": "网格员/信息员",
    "village": "村两委",
    "township": "乡镇",
    "county": "县乡村振兴局",
    "department": "行业部门",
    "union_buyer": "工会采购员",
    "union_approver": "工会审批人",
    "supplier": "供应商",
    "admin": "管理员",
}


def format_credentials(result: DemoSeed) -> str:
    """A table of every demo staff log-in, the demo farmer and what the demo holds."""
    width_user = max(len(login.username) for login in result.logins)
    width_password = max(len(login.password) for login in result.logins)
    lines = [
        "Demo log-ins (staff: POST /api/auth/login with username and password)",
        f"  {'role':<15} {'username':<{width_user}}  {'password':<{width_password}}  region / organisation",
    ]
    for login in result.logins:
        lines.append(
            f"  {login.role:<15} {login.username:<{width_user}}  {login.password:<{width_password}}  "
            f"{login.region}  ({ROLE_NAMES.get(login.role, '')})"
        )
    farmer = result.farmer
    lines.append(
        f"  farmer 农户: {farmer.name}, household {farmer.household_no} (user {farmer.user_id}): "
        f'POST /api/miniapp/auth/login {{"code": "{farmer.js_code}"}} through the WeChat fake '
        f"(openid {farmer.openid})"
    )
    counts = result.counts
    lines.append(
        f"Demo data: {counts['regions']} regions, {counts['households']} households, "
        f"{counts['persons']} persons, "
        f"{counts['users']} users, {counts['suppliers']} suppliers, {counts['products']} products"
        + (f" ({result.households_added} households added now)" if result.households_added else "")
    )
    return "\n".join(lines)
