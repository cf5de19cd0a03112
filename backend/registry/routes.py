"""Staff registry endpoints. Thin: scope and rules live in the service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Response, Router, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, JSONBody, QueryParameter

from backend import tabular
from backend.auth import REGION_ROLES, require_role
from backend.deps import Caller, Conn, PageParam, PathId, PiiDep
from backend.errors import responses
from backend.http import LOCATION, created
from backend.registry import errors as registry_errors
from backend.registry import importer, service
from backend.registry.importer import errors as importer_errors
from backend.registry.importer.columns import MAX_IMPORT_BYTES
from backend.tabular import errors as tabular_errors
from schemas.alerts import HouseholdWithAlerts
from schemas.base import Role
from schemas.registry import (
    Household,
    HouseholdCreate,
    HouseholdPage,
    HouseholdSearch,
    IdNumberReveal,
    IncomeSurvey,
    MonitoringStatus,
)
from schemas.registry_imports import ImportBatch, ImportReport, ImportSource

REGISTRARS = {Role.village, Role.township, Role.county, Role.admin}
# Roles that need a full ID number (matching department data, official paperwork).
FULL_ID_READERS = {Role.county, Role.admin}
# Line departments see their own data batches, not the registry (README "Roles").
HOUSEHOLD_READERS = (REGION_ROLES - {Role.department}) | {Role.admin}


@post(
    "/households",
    operation_id="CreateHousehold",
    responses=responses(
        registry_errors.VillageOutOfScope,
        registry_errors.HouseholdNotFound,
        registry_errors.HouseholdNoTaken,
        registry_errors.PersonAlreadyRegistered,
        registry_errors.InvalidMembers,
        registry_errors.VillageNotFound,
    ),
    response_headers=LOCATION,
)
async def create_household(
    data: JSONBody[HouseholdCreate], conn: Conn, pii: PiiDep, principal: Caller
) -> Response[Household]:
    require_role(principal, REGISTRARS)
    household = await service.create_household(conn, pii, principal, data)
    return created(household, f"/api/households/{household.id}")


@get("/households", operation_id="SearchHouseholds", responses=responses(registry_errors.IdNumberInvalid))
async def search_households(
    conn: Conn,
    pii: PiiDep,
    principal: Caller,
    household_no: FromQuery[str | None] = None,
    name: FromQuery[str | None] = None,
    id_number: FromQuery[str | None] = None,
    monitoring_status: FromQuery[MonitoringStatus | None] = None,
    region_code: FromQuery[str | None] = None,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
) -> HouseholdPage:
    require_role(principal, HOUSEHOLD_READERS)
    search = HouseholdSearch(
        household_no=household_no,
        name=name,
        id_number=id_number,
        monitoring_status=monitoring_status,
        region_code=region_code,
        page=page,
        page_size=page_size,
    )
    return await service.search_households(conn, pii, principal, search)


@get(
    "/households/{household_id:int}",
    operation_id="GetHousehold",
    responses=responses(registry_errors.HouseholdNotFound),
)
async def get_household(household_id: PathId, conn: Conn, principal: Caller) -> HouseholdWithAlerts:
    """With the household's traffic light (红黄绿) and open alerts (docs/alerts.md)."""
    require_role(principal, HOUSEHOLD_READERS)
    return await service.get_household_with_alerts(conn, principal, household_id)


@put(
    "/households/{household_id:int}/incomes",
    operation_id="RecordIncome",
    responses=responses(registry_errors.HouseholdNotFound),
)
async def record_income(
    household_id: PathId, data: JSONBody[IncomeSurvey], conn: Conn, principal: Caller
) -> dict[str, int]:
    require_role(principal, REGISTRARS | {Role.helper})
    return {"per_capita_net_income_fen": await service.record_income(conn, principal, household_id, data)}


@get(
    "/persons/{person_id:int}/id-number",
    operation_id="RevealIdNumber",
    responses=responses(registry_errors.HouseholdNotFound),
)
async def reveal_id_number(person_id: PathId, conn: Conn, pii: PiiDep, principal: Caller) -> IdNumberReveal:
    require_role(principal, FULL_ID_READERS)
    number = await service.reveal_id_number(conn, pii, principal, person_id)
    return IdNumberReveal(person_id=person_id, id_number=number)


IMPORTERS = {Role.county, Role.admin}
# Room for the multipart envelope around the largest accepted file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


@dataclass
class ImportUpload:
    """The form: the file goes in the `file` part (curl -F file=@households.csv); a form without
    it is refused as invalid rather than taken for a file."""

    file: UploadFile


@post(
    "/registry/imports",
    operation_id="ImportRegistry",
    responses=responses(importer_errors.ImportCollided, tabular_errors.ImportFileInvalid),
    response_headers=LOCATION,
    request_max_body_size=MAX_IMPORT_BYTES + MULTIPART_OVERHEAD_BYTES,
)
async def import_registry(
    data: Annotated[ImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    conn: Conn,
    pii: PiiDep,
    principal: Caller,
) -> Response[ImportReport]:
    """A CSV or XLSX file of households (one row per person); the columns are in docs/registry-import.md."""
    require_role(principal, IMPORTERS)
    report = await importer.import_registry(
        conn,
        pii,
        data=await data.file.read(),
        file_name=data.file.filename or "upload.csv",
        region_code=importer.upload_region(principal),
        source=ImportSource.upload,
        actor_user_id=principal.user_id,
    )
    return created(report, f"/api/registry/imports/{report.id}")


@get("/registry/imports", operation_id="ListRegistryImports")
async def list_imports(conn: Conn, principal: Caller) -> list[ImportBatch]:
    require_role(principal, IMPORTERS)
    return await importer.list_imports(conn, principal)


@get(
    "/registry/imports/{import_id:int}",
    operation_id="GetRegistryImport",
    responses=responses(importer_errors.ImportNotFound),
)
async def get_import(import_id: PathId, conn: Conn, principal: Caller) -> ImportReport:
    require_role(principal, IMPORTERS)
    return await importer.get_import(conn, principal, import_id)


@get(
    "/registry/imports/{import_id:int}/rejects.csv",
    operation_id="DownloadRegistryImportRejects",
    media_type=tabular.CSV_MEDIA_TYPE,
    responses=responses(importer_errors.ImportNotFound),
)
async def download_rejects(import_id: PathId, conn: Conn, principal: Caller) -> Response[bytes]:
    require_role(principal, IMPORTERS)
    report = await importer.get_import(conn, principal, import_id)
    return tabular.csv_download(importer.rejects_csv(report.rejects), f"import-{import_id}-rejects.csv")


router = Router(
    path="/api",
    route_handlers=[
        create_household,
        search_households,
        get_household,
        record_income,
        reveal_id_number,
        import_registry,
        list_imports,
        get_import,
        download_rejects,
    ],
    tags=["registry"],
)
