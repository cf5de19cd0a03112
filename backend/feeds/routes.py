"""Department feed endpoints: upload a month's export, watch its batch, download its reject report."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Stream

from backend import tabular
from backend.auth import require_role
from backend.deps import Caller, Conn, LimiterDep, PageParam, PathId, RedisDep, SettingsDep, StorageDep
from backend.errors import responses
from backend.feeds import errors as feeds_errors
from backend.feeds import rules, service
from backend.http import LOCATION, created
from backend.openapi import multipart_form
from backend.ratelimit.rules import Action as Limited
from schemas.feeds import FeedBatch, FeedBatchPage

SAME_FILE_AGAIN = ResponseSpec(
    FeedBatch, description="同一文件再次上传（同一类型、地区、月份）：返回已有的批次"
)


# The body is streamed by the service with its own cap (feed_max_bytes), hence no framework limit.
@post(
    "/feeds/batches",
    operation_id="UploadFeedBatch",
    request_max_body_size=None,
    status_code=201,
    response_headers=LOCATION,
    responses={200: SAME_FILE_AGAIN} | responses(*feeds_errors.UPLOAD_REFUSALS),
    operation_class=multipart_form(
        "部门导出的 CSV（UTF-8 或 GBK）或 XLSX",
        feed="数据类型：medical、welfare、education、housing、disability、employment、disaster、civil_registry、water、negative_list",
        period="所属月份 YYYY-MM",
        region_code="地区代码（6 或 12 位，可选，默认本账号的地区）",
        sheet="XLSX 的工作表名（可选，默认第一个）",
    ),
)
async def upload_batch(
    request: Request[Any, Any, Any],
    conn: Conn,
    redis: RedisDep,
    storage: StorageDep,
    settings: SettingsDep,
    principal: Caller,
    limiter: LimiterDep,
) -> Response[FeedBatch]:
    """multipart/form-data: `file` (CSV or XLSX), `feed`, `period` (YYYY-MM), optional
    `region_code` and `sheet`. 201 with a new batch, 200 with the batch these bytes already made."""
    require_role(principal, rules.UPLOADERS)
    await limiter.check(Limited.batch_upload, principal.user_id)
    batch, new = await service.upload_batch(
        conn,
        redis,
        storage,
        settings,
        principal,
        request.stream(),
        request.headers.get("content-type", ""),
        request.content_length,
    )
    if not new:
        return Response(batch, status_code=200)
    return created(batch, f"/api/feeds/batches/{batch.id}")


@get("/feeds/batches", operation_id="ListFeedBatches")
async def list_batches(
    conn: Conn,
    principal: Caller,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
) -> FeedBatchPage:
    require_role(principal, rules.READERS)
    return await service.list_batches(conn, principal, page, page_size)


@get(
    "/feeds/batches/{batch_id:int}",
    operation_id="GetFeedBatch",
    responses=responses(feeds_errors.FeedBatchNotFound),
)
async def get_batch(batch_id: PathId, conn: Conn, principal: Caller) -> FeedBatch:
    require_role(principal, rules.READERS)
    return await service.get_batch(conn, principal, batch_id)


@get(
    "/feeds/batches/{batch_id:int}/rejects.csv",
    operation_id="DownloadFeedBatchRejects",
    media_type=tabular.CSV_MEDIA_TYPE,
    responses=responses(feeds_errors.FeedBatchNotFound),
)
async def download_rejects(
    batch_id: PathId, request: Request[Any, Any, Any], conn: Conn, principal: Caller
) -> Stream:
    """行号, 列, 值 (masked), 原因 — UTF-8 with a BOM, for Excel."""
    require_role(principal, rules.READERS)
    batch = await service.get_batch(conn, principal, batch_id)
    pages = service.reject_pages(request.app.state.db, batch)
    return tabular.csv_stream_download(
        tabular.csv_chunks(rules.REJECTS_CSV_HEADER, pages), f"feed-{batch_id}-rejects.csv"
    )


router = Router(
    path="/api",
    route_handlers=[upload_batch, list_batches, get_batch, download_rejects],
    tags=["feeds"],
)
