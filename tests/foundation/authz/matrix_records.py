"""The matrix rows of records: regions, the registry and its imports, staff accounts and their
imports, feed batches, the inbox, and the admin's system-wide settings (calendar, templates)."""

from __future__ import annotations

from typing import Any

from schemas.base import Role
from tests.calendar.conftest import NOTICE_2027
from tests.foundation.authz.objects import feed_batch, notification, registry_import, staff_account, staff_import
from tests.foundation.authz.op import Op, one, params
from tests.foundation.authz.scene import ACCOUNT, COUNTY, FEED, GLOBAL, PERSONAL, REGION, VILLAGE, Scene, Spot


async def _region(scene: Scene, spot: Spot) -> dict[str, Any]:
    return {"code": VILLAGE[spot]}


async def _household(scene: Scene, spot: Spot) -> int:
    return scene.household(spot).id


async def _person(scene: Scene, spot: Spot) -> int:
    return scene.household(spot).member_ids[0]


async def _inactive_account(scene: Scene, spot: Spot) -> int:
    return await staff_account(scene, spot, active=False)


async def _template(scene: Scene, spot: Spot) -> dict[str, Any]:
    await scene.pool.execute(
        "INSERT INTO notification_templates (event, template_id, fields) VALUES ('application_returned', 'tmpl-r', $1)",
        TEMPLATE["fields"],
    )
    return {"event": "application_returned"}


TEMPLATE = {
    "template_id": "tmpl-returned",
    "fields": {"thing1": "title", "thing2": "data.reason", "time3": "created_at"},
}
STAFF_USER = one("user_id", staff_account)
STAFF_IMPORT = one("import_id", staff_import)
REGISTRY_IMPORT = one("import_id", registry_import)
BATCH = one("batch_id", feed_batch)

OPS: dict[str, Op] = {
    # regions (backend/regions/routes.py)
    "GetRegion": Op(_region, Role.village, spots=REGION, admin_acts=True),
    "ListRegionChildren": Op(_region, Role.village, spots=REGION, admin_acts=True),
    "UpdateRegion": Op(_region, Role.admin, {"name": "甲一村（新）"}, spots=GLOBAL, admin_acts=True),
    # the registry (backend/registry/routes.py)
    "GetHousehold": Op(one("household_id", _household), Role.village, admin_acts=True),
    "RecordIncome": Op(
        one("household_id", _household), Role.village, {"year": 2026, "member_count": 3, "wage_fen": 2_400_000},
        admin_acts=True,
    ),
    "RevealIdNumber": Op(one("person_id", _person), Role.county, admin_acts=True),
    "GetRegistryImport": Op(REGISTRY_IMPORT, Role.county, spots=COUNTY, admin_acts=True),
    "DownloadRegistryImportRejects": Op(REGISTRY_IMPORT, Role.county, spots=COUNTY, admin_acts=True),
    # staff accounts (backend/staff/routes.py)
    "GetStaffUser": Op(STAFF_USER, Role.county, spots=ACCOUNT, admin_acts=True),
    "DeactivateStaffUser": Op(STAFF_USER, Role.county, spots=ACCOUNT, admin_acts=True),
    "ReactivateStaffUser": Op(one("user_id", _inactive_account), Role.county, spots=ACCOUNT, admin_acts=True),
    "ResetStaffPassword": Op(STAFF_USER, Role.county, spots=ACCOUNT, admin_acts=True),
    "SetStaffPhone": Op(STAFF_USER, Role.county, {"phone": "13907710001"}, spots=ACCOUNT, admin_acts=True),
    # staff imports are the importer's (an admin reads any, but takes nobody's passwords)
    "GetStaffImport": Op(STAFF_IMPORT, Role.county, spots=COUNTY, admin_acts=True),
    "DownloadStaffImportRejects": Op(STAFF_IMPORT, Role.county, spots=COUNTY, admin_acts=True),
    "TakeStaffImportPasswords": Op(STAFF_IMPORT, Role.county, spots=COUNTY),
    # feed batches (backend/feeds/routes.py)
    "GetFeedBatch": Op(BATCH, Role.department, spots=FEED, admin_acts=True),
    "DownloadFeedBatchRejects": Op(BATCH, Role.department, spots=FEED, admin_acts=True),
    # the inbox is personal, an admin's too
    "MarkRead": Op(one("notification_id", notification), Role.farmer, spots=PERSONAL),
    # system-wide settings: the admin's alone
    "PutNotificationTemplate": Op(
        params(event="application_returned"), Role.admin, TEMPLATE, spots=GLOBAL, admin_acts=True
    ),
    "DeleteNotificationTemplate": Op(_template, Role.admin, spots=GLOBAL, admin_acts=True),
    "GetCalendarYear": Op(params(year=2027), Role.admin, spots=GLOBAL, admin_acts=True),
    "DeclareCalendarYear": Op(params(year=2027), Role.admin, NOTICE_2027, spots=GLOBAL, admin_acts=True),
}
