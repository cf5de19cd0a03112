import io
import struct
import time
import zlib

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from backend.app import create_app
from backend.photos import rules, signing
from schemas.base import Role
from schemas.photos import PhotoVariant
from tests.photos.conftest import Owners, earlier_case, encode, exif_block, phone_photo, scene, upload_files


def app_url(owners: Owners) -> str:
    return f"/api/applications/{owners.application_id}/photos"


async def upload(client, url: str, user, data: bytes, filename: str = "photo.jpg", **fields: str):
    return await client.post(url, headers=user.headers, **upload_files(data, filename, **fields))


async def stored_counts(pool: asyncpg.Pool) -> tuple[int, int, int]:
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM photos) AS p, (SELECT count(*) FROM photo_blobs) AS b, "
        "(SELECT count(*) FROM photo_metadata) AS m"
    )
    return row["p"], row["b"], row["m"]


def originals_on_disk(settings) -> list:
    root = settings.data_path / "photos" / "originals"
    return sorted(root.iterdir()) if root.exists() else []


@pytest.mark.parametrize(("fmt", "expected"), [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp"), ("HEIF", "heif")])
async def test_each_accepted_format_becomes_a_served_jpeg(client, owners: Owners, process, fmt, expected) -> None:
    farmer = owners.world.farmer
    response = await upload(client, app_url(owners), farmer, phone_photo(seed=3, fmt=fmt), f"bill.{fmt.lower()}")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "processing"
    assert body["format"] == expected
    assert "links" not in body

    assert await process(body["id"]) == "ready"
    ready = (await client.get(f"/api/photos/{body['id']}", headers=farmer.headers)).json()
    assert ready["status"] == "ready"
    for url in (ready["links"]["display_url"], ready["links"]["thumb_url"]):
        served = await client.get(url)  # no Authorization: the signature is the credential
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(served.content)).format == "JPEG"


async def test_format_is_read_from_the_bytes_not_the_name(client, owners: Owners) -> None:
    png = encode(scene(5), "PNG")
    response = await upload(client, app_url(owners), owners.world.farmer, png, "wall.jpg")
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "png"

    pdf = b"%PDF-1.4\n" + b"0" * 2000
    refused = await upload(client, app_url(owners), owners.world.farmer, pdf, "wall.jpg")
    assert refused.status_code == 422
    assert refused.json()["code"] == "photo_format_unsupported"


async def test_truncated_jpeg_is_refused_and_leaves_nothing(client, owners: Owners, pool, settings) -> None:
    whole = phone_photo(seed=7)
    response = await upload(client, app_url(owners), owners.world.farmer, whole[: len(whole) * 2 // 3])
    assert response.status_code == 422
    assert response.json()["code"] == "photo_damaged"
    assert "损坏" in response.json()["message"]
    assert await stored_counts(pool) == (0, 0, 0)
    assert originals_on_disk(settings) == []


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture (a decompression bomb's calling card)."""
    small = encode(Image.new("L", (1, 1)), "PNG")
    ihdr = b"IHDR" + struct.pack(">II", width, height) + small[24:29]
    return small[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + small[33:]


@pytest.mark.parametrize("side", [9_000, 20_000])  # 81 MP (Pillow warns) and 400 MP (Pillow raises)
async def test_decompression_bomb_is_refused(client, owners: Owners, pool, side: int) -> None:
    response = await upload(client, app_url(owners), owners.world.farmer, png_claiming(side, side), "bomb.png")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "photo_pixels_too_many"
    assert await stored_counts(pool) == (0, 0, 0)


async def test_oversize_body_is_refused_before_it_is_all_read(settings, owners: Owners, pool) -> None:
    """Driven at the ASGI level so the test sees exactly how much of the body the app pulled."""
    limit = 300_000
    app = create_app(msgspec.structs.replace(settings, photo_max_bytes=limit), configure_logs=False)
    boundary = "----wxUploadBoundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    chunk_bytes = 64 * 1024
    total_chunks = 4 * limit // chunk_bytes  # four times the cap
    pulled = 0

    async def receive():
        nonlocal pulled
        pulled += 1
        if pulled == 1:
            return {"type": "http.request", "body": head, "more_body": True}
        if pulled <= total_chunks:
            return {"type": "http.request", "body": b"\xff" * chunk_bytes, "more_body": True}
        return {"type": "http.request", "body": f"\r\n--{boundary}--\r\n".encode(), "more_body": False}

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": app_url(owners),
        "raw_path": app_url(owners).encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [  # no content-length: chunked, as a phone streaming a big file may send it
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
            (b"authorization", owners.world.farmer.headers["Authorization"].encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    async with app.lifespan():  # pools, in this test's event loop
        await app(scope, receive, send)
    async with AsyncTestClient(app=app) as own_client:
        big = await own_client.post(
            app_url(owners),
            headers={**owners.world.farmer.headers, "content-type": f"multipart/form-data; boundary={boundary}"},
            content=head + b"\xff" * (2 * limit),
        )
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    body = msgspec.json.decode(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
    assert body["code"] == "photo_too_large"
    assert pulled <= limit // chunk_bytes + 3  # stopped just past the cap, not at 4× it
    assert pulled < total_chunks
    assert big.status_code == 413  # announced Content-Length over the cap: refused unread
    assert await stored_counts(pool) == (0, 0, 0)


async def test_orientation_is_applied_and_no_exif_is_served(client, owners: Owners, process) -> None:
    picture = Image.new("RGB", (800, 400), (255, 255, 255))
    picture.paste((0, 0, 255), (0, 0, 200, 400))  # blue on the left as the sensor saw it
    data = encode(
        picture,
        exif=exif_block(orientation=6, gps=(22.8, 108.3), make="HUAWEI", model="Mate 60"),
        comment=b"HUAWEI 22.8N 108.3E",  # a JPEG comment segment, which Pillow would carry along
    )
    assert b"HUAWEI 22.8N" in data
    farmer = owners.world.farmer
    created = (await upload(client, app_url(owners), farmer, data)).json()
    assert (created["width"], created["height"]) == (400, 800)
    await process(created["id"])
    links = (await client.get(f"/api/photos/{created['id']}", headers=farmer.headers)).json()["links"]
    for url in (links["display_url"], links["thumb_url"]):
        served = (await client.get(url)).content
        image = Image.open(io.BytesIO(served))
        assert image.height > image.width  # turned upright
        r, g, b = image.convert("RGB").getpixel((image.width // 2, 2))
        assert b > 200 and r < 60  # the left edge is now the top
        assert len(image.getexif()) == 0
        assert b"Exif" not in served and b"HUAWEI" not in served and b"22.8N" not in served
        assert "icc_profile" not in image.info


async def test_reviewers_see_exif_and_farmers_do_not(client, owners: Owners) -> None:
    farmer = owners.world.farmer
    data = phone_photo(seed=11, taken="2024:05:01 10:20:30", offset="+08:00")
    photo_id = (await upload(client, app_url(owners), farmer, data, note="医院发票")).json()["id"]
    seen_by_staff = (await client.get(f"/api/photos/{photo_id}", headers=owners.world.user(Role.township).headers)).json()
    assert seen_by_staff["note"] == "医院发票"
    exif = seen_by_staff["exif"]
    assert exif["taken_at"] == "2024-05-01T02:20:30Z"
    assert exif["taken_at_has_offset"] is True
    assert exif["latitude"] == pytest.approx(22.8170, abs=1e-4)
    assert exif["longitude"] == pytest.approx(108.3665, abs=1e-4)
    assert exif["device_model"] == "Mate 60"
    seen_by_farmer = (await client.get(f"/api/photos/{photo_id}", headers=farmer.headers)).json()
    assert "exif" not in seen_by_farmer


async def test_identical_bytes_are_stored_once(client, owners: Owners, pool, settings, process) -> None:
    data = phone_photo(seed=13)
    first = await upload(client, app_url(owners), owners.world.farmer, data)
    again = await upload(client, app_url(owners), owners.world.farmer, data)
    assert first.status_code == 201
    assert again.status_code == 200  # a phone retrying gets the same photo back
    assert again.json()["id"] == first.json()["id"]
    await process(first.json()["id"])

    product_url = f"/api/products/{owners.product_id}/photos"
    elsewhere = await upload(client, product_url, owners.supplier, data)
    assert elsewhere.status_code == 201
    assert elsewhere.json()["status"] == "ready"  # the content was processed already
    assert await stored_counts(pool) == (2, 1, 1)
    assert len(originals_on_disk(settings)) == 1


async def test_near_copy_is_flagged_possible_reuse_and_unrelated_photo_is_not(
    client, owners: Owners, pool, process
) -> None:
    helper = owners.world.user(Role.helper)
    second_case = await earlier_case(pool, owners)
    original = scene(21, size=(1600, 1200))
    first = (await upload(client, app_url(owners), helper, encode(original, quality=92))).json()
    await process(first["id"])

    recompressed = encode(original.resize((960, 720)), quality=55)  # forwarded through a chat app
    copy = (await upload(client, f"/api/applications/{second_case}/photos", helper, recompressed)).json()
    unrelated = (await upload(client, f"/api/applications/{second_case}/photos", helper, phone_photo(seed=22))).json()
    await process(copy["id"])
    await process(unrelated["id"])

    county = owners.world.user(Role.county)
    flagged = (await client.get(f"/api/photos/{copy['id']}", headers=county.headers)).json()
    assert flagged["possible_reuse"]["photo_id"] == first["id"]
    assert flagged["possible_reuse"]["distance_bits"] <= rules.REUSE_MAX_DISTANCE_BITS
    clean = (await client.get(f"/api/photos/{unrelated['id']}", headers=county.headers)).json()
    assert "possible_reuse" not in clean


async def test_turned_mirrored_or_orientation_stripped_copies_are_flagged(client, owners: Owners, pool, process) -> None:
    """A copy turned by 90/180/270 degrees, mirrored, or whose EXIF orientation was stripped
    (pixels left as the sensor saw them) is the same picture to a reviewer."""
    helper, county = owners.world.user(Role.helper), owners.world.user(Role.county)
    upright = scene(23, size=(1600, 1200))
    shot = encode(upright.transpose(Image.Transpose.ROTATE_90), exif=exif_block(orientation=6), quality=92)
    first = (await upload(client, app_url(owners), helper, shot)).json()
    assert await process(first["id"]) == "ready"
    earlier = f"/api/applications/{await earlier_case(pool, owners)}/photos"
    copies = {
        "orientation stripped": encode(upright.transpose(Image.Transpose.ROTATE_90), quality=80),
        "turned 180": encode(upright.transpose(Image.Transpose.ROTATE_180), quality=80),
        "mirrored": encode(upright.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((800, 600)), quality=60),
        "turned 270": encode(upright.transpose(Image.Transpose.ROTATE_270), "PNG"),
    }
    for name, data in copies.items():
        copy = (await upload(client, earlier, helper, data)).json()
        assert await process(copy["id"]) == "ready"
        seen = (await client.get(f"/api/photos/{copy['id']}", headers=county.headers)).json()
        assert seen["possible_reuse"]["photo_id"] == first["id"], name
        assert seen["possible_reuse"]["distance_bits"] <= 2, name
    unrelated = (await upload(client, earlier, helper, encode(scene(24, size=(1600, 1200)).transpose(Image.Transpose.ROTATE_90)))).json()
    await process(unrelated["id"])
    assert "possible_reuse" not in (await client.get(f"/api/photos/{unrelated['id']}", headers=county.headers)).json()


async def test_signed_links_expire_and_refuse_tampering(client, owners: Owners, process, settings) -> None:
    farmer = owners.world.farmer
    photo_id = (await upload(client, app_url(owners), farmer, phone_photo(seed=31))).json()["id"]
    await process(photo_id)
    links = (await client.get(f"/api/photos/{photo_id}", headers=farmer.headers)).json()["links"]
    url = links["display_url"]
    assert (await client.get(url)).status_code == 200

    path, _, query = url.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&"))
    last = params["sig"][-1]
    tampered_sig = f"{path}?exp={params['exp']}&sig={params['sig'][:-1]}{'B' if last == 'A' else 'A'}"
    longer = f"{path}?exp={int(params['exp']) + 60}&sig={params['sig']}"
    other_variant = url.replace("/display?", "/thumb?")
    for bad in (tampered_sig, longer, other_variant, path):
        response = await client.get(bad)
        assert response.status_code == 403, bad
        assert response.json()["code"] == "photo_link_invalid"

    key = settings.key_bytes("url_signing_key")
    expired = signing.signed_path(key, photo_id, PhotoVariant.display, int(time.time()) - 1)
    response = await client.get(expired)
    assert response.status_code == 403
    assert response.json()["code"] == "photo_link_expired"

    too_long = signing.signed_path(key, photo_id, PhotoVariant.display, int(time.time()) + 3600)
    assert (await client.get(too_long)).status_code == 403

    original = f"/api/photos/{photo_id}/original?exp={params['exp']}&sig=" + signing._signature(
        key, photo_id, "original", int(params["exp"])
    )
    assert (await client.get(original)).status_code == 404  # the original is never served


async def test_photos_outside_the_callers_scope_are_not_found(client, owners: Owners) -> None:
    world = owners.world
    photo_id = (await upload(client, app_url(owners), world.farmer, phone_photo(seed=41))).json()["id"]
    outsiders = [world.other_county[Role.helper], world.other_county[Role.county], owners.supplier]
    for outsider in outsiders:
        read = await client.get(f"/api/photos/{photo_id}", headers=outsider.headers)
        assert read.status_code == 404, outsider.role
        assert read.json()["code"] == "photo_not_found"
        listed = await client.get(app_url(owners), headers=outsider.headers)
        assert listed.status_code == 404
    for insider in (world.user(Role.helper), world.user(Role.county), world.user(Role.admin), world.farmer):
        assert (await client.get(f"/api/photos/{photo_id}", headers=insider.headers)).status_code == 200

    other_case = f"/api/applications/{owners.other_county_application_id}/photos"
    refused = await upload(client, other_case, world.farmer, phone_photo(seed=42))
    assert refused.status_code == 404
    assert refused.json()["code"] == "photo_owner_not_found"
    product = f"/api/products/{owners.product_id}/photos"
    assert (await upload(client, product, owners.other_supplier, phone_photo(seed=43))).status_code == 404
    in_scope_but_not_uploader = await upload(client, product, world.user(Role.county), phone_photo(seed=44))
    assert in_scope_but_not_uploader.status_code == 403


async def test_owners_that_do_not_exist_are_not_found(client, owners: Owners) -> None:
    response = await upload(client, "/api/visits/999999/photos", owners.world.user(Role.helper), phone_photo(seed=51))
    assert response.status_code == 404
    assert response.json()["code"] == "photo_owner_not_found"
    missing = await upload(client, "/api/applications/999999/photos", owners.world.farmer, phone_photo(seed=52))
    assert missing.status_code == 404


async def test_per_owner_count_cap(client, owners: Owners) -> None:
    url = f"/api/products/{owners.product_id}/photos"
    limit = rules.MAX_PHOTOS_PER_OWNER[rules.OwnerKind.product]
    for seed in range(limit):
        small = encode(scene(100 + seed, size=(64, 48)), "PNG")
        assert (await upload(client, url, owners.supplier, small)).status_code == 201
    over = await upload(client, url, owners.supplier, encode(scene(999, size=(64, 48)), "PNG"))
    assert over.status_code == 409
    assert over.json()["code"] == "photo_limit_reached"
    listed = (await client.get(url, headers=owners.supplier.headers)).json()["items"]
    assert len(listed) == limit


async def test_form_without_file_or_with_unknown_fields_is_refused(client, owners: Owners) -> None:
    farmer = owners.world.farmer
    no_file = await client.post(app_url(owners), headers=farmer.headers, files={"other": ("a.txt", b"x")})
    assert no_file.status_code == 400
    only_fields = await client.post(app_url(owners), headers=farmer.headers, files={"note": (None, "x")})
    assert only_fields.status_code == 422
    assert only_fields.json()["code"] == "photo_file_missing"
    unknown = await upload(client, app_url(owners), farmer, phone_photo(seed=61), colour="red")
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "photo_form_invalid"
    as_json = await client.post(app_url(owners), headers=farmer.headers, json={"file": "x"})
    assert as_json.status_code == 400


@pytest.mark.parametrize(
    "part",
    [
        b'Content-Disposition: form-data; name="note"\r\n\r\n\xe9\x97\xa8\x00\xe5\x8f\xa3',
        b'Content-Disposition: form-data; name="file"; filename="a\x00b.jpg"\r\n\r\n',
    ],
    ids=["note", "file_name"],
)
async def test_nul_in_note_or_file_name_is_refused_and_leaves_no_file(client, owners: Owners, pool, settings, part) -> None:
    photo = phone_photo(seed=71)
    file_part = b'Content-Disposition: form-data; name="file"; filename="p.jpg"\r\n\r\n' + photo
    if b'name="file"' in part:
        file_part = part + photo
        part = b'Content-Disposition: form-data; name="note"\r\n\r\nok'
    body = b"--xx\r\n" + part + b"\r\n--xx\r\n" + file_part + b"\r\n--xx--\r\n"
    headers = {**owners.world.farmer.headers, "Content-Type": "multipart/form-data; boundary=xx"}
    response = await client.post(app_url(owners), headers=headers, content=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "input_has_control_character"
    assert await stored_counts(pool) == (0, 0, 0)
    assert originals_on_disk(settings) == []
