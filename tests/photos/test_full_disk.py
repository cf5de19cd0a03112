"""A full disk under the local photo store: the upload is refused with a 503 the farmer can read,
no row is written, no partial file is left, and the next upload after space is freed works."""

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.settings import Settings
from tests.conftest import SmallDisk
from tests.photos.conftest import Owners, phone_photo, upload_files


async def nothing_stored(pool) -> bool:
    return await pool.fetchval("SELECT count(*) FROM photo_blobs") == 0 and await pool.fetchval(
        "SELECT count(*) FROM photos"
    ) == 0


@pytest.mark.parametrize(
    "room",
    [
        pytest.param(0, id="no room for the upload itself"),
        pytest.param(1.5, id="room for the upload but not for the stored copy"),
    ],
)
async def test_a_full_disk_refuses_the_photo_and_keeps_nothing(
    settings: Settings, owners: Owners, pool, small_disk: SmallDisk, room: float
) -> None:
    photo = phone_photo(seed=91)
    on_small_disk = msgspec.structs.replace(settings, data_dir=str(small_disk.root), photo_storage="local")
    small_disk.fill(leave_bytes=int(room * len(photo)))
    path = f"/api/applications/{owners.application_id}/photos"
    async with AsyncTestClient(app=create_app(on_small_disk, configure_logs=False)) as client:
        refused = await client.post(path, headers=owners.world.farmer.headers, **upload_files(photo))
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "photo_storage_unavailable"
        assert "稍后再试" in refused.json()["message"]
        assert await nothing_stored(pool)
        assert small_disk.files() == []  # neither the spooled upload nor a part of the copy

        small_disk.empty()
        accepted = await client.post(path, headers=owners.world.farmer.headers, **upload_files(photo))
    assert accepted.status_code == 201, accepted.text
    assert await pool.fetchval("SELECT count(*) FROM photos") == 1
