"""Where uploaded bytes live, behind one small interface: the local data folder (one API process
or a shared volume) or any S3-compatible object store (MinIO, OSS, COS) for several API replicas.

Photo keys are content addresses (`originals/<sha256>`, `display/<sha256>.jpg`), so writing a key
twice writes the same bytes and no write ever needs coordination. Department feed files
(`feeds/…`, up to hundreds of MB) go in and out as files, copied in blocks, never held in memory.
"""

from __future__ import annotations

import abc
import asyncio
import functools
import os
import shutil
import tempfile
from pathlib import Path

import boto3
from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from backend.settings import Settings

COPY_BLOCK_BYTES = 1024 * 1024  # a file goes in and out in blocks of this size


class StorageUnavailable(Exception):
    """The store did not answer or refused; retrying later may work."""


class StoredObjectMissing(Exception):
    pass


class PhotoStorage(abc.ABC):
    @abc.abstractmethod
    async def put_file(self, key: str, path: Path) -> None:
        """Copies the file in blocks; memory stays flat whatever its size."""

    @abc.abstractmethod
    async def get_file(self, key: str, path: Path) -> None:
        """Copies the object to `path` in blocks. Raises StoredObjectMissing when there is no such key."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Removes the key if it is there."""

    @abc.abstractmethod
    async def put_bytes(self, key: str, data: bytes) -> None: ...

    @abc.abstractmethod
    async def get_bytes(self, key: str) -> bytes:
        """Raises StoredObjectMissing when there is no such key."""


class LocalStorage(PhotoStorage):
    """Files under `<data_dir>/photos`, written to a temporary name and renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key escapes the root: {key!r}")
        return path

    def _write(self, key: str, data: bytes | Path) -> None:
        """`data` or, given a path, that file's contents, copied in blocks. A full or failing disk
        is StorageUnavailable, with no partial file left behind."""
        path = self._path(key)
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, Path):
                    with data.open("rb") as source:
                        shutil.copyfileobj(source, out, COPY_BLOCK_BYTES)
                else:
                    out.write(data)
            os.replace(tmp, path)
        except BaseException as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise StorageUnavailable(f"local store cannot write {key}: {exc.strerror}") from exc
            raise

    def _copy_out(self, key: str, target: Path) -> None:
        try:
            with self._path(key).open("rb") as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, COPY_BLOCK_BYTES)
        except FileNotFoundError:
            raise StoredObjectMissing(key) from None

    def _read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StoredObjectMissing(key) from None

    async def put_file(self, key: str, path: Path) -> None:
        await asyncio.to_thread(self._write, key, path)

    async def get_file(self, key: str, path: Path) -> None:
        await asyncio.to_thread(self._copy_out, key, path)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def put_bytes(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, key, data)

    async def get_bytes(self, key: str) -> bytes:
        return await asyncio.to_thread(self._read, key)


class S3Storage(PhotoStorage):
    """An S3-protocol bucket. boto3 is synchronous and thread-safe, so calls run in threads."""

    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.s3_bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            aws_access_key_id=settings.s3_access_key,
            aws_secret_access_key=settings.s3_secret_key,
            region_name=settings.s3_region,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if settings.s3_path_style else "virtual"},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    async def put_file(self, key: str, path: Path) -> None:
        await self._call(self.client.upload_file, str(path), self.bucket, key)

    async def put_bytes(self, key: str, data: bytes) -> None:
        await self._call(self.client.put_object, Bucket=self.bucket, Key=key, Body=data)

    async def get_bytes(self, key: str) -> bytes:
        def read() -> bytes:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

        return await self._reading(key, read)

    async def get_file(self, key: str, path: Path) -> None:
        # boto3's managed transfer: ranged parts, written as they arrive.
        await self._reading(key, self.client.download_file, self.bucket, key, str(path))

    async def delete(self, key: str) -> None:
        await self._call(self.client.delete_object, Bucket=self.bucket, Key=key)

    async def _reading(self, key: str, function, *args):  # type: ignore[no-untyped-def]
        try:
            return await self._call(function, *args)
        except StorageUnavailable as exc:
            if isinstance(exc.__cause__, ClientError) and exc.__cause__.response["Error"]["Code"] in (
                "NoSuchKey",
                "404",
            ):
                raise StoredObjectMissing(key) from None
            raise

    @staticmethod
    async def _call(function, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except (BotoCoreError, ClientError, Boto3Error) as exc:
            raise StorageUnavailable(str(exc)) from exc


@functools.cache
def storage_for(settings: Settings) -> PhotoStorage:
    """One storage per settings (boto3 clients are costly to make and safe to share)."""
    if settings.photo_storage == "s3":
        return S3Storage(settings)
    return LocalStorage(settings.data_path / "photos")
