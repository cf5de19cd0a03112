"""Department data feeds (DOMAIN §7.1)."""

from __future__ import annotations

import datetime as dt
import enum

from schemas.base import BaseStruct, PageMeta


class FeedCode(enum.StrEnum):
    medical = "medical"  # 医保
    welfare = "welfare"  # 民政
    education = "education"  # 教育
    housing = "housing"  # 住建
    disability = "disability"  # 残联
    employment = "employment"  # 人社
    disaster = "disaster"  # 应急管理
    civil_registry = "civil_registry"  # 公安
    water = "water"  # 水利
    negative_list = "negative_list"  # 不动产, 车管, 财政, 市场监管, 银行


class FeedBatchStatus(enum.StrEnum):
    queued = "queued"  # stored, waiting for the worker
    parsing = "parsing"  # rows being read, checked and loaded
    matching = "matching"  # rows matched to persons, rules evaluated
    done = "done"
    failed = "failed"  # failure_code / failure_message say why; nothing of it is kept


class FeedSource(enum.StrEnum):
    upload = "upload"  # through the API
    cli = "cli"  # `fangpin import-department`


class FeedBatch(BaseStruct):
    """A department upload and how far the worker has got. `rows_expected` is an estimate from
    the file's line count (CSV; None for XLSX until done); `progress_percent` is what a bar draws."""

    id: int
    feed: FeedCode
    region_code: str
    period: str  # YYYY-MM
    source: FeedSource
    file_name: str
    size_bytes: int
    file_sha256: str  # hex
    status: FeedBatchStatus
    rows_read: int
    rows_rejected: int
    rows_loaded: int
    rows_matched: int
    alerts_raised: int
    progress_percent: int
    created_at: dt.datetime
    alerts_exempted: int = 0  # matches the county's exemption list (豁免清单) kept from raising
    region_name: str = ""
    uploaded_by: int | None = None
    sheet: str | None = None
    encoding: str | None = None
    header_row: int | None = None
    rows_expected: int | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class FeedBatchPage(BaseStruct):
    items: list[FeedBatch]
    meta: PageMeta


class FeedUploadForm(BaseStruct):
    """The form fields beside the `file` part; checked one by one so each error names its field."""

    feed: str = ""
    period: str = ""
    region_code: str | None = None  # 6 or 12 digits; default: the uploader's region
    sheet: str | None = None  # XLSX: the sheet to read; default the first
