"""The calendar tests drive county approvals the way tests/applications does, with its `flow`."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.applications import routes as application_routes
from tests.applications.conftest import flow  # noqa: F401  (the shared fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = "/api/admin/calendar"

# A made-up 2027 notice: 元旦 on Friday 1/1 with Monday 1/4 off as well, Saturday 1/2 worked instead.
NOTICE_2027: dict[str, Any] = {
    "source": "国务院办公厅关于2027年部分节假日安排的通知（测试用）",
    "holidays": [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-01-04", "name": "元旦"}],
    "workdays": [{"date": "2027-01-02", "name": "元旦调休"}],
}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Sets the instant the workflow routes take as "now"; returns the setter."""

    def set_now(moment: dt.datetime) -> None:
        monkeypatch.setattr(application_routes, "utcnow", lambda: moment)

    return set_now
