"""Registry bulk import wire types (DOMAIN §3, §11)."""

from __future__ import annotations

import datetime as dt
import enum

from schemas.base import BaseStruct, ImportReject


class ImportSource(enum.StrEnum):
    upload = "upload"  # county staff through the API
    cli = "cli"  # `fangpin import-registry`


class ImportBatch(BaseStruct):
    id: int
    created_at: dt.datetime
    source: ImportSource
    region_code: str
    file_name: str
    encoding: str
    rows_total: int
    rows_rejected: int
    households_imported: int
    persons_imported: int
    households_rejected: int
    imported_by: int | None = None


__all__ = ["ImportBatch", "ImportReject", "ImportReport", "ImportSource"]


class ImportReport(ImportBatch, kw_only=True):
    rejects: list[ImportReject]
