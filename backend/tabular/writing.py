"""CSV for people to open in Excel: UTF-8 with a BOM (without it Excel in China reads GBK)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from urllib.parse import quote

from litestar import Response
from litestar.response import Stream

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


async def csv_chunks(header: Sequence[str], pages: AsyncIterable[Sequence[Sequence[object]]]) -> AsyncIterator[bytes]:
    """The same CSV as `csv_bytes`, one encoded piece per page of rows, for reports too long to
    hold in memory."""
    yield csv_bytes(header, ())
    async for page in pages:
        out = io.StringIO()
        csv.writer(out).writerows(page)
        yield out.getvalue().encode("utf-8")


def rejects_csv(rejects: Iterable[ImportReject], columns: Sequence[Column]) -> bytes:
    """A reject report: row, column key, its Chinese label, reason."""
    labels = {c.key: c.label for c in columns}
    return csv_bytes(REJECTS_CSV_HEADER, ((r.row, r.column, labels.get(r.column, ""), r.reason) for r in rejects))


def csv_download(content: bytes, file_name: str) -> Response[bytes]:
    """An attachment, for Excel; litestar adds `charset=utf-8` to a text type itself."""
    return Response(content, media_type=CSV_MEDIA_TYPE, headers=attachment_headers(file_name))


def csv_stream_download(chunks: AsyncIterable[bytes], file_name: str) -> Stream:
    """The same attachment sent as it is made (from `csv_chunks`)."""
    return Stream(chunks, media_type="text/csv; charset=utf-8", headers=attachment_headers(file_name))


def attachment_headers(file_name: str) -> dict[str, str]:
    """A download's headers; a Chinese file name rides in `filename*` (RFC 6266), with an ASCII
    stand-in for clients that read only `filename`."""
    fallback = file_name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f'attachment; filename="{fallback}"'
    if fallback != file_name:
        disposition += f"; filename*=UTF-8''{quote(file_name)}"
    return {"Content-Disposition": disposition, "Cache-Control": "no-store"}
