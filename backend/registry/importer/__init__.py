"""Registry bulk import from CSV (DOMAIN §3): see columns.py for the file format."""

from backend.registry.importer.cli import run_import_cli
from backend.registry.importer.service import (
    get_import,
    import_registry,
    list_imports,
    rejects_csv,
    upload_region,
)

__all__ = ["get_import", "import_registry", "list_imports", "rejects_csv", "run_import_cli", "upload_region"]
