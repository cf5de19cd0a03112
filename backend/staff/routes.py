"""Staff account management for admins and county bureaus. Thin: scope and rules live in the service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Response, Router, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, JSONBody, QueryParameter

from backend import tabular
from backend.deps import Caller, Conn, PageParam, PathId, PiiDep, RevocationsDep
from backend.errors import responses
from backend.http import LOCATION, created
from backend.staff import columns, importing, service
from backend.staff import errors as staff_errors
from backend.tabular import errors as tabular_errors
from schemas.base import Role
from schemas.staff import (
    OneTimePassword,
    StaffImportReport,
    StaffPhoneUpdate,
    StaffUser,
    StaffUserCreate,
    StaffUserCreated,
    StaffUserPage,
    StaffUserSearch,
)

MULTIPART_OVERHEAD_BYTES = 64 * 1024  # room for the multipart envelope around the largest file


@post(
    "/users",
    operation_id="CreateStaffUser",
    responses=responses(
        staff_errors.RegionOutOfScope,
        staff_errors.RoleNotAssignable,
        staff_errors.StaffUserNotFound,
        staff_errors.UsernameTaken,
        staff_errors.StaffUserInvalid,
    ),
    status_code=201,
    response_headers=LOCATION,
)
async def create_user(
    data: JSONBody[StaffUserCreate], conn: Conn, pii: PiiDep, principal: Caller
) -> Response[StaffUserCreated]:
    """Answers the initial password once when the server made it; the user must change it at first log-in."""
    made = await service.create_user(conn, pii, principal, data)
    return created(made, f"/api/staff/users/{made.user.id}")


@get("/users", operation_id="SearchStaffUsers")
async def search_users(
    conn: Conn,
    principal: Caller,
    q: FromQuery[Annotated[str, QueryParameter(max_length=50)] | None] = None,
    role: FromQuery[Role | None] = None,
    region_code: FromQuery[Annotated[str, QueryParameter(pattern=r"^[0-9]{12}$")] | None] = None,
    active: FromQuery[bool | None] = None,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
) -> StaffUserPage:
    search = StaffUserSearch(
        q=q, role=role, region_code=region_code, active=active, page=page, page_size=page_size
    )
    return await service.list_users(conn, principal, search)


@get("/users/{user_id:int}", operation_id="GetStaffUser", responses=responses(staff_errors.StaffUserNotFound))
async def get_user(user_id: PathId, conn: Conn, principal: Caller) -> StaffUser:
    return await service.get_user(conn, principal, user_id)


@post(
    "/users/{user_id:int}/deactivate",
    operation_id="DeactivateStaffUser",
    responses=responses(staff_errors.OwnAccount, staff_errors.StaffUserNotFound),
    status_code=200,
)
async def deactivate_user(
    user_id: PathId, conn: Conn, principal: Caller, revocations: RevocationsDep
) -> StaffUser:
    """Log-in is refused from now on and every session of the account ends."""
    return await service.set_active(conn, revocations, principal, user_id, active=False)


@post(
    "/users/{user_id:int}/reactivate",
    operation_id="ReactivateStaffUser",
    responses=responses(staff_errors.OwnAccount, staff_errors.StaffUserNotFound),
    status_code=200,
)
async def reactivate_user(
    user_id: PathId, conn: Conn, principal: Caller, revocations: RevocationsDep
) -> StaffUser:
    return await service.set_active(conn, revocations, principal, user_id, active=True)


@put(
    "/users/{user_id:int}/phone",
    operation_id="SetStaffPhone",
    responses=responses(staff_errors.StaffUserNotFound, staff_errors.StaffUserInvalid),
)
async def set_phone(user_id: PathId, data: JSONBody[StaffPhoneUpdate], conn: Conn, pii: PiiDep, principal: Caller) -> StaffUser:
    """The phone a farmer sees for their helper (encrypted at rest, masked for staff); null removes it."""
    return await service.set_phone(conn, pii, principal, user_id, data.phone)


@post(
    "/users/{user_id:int}/password-reset",
    operation_id="ResetStaffPassword",
    responses=responses(staff_errors.OwnAccount, staff_errors.StaffUserNotFound),
    status_code=200,
)
async def reset_password(
    user_id: PathId, conn: Conn, principal: Caller, revocations: RevocationsDep
) -> OneTimePassword:
    """A one-time password, answered once; every session ends, the user must change it at the next log-in."""
    return await service.reset_password(conn, revocations, principal, user_id)


@dataclass
class StaffImportUpload:
    """The form: the file goes in the `data` part (docs/staff.md); a form without it is refused as
    invalid (litestar's bare UploadFile answered such a form with a 500)."""

    data: UploadFile


@post(
    "/imports",
    operation_id="ImportStaffUsers",
    responses=responses(tabular_errors.ImportFileInvalid),
    status_code=201,
    response_headers=LOCATION,
    request_max_body_size=columns.MAX_STAFF_IMPORT_BYTES + MULTIPART_OVERHEAD_BYTES,
)
async def import_users(
    data: Annotated[StaffImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    conn: Conn,
    pii: PiiDep,
    principal: Caller,
) -> Response[StaffImportReport]:
    """A CSV or XLSX staff list; the columns are in docs/staff.md."""
    upload = data.data
    report = await importing.import_users(
        conn, pii, principal, data=await upload.read(), file_name=upload.filename or "staff.csv"
    )
    return created(report, f"/api/staff/imports/{report.id}")


@get(
    "/imports/{import_id:int}",
    operation_id="GetStaffImport",
    responses=responses(staff_errors.StaffImportNotFound),
)
async def get_import(import_id: PathId, conn: Conn, principal: Caller) -> StaffImportReport:
    return await importing.get_import(conn, principal, import_id)


@get(
    "/imports/{import_id:int}/rejects.csv",
    operation_id="DownloadStaffImportRejects",
    media_type=tabular.CSV_MEDIA_TYPE,
    responses=responses(staff_errors.StaffImportNotFound),
)
async def download_rejects(import_id: PathId, conn: Conn, principal: Caller) -> Response[bytes]:
    report = await importing.get_import(conn, principal, import_id)
    return tabular.csv_download(importing.rejects_csv(report), f"staff-import-{import_id}-rejects.csv")


@post(
    "/imports/{import_id:int}/passwords.csv",
    operation_id="TakeStaffImportPasswords",
    media_type=tabular.CSV_MEDIA_TYPE,
    responses=responses(staff_errors.StaffImportNotFound, staff_errors.PasswordsGone),
    status_code=200,
)
async def take_passwords(import_id: PathId, conn: Conn, pii: PiiDep, principal: Caller) -> Response[bytes]:
    """The one-time passwords of the accounts the import made: to the importer, once (a POST, since
    it consumes them), within a day of the import."""
    body = await importing.take_passwords(conn, pii, principal, import_id)
    return tabular.csv_download(body, f"staff-import-{import_id}-passwords.csv")


router = Router(
    path="/api/staff",
    route_handlers=[
        create_user,
        search_users,
        get_user,
        deactivate_user,
        reactivate_user,
        reset_password,
        set_phone,
        import_users,
        get_import,
        download_rejects,
        take_passwords,
    ],
    tags=["staff"],
)
