"""Both storage backends; S3 against a real S3-protocol server (moto in server mode) on a free port."""

import io
from collections.abc import Iterator
from typing import Any

import boto3
import msgspec
import pytest
from litestar.testing import AsyncTestClient
from moto.server import ThreadedMotoServer
from PIL import Image

from backend.app import create_app
from backend.photos.storage import LocalStorage, S3Storage, StoredObjectMissing, storage_for
from backend.settings import Settings
from tests.photos.conftest import Owners, phone_photo, upload_files
from tests.processes import free_port
from workers.photos import photos_process
from workers.settings import shutdown, startup


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_settings(settings: Settings, s3_endpoint: str) -> Settings:
    s3 = msgspec.structs.replace(
        settings,
        photo_storage="s3",
        s3_endpoint_url=s3_endpoint,
        s3_bucket="fangpin-test-photos",
        s3_access_key="test-key",
        s3_secret_key="test-secret",
    )
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
        region_name=s3.s3_region,
    )
    if not any(b["Name"] == s3.s3_bucket for b in client.list_buckets()["Buckets"]):
        client.create_bucket(Bucket=s3.s3_bucket)
    return s3


async def round_trip(storage, tmp_path) -> None:
    await storage.put_bytes("display/abc.jpg", b"\xff\xd8display")
    assert await storage.get_bytes("display/abc.jpg") == b"\xff\xd8display"
    original = tmp_path / "upload.part"
    original.write_bytes(b"original bytes" * 1000)
    await storage.put_file("originals/abc", original)
    assert await storage.get_bytes("originals/abc") == b"original bytes" * 1000
    await storage.put_bytes("display/abc.jpg", b"same key again")  # content addresses: overwrite is fine
    assert await storage.get_bytes("display/abc.jpg") == b"same key again"
    with pytest.raises(StoredObjectMissing):
        await storage.get_bytes("display/none.jpg")
    # Large files (department feeds) go out to a path in blocks, and can be removed.
    copy = tmp_path / "fetched"
    await storage.get_file("originals/abc", copy)
    assert copy.read_bytes() == b"original bytes" * 1000
    await storage.delete("originals/abc")
    await storage.delete("originals/abc")  # already gone: nothing to do
    with pytest.raises(StoredObjectMissing):
        await storage.get_file("originals/abc", copy)


async def test_s3_backend_round_trip(s3_settings: Settings, tmp_path) -> None:
    storage = storage_for(s3_settings)
    assert isinstance(storage, S3Storage)
    await round_trip(storage, tmp_path)


async def test_local_backend_round_trip_and_keys_stay_inside(tmp_path) -> None:
    storage = LocalStorage(tmp_path / "photos")
    await round_trip(storage, tmp_path)
    with pytest.raises(ValueError):
        await storage.get_bytes("../../etc/passwd")


async def test_whole_pipeline_on_s3(s3_settings: Settings, owners: Owners) -> None:
    """Upload through the API, process in the worker, serve the display image: all from S3."""
    app = create_app(s3_settings, configure_logs=False)
    ctx: dict[str, Any] = {"settings": s3_settings}
    await startup(ctx)
    try:
        async with AsyncTestClient(app=app) as client:
            farmer = owners.world.farmer
            created = await client.post(
                f"/api/applications/{owners.application_id}/photos",
                headers=farmer.headers,
                **upload_files(phone_photo(seed=81)),
            )
            assert created.status_code == 201, created.text
            assert await photos_process(ctx, created.json()["id"]) == "ready"
            shown = (await client.get(f"/api/photos/{created.json()['id']}", headers=farmer.headers)).json()
            served = await client.get(shown["links"]["display_url"])
            assert served.status_code == 200
            assert Image.open(io.BytesIO(served.content)).format == "JPEG"
    finally:
        await shutdown(ctx)
    assert not (s3_settings.data_path / "photos").exists()  # nothing went to the local folder


async def test_store_down_refuses_the_upload_and_keeps_nothing(settings: Settings, owners: Owners, pool) -> None:
    unreachable = msgspec.structs.replace(
        settings,
        photo_storage="s3",
        s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        s3_access_key="k",
        s3_secret_key="s",
    )
    async with AsyncTestClient(app=create_app(unreachable, configure_logs=False)) as client:
        response = await client.post(
            f"/api/applications/{owners.application_id}/photos",
            headers=owners.world.farmer.headers,
            **upload_files(phone_photo(seed=82)),
        )
    assert response.status_code == 503
    assert response.json()["code"] == "photo_storage_unavailable"
    assert await pool.fetchval("SELECT count(*) FROM photo_blobs") == 0
    assert await pool.fetchval("SELECT count(*) FROM photos") == 0
