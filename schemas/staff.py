"""Staff accounts made by admins and county bureaus (issue 14 item 16; DOMAIN §1, §11)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta

from schemas.accounts import NewPassword
from schemas.base import BaseStruct, Id, ImportReject, Name, Page, PageMeta, PageSize, RegionCode, Role
from schemas.feeds import FeedCode

Username = Annotated[
    str, Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{2,31}$", description="3–32 位小写字母、数字、下划线、点或连字符")
]
Phone = Annotated[str, Meta(min_length=11, max_length=20, description="手机号")]


class StaffUserCreate(BaseStruct):
    """A new staff account. `region_code` for every role but union and supplier staff, at the
    level the role works at; `union_id` for union roles, `supplier_id` for a supplier;
    `department_feeds` for a department. Without `password` the server makes one, returned once."""

    username: Username
    display_name: Name
    role: Role
    region_code: RegionCode | None = None
    union_id: Id | None = None
    supplier_id: Id | None = None
    department_feeds: list[FeedCode] = msgspec.field(default_factory=list)
    phone: Phone | None = None
    password: NewPassword | None = None


class StaffUser(BaseStruct):
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    must_change_password: bool
    created_at: dt.datetime
    region_code: str | None = None
    region_name: str | None = None
    union_id: int | None = None
    supplier_id: int | None = None
    department_feeds: list[FeedCode] = msgspec.field(default_factory=list)
    phone_masked: str | None = None
    created_by: int | None = None
    deactivated_at: dt.datetime | None = None


class StaffPhoneUpdate(BaseStruct):
    """The account's phone (a farmer calls their helper on it); null removes it."""

    phone: Phone | None


class StaffUserCreated(BaseStruct):
    user: StaffUser
    # Only when the server made the password: shown this once, never stored in clear.
    initial_password: str | None = None


class OneTimePassword(BaseStruct):
    """A password reset: the user logs in with it once and must then choose their own."""

    user_id: int
    initial_password: str


class StaffUserSearch(BaseStruct):
    q: str | None = None  # part of the username or display name
    role: Role | None = None
    region_code: RegionCode | None = None  # users in this region and below
    active: bool | None = None
    page: Page = 1
    page_size: PageSize = 20


class StaffUserPage(BaseStruct):
    items: list[StaffUser]
    meta: PageMeta


class StaffImportReport(BaseStruct):
    """A staff list upload: each row is created whole or listed in `rejects`. The created users'
    one-time passwords are downloadable once, by the importer (`passwords_available`)."""

    id: int
    created_at: dt.datetime
    imported_by: int
    file_name: str
    encoding: str
    rows_total: int
    rows_rejected: int
    users_created: int
    passwords_available: bool
    rejects: list[ImportReject]
