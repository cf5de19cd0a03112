"""CSV for people to open in Excel: UTF-8 with a BOM (without it Excel in China reads GBK)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from litestar import Response

from backend.tabular.reading import Column
from schemas.base import ImportReject

REJECTS_CSV_HEADER = ("行号", "列", "列名", "原因")
# `media_type=` of a download route; litestar adds `charset=utf-8` to a text type itself.
CSV_MEDIA_TYPE = "text/csv"


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def rejects_csv(rejects: Iterable[ImportReject], columns: Sequence[Column]) -> bytes:
    """A reject report: row, column key, its Chinese label, reason."""
    labels = {c.key: c.label for c in columns}
    return csv_bytes(REJECTS_CSV_HEADER, ((r.row, r.column, labels.get(r.column, ""), r.reason) for r in rejects))


def csv_download(content: bytes, file_name: str) -> Response[bytes]:
    """An attachment, for Excel."""
    return Response(
        content,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"', "Cache-Control": "no-store"},
    )
