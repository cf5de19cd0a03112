"""Reads a `wx.uploadFile`-style multipart body as it arrives: the `file` part goes to a temporary
file (hashed on the way), the small form fields to a dict, and the size cap is enforced on every
chunk, so an oversize body is refused long before it has all been sent."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from backend.boundary import check_text
from backend.photos import errors, rules

FILE_FIELD = "file"  # wx.uploadFile's `name`


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
    def __init__(self, spool: BinaryIO, max_file_bytes: int) -> None:
        self.spool = spool
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
                raise errors.PhotoFormInvalid("一次只能上传一张照片")
            self.file_seen = True
            self.filename = self.part.filename
        elif self.part.filename is not None:
            raise errors.PhotoFormInvalid()
        elif len(self.fields) >= rules.MAX_FORM_FIELDS:
            raise errors.PhotoFormInvalid("表单字段太多")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.part.name == FILE_FIELD:
            self.file_bytes += len(chunk)
            if self.file_bytes > self.max_file_bytes:
                raise errors.PhotoTooLarge(self.max_file_bytes)
            self.digest.update(chunk)
            self.spool.write(chunk)
        else:
            self.part.value.extend(chunk)
            if len(self.part.value) > rules.MAX_FORM_FIELD_BYTES:
                raise errors.PhotoFormInvalid("表单字段太长")

    def on_part_end(self) -> None:
        if self.part.name != FILE_FIELD:
            try:
                value = self.part.value.decode("utf-8")
            except UnicodeDecodeError:
                raise errors.PhotoFormInvalid("表单字段不是 UTF-8 文字") from None
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
) -> AsyncIterator[ReceivedUpload]:
    """Yields the received upload; the temporary file is gone when the block ends."""
    media_type, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise errors.PhotoFormInvalid()
    max_body_bytes = max_file_bytes + rules.MAX_FORM_OVERHEAD_BYTES
    if content_length is not None and content_length > max_body_bytes:
        raise errors.PhotoTooLarge(max_file_bytes)  # announced too big: read nothing

    with tempfile.NamedTemporaryFile(prefix="fangpin-upload-", suffix=".part") as spool:
        reader = _FormReader(spool, max_file_bytes)
        parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
        received = 0
        try:
            async for chunk in chunks:
                received += len(chunk)
                if received > max_body_bytes:
                    raise errors.PhotoTooLarge(max_file_bytes)
                parser.write(chunk)
            parser.finalize()
        except MultipartParseError:
            raise errors.PhotoFormInvalid() from None
        if not reader.complete:
            raise errors.PhotoFormInvalid("上传没有完成，请重试")
        if not reader.file_seen or reader.file_bytes == 0:
            raise errors.PhotoFileMissing()
        spool.flush()
        yield ReceivedUpload(
            path=Path(spool.name),
            size_bytes=reader.file_bytes,
            sha256=reader.digest.digest(),
            filename=reader.filename,
            fields=reader.fields,
        )
