"""A full disk under the local store: a department's file is refused with a 503, no batch row,
nothing queued, no partial file; the same file goes in once space is freed."""

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.settings import Settings
from tests.conftest import SmallDisk
from tests.factories import User, World
from tests.feeds.conftest import csv_file, medical_rows, upload


@pytest.mark.parametrize("room", [0, 1.5], ids=["no room for the upload", "room for the upload, not its copy"])
async def test_a_full_disk_refuses_the_file_and_keeps_no_batch(
    settings: Settings, world: World, department: User, pool, small_disk: SmallDisk, room: float
) -> None:
    members = [world.households["a1a"].id_numbers[0]] * 2_000
    content = csv_file(medical_rows(members, ["12000.00"] * len(members)))
    on_small_disk = msgspec.structs.replace(settings, data_dir=str(small_disk.root), photo_storage="local")
    small_disk.fill(leave_bytes=int(room * len(content)))
    async with AsyncTestClient(app=create_app(on_small_disk, configure_logs=False)) as client:
        refused = await upload(client, department, content)
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "feed_storage_unavailable"
        assert await pool.fetchval("SELECT count(*) FROM feed_batches") == 0
        assert small_disk.files() == []

        small_disk.empty()
        accepted = await upload(client, department, content)
    assert accepted.status_code == 201, accepted.text
    assert await pool.fetchval("SELECT count(*) FROM feed_batches") == 1
