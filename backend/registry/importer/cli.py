"""`fangpin import-registry FILE --region CODE`: the same import as the upload, for an operator."""

from __future__ import annotations

from pathlib import Path

from backend.db import create_pool
from backend.errors import DomainError
from backend.pii import Pii
from backend.registry.importer import service
from backend.settings import Settings
from schemas.registry_imports import ImportReport, ImportSource

REGION_EXISTS = "SELECT 1 FROM regions WHERE code = $1"


def summary(report: ImportReport) -> str:
    return (
        f"导入批次 #{report.id} ({report.encoding}): {report.rows_total} 行, "
        f"导入 {report.households_imported} 户 {report.persons_imported} 人, "
        f"未导入 {report.households_rejected} 户 ({report.rows_rejected} 行)"
    )


async def run_import_cli(settings: Settings, file: str, region: str) -> bool:
    """Imports `file` scoped to `region`; prints a summary and writes `<file>.rejects.csv` when rows
    were rejected. True when every row was imported."""
    path = Path(file)
    pool = await create_pool(settings.database_url or "", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            if await conn.fetchval(REGION_EXISTS, region) is None:
                print(f"地区代码 {region} 不存在")
                return False
            pii = Pii(settings.key_bytes("pii_key"), settings.key_bytes("pii_index_key"))
            try:
                report = await service.import_registry(
                    conn,
                    pii,
                    data=path.read_bytes(),
                    file_name=path.name,
                    region_code=region,
                    source=ImportSource.cli,
                    actor_user_id=None,
                )
            except DomainError as exc:
                print(exc.message)
                for item in exc.detail or []:
                    print(f"  {item.field}: {item.reason}")
                return False
    finally:
        await pool.close()
    print(summary(report))
    if report.rejects:
        rejects_path = path.with_name(path.name + ".rejects.csv")
        rejects_path.write_bytes(service.rejects_csv(report.rejects))
        print(f"未导入的行及原因: {rejects_path}")
    return not report.rejects
