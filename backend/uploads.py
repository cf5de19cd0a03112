"""Reads a multipart upload (`wx.uploadFile`, a web form, curl -F) as it arrives: the `file` part
goes to a temporary file (SHA-256 on the way), the small form fields to a dict, and the size cap is
enforced on every chunk, so an oversize body is refused long before it has all been sent. Each
domain passes its own errors (photos, department feeds), so codes name what was sent. A disk that
fills while the file arrives is a 503 of the domain, not a crash: the partial file goes with it."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from backend.boundary import check_text
from backend.errors import DomainError

log = logging.getLogger("fangpin.uploads")

FILE_FIELD = "file"  # wx.uploadFile's `name`
# Multipart boundaries, part headers and the small form fields on top of the file itself.
MAX_FORM_OVERHEAD_BYTES = 64 * 1024
MAX_FORM_FIELD_BYTES = 1024
MAX_FORM_FIELDS = 8


@dataclass(frozen=True)
class UploadErrors:
    """The error classes a domain answers an upload with."""

    too_large: Callable[[int], DomainError]  # 413, given the cap in bytes
    form_invalid: Callable[..., DomainError]  # 400, not the form expected; an optional message
    file_missing: type[DomainError]  # 422, no file part or an empty one
    second_file: str  # the message when a second file part arrives
    unavailable: type[DomainError]  # 503, the file could not be kept (the disk is full)


@dataclass
class ReceivedUpload:
    path: Path
    size_bytes: int
    sha256: bytes
    filename: str | None
    fields: dict[str, str]


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    value: bytearray = field(default_factory=bytearray)


class _FormReader:
    def __init__(self, spool: BinaryIO, max_file_bytes: int, errors: UploadErrors) -> None:
        self.spool = spool
        self.errors = errors
        self.max_file_bytes = max_file_bytes
        self.digest = hashlib.sha256()
        self.file_bytes = 0
        self.file_seen = False
        self.complete = False  # the closing boundary arrived
        self.filename: str | None = None
        self.fields: dict[str, str] = {}
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": lambda data, start, end: self.header_name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self.header_value.extend(data[start:end]),
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_end(self) -> None:
        self.part.headers[bytes(self.header_name).lower()] = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        self.part.name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self.part.filename = filename.decode("utf-8", "replace") if filename is not None else None
        check_text(self.part.name, "form")
        if self.part.filename is not None:
            check_text(self.part.filename, "file_name")
        if self.part.name == FILE_FIELD:
            if self.file_seen:
                raise self.errors.form_invalid(self.errors.second_file)
            self.file_seen = True
            self.filename = self.part.filename
        elif self.part.filename is not None:
            raise self.errors.form_invalid()
        elif len(self.fields) >= MAX_FORM_FIELDS:
            raise self.errors.form_invalid("表单字段太多")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.part.name == FILE_FIELD:
            self.file_bytes += len(chunk)
            if self.file_bytes > self.max_file_bytes:
                raise self.errors.too_large(self.max_file_bytes)
            self.digest.update(chunk)
            self.spool.write(chunk)
        else:
            self.part.value.extend(chunk)
            if len(self.part.value) > MAX_FORM_FIELD_BYTES:
                raise self.errors.form_invalid("表单字段太长")

    def on_part_end(self) -> None:
        if self.part.name != FILE_FIELD:
            try:
                value = self.part.value.decode("utf-8")
            except UnicodeDecodeError:
                raise self.errors.form_invalid("表单字段不是 UTF-8 文字") from None
            check_text(value, self.part.name)
            self.fields[self.part.name] = value

    def on_end(self) -> None:
        self.complete = True


@asynccontextmanager
async def receive_upload(
    chunks: AsyncIterator[bytes],
    content_type: str,
    content_length: int | None,
    *,
    max_file_bytes: int,
    errors: UploadErrors,
    spool_dir: Path,
) -> AsyncIterator[ReceivedUpload]:
    """Yields the received upload, spooled under `spool_dir`; the file is gone when the block ends."""
    media_type, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise errors.form_invalid()
    max_body_bytes = max_file_bytes + MAX_FORM_OVERHEAD_BYTES
    if content_length is not None and content_length > max_body_bytes:
        raise errors.too_large(max_file_bytes)  # announced too big: read nothing

    try:
        spool_dir.mkdir(parents=True, exist_ok=True)
        spool = tempfile.NamedTemporaryFile(dir=spool_dir, prefix="fangpin-upload-", suffix=".part")
    except OSError:
        log.warning("uploads.spool.unavailable", exc_info=True)
        raise errors.unavailable() from None
    with spool:
        reader = _FormReader(spool, max_file_bytes, errors)
        parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
        received = 0
        try:
            async for chunk in chunks:
                received += len(chunk)
                if received > max_body_bytes:
                    raise errors.too_large(max_file_bytes)
                parser.write(chunk)
            parser.finalize()
            spool.flush()
        except MultipartParseError:
            raise errors.form_invalid() from None
        except OSError:  # ENOSPC, EDQUOT, EIO while spooling
            log.warning("uploads.spool.write_failed", exc_info=True)
            raise errors.unavailable() from None
        if not reader.complete:
            raise errors.form_invalid("上传没有完成，请重试")
        if not reader.file_seen or reader.file_bytes == 0:
            raise errors.file_missing()
        yield ReceivedUpload(
            path=Path(spool.name),
            size_bytes=reader.file_bytes,
            sha256=reader.digest.digest(),
            filename=reader.filename,
            fields=reader.fields,
        )
