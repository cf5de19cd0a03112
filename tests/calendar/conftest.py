"""The calendar tests drive county approvals the way tests/applications does, with its `flow` and
its `clock` (set to the approval's instant)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from tests.applications.conftest import clock, flow  # noqa: F401  (the shared fixtures)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = "/api/admin/calendar"

# A made-up 2027 notice: 元旦 on Friday 1/1 with Monday 1/4 off as well, Saturday 1/2 worked instead.
NOTICE_2027: dict[str, Any] = {
    "source": "国务院办公厅关于2027年部分节假日安排的通知（测试用）",
    "holidays": [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-01-04", "name": "元旦"}],
    "workdays": [{"date": "2027-01-02", "name": "元旦调休"}],
}
