import datetime as dt
import io

import pytest
from PIL import Image

from backend.auth import Principal
from backend.photos import errors, imaging, owners, rules, signing
from schemas.base import Role
from schemas.photos import OwnerKind, PhotoVariant
from tests.photos.conftest import GPS_NANNING, encode, exif_block, scene

VILLAGE = "450102001001"
OTHER_VILLAGE = "450103001001"


def test_gps_reference_sets_the_sign_and_nonsense_is_dropped() -> None:
    assert rules.gps_degrees((22.0, 49.0, 1.2), "N", 90) == pytest.approx(22.81700, abs=1e-5)
    assert rules.gps_degrees((33.0, 30.0, 0.0), "S", 90) == -33.5
    assert rules.gps_degrees((108.0, 30.0, 0.0), "W", 180) == -108.5
    assert rules.gps_degrees((95.0, 0.0, 0.0), "N", 90) is None
    assert rules.gps_degrees((22.0, 49.0), "N", 90) is None
    assert rules.gps_degrees((22.0, 49.0, 1.0), None, 90) is None
    assert rules.gps_degrees((22.0, 49.0, 1.0), "X", 90) is None


def test_camera_time_uses_its_offset_or_china_time() -> None:
    with_offset = rules.exif_datetime("2024:05:01 10:20:30", "+09:00")
    assert with_offset == (dt.datetime(2024, 5, 1, 1, 20, 30, tzinfo=dt.UTC), True)
    local = rules.exif_datetime("2024:05:01 10:20:30\x00", None)
    assert local == (dt.datetime(2024, 5, 1, 2, 20, 30, tzinfo=dt.UTC), False)
    assert rules.exif_datetime("0000:00:00 00:00:00", None) == (None, False)
    assert rules.exif_datetime(None, "+08:00") == (None, False)


def test_dhash_sets_a_bit_where_a_pixel_is_brighter_than_its_right_neighbour() -> None:
    falling = [200 - 10 * x for x in range(9)] * 8  # every comparison true
    assert rules.dhash_from_pixels(falling) == -1  # all 64 bits set, as a signed bigint
    rising = [10 * x for x in range(9)] * 8
    assert rules.dhash_from_pixels(rising) == 0
    first_row_only = [200 - 10 * x for x in range(9)] + [10 * x for x in range(9)] * 7
    assert rules.hamming_distance(rules.dhash_from_pixels(first_row_only), 0) == 8
    with pytest.raises(ValueError):
        rules.dhash_from_pixels([0] * 63)


def test_hamming_distance_treats_hashes_as_64_bit_words() -> None:
    assert rules.hamming_distance(-1, 0) == 64
    assert rules.hamming_distance(0b1011, 0b0001) == 2


def test_sizes_fit_the_long_side_and_never_grow() -> None:
    assert rules.fit_within(4000, 3000, 1920) == (1920, 1440)
    assert rules.fit_within(3000, 4000, 320) == (240, 320)
    assert rules.fit_within(800, 600, 1920) == (800, 600)
    assert rules.oriented_size(4000, 3000, 6) == (3000, 4000)
    assert rules.oriented_size(4000, 3000, 3) == (4000, 3000)


def principal(role: Role, **kwargs) -> Principal:
    return Principal(user_id=1, role=role, **kwargs)


def test_who_may_attach_and_see_a_case_photo() -> None:
    owner = rules.OwnerScope(household_id=7, region_code=VILLAGE, state="verification")
    draft = rules.OwnerScope(household_id=7, region_code=VILLAGE, state="draft")
    elsewhere = rules.OwnerScope(household_id=8, region_code=OTHER_VILLAGE, state="verification")
    farmer = principal(Role.farmer, household_id=7)
    helper = principal(Role.helper, region_code=VILLAGE)
    county = principal(Role.county, region_code="450102000000")
    department = principal(Role.department, region_code="450102000000")
    admin = principal(Role.admin, region_code="450000000000")
    assert owners.may_upload(farmer, OwnerKind.application, owner)
    assert owners.may_upload(farmer, OwnerKind.application, draft)
    assert not owners.may_upload(farmer, OwnerKind.application, elsewhere)
    assert not owners.may_view(farmer, OwnerKind.application, elsewhere)
    assert owners.may_upload(helper, OwnerKind.application, owner)
    assert not owners.may_view(helper, OwnerKind.application, elsewhere)
    assert owners.may_view(county, OwnerKind.application, owner)
    assert not owners.may_view(county, OwnerKind.application, elsewhere)
    assert not owners.may_view(department, OwnerKind.application, owner)  # own batches only
    assert owners.may_view(admin, OwnerKind.application, elsewhere)
    assert not owners.may_upload(admin, OwnerKind.application, owner)  # admins operate, not gather evidence
    for staff in (helper, county, admin):  # a draft is the farmer's alone until submitted
        assert not owners.may_view(staff, OwnerKind.application, draft)
        assert not owners.may_upload(staff, OwnerKind.application, draft)
    unbound = principal(Role.farmer)
    assert not owners.may_view(unbound, OwnerKind.application, rules.OwnerScope(region_code=VILLAGE, state="draft"))


def test_who_may_attach_and_see_a_product_photo() -> None:
    product = rules.OwnerScope(region_code="450102000000", supplier_id=3)
    assert owners.may_upload(principal(Role.supplier, supplier_id=3), OwnerKind.product, product)
    assert not owners.may_upload(principal(Role.supplier, supplier_id=4), OwnerKind.product, product)
    assert not owners.may_view(principal(Role.supplier, supplier_id=4), OwnerKind.product, product)
    assert owners.may_view(principal(Role.union_buyer, union_id=2), OwnerKind.product, product)
    assert not owners.may_upload(principal(Role.union_buyer, union_id=2), OwnerKind.product, product)
    assert owners.may_view(principal(Role.county, region_code="450102000000"), OwnerKind.product, product)
    assert not owners.may_view(principal(Role.county, region_code="450103000000"), OwnerKind.product, product)
    assert not owners.may_view(principal(Role.department, region_code="450102000000"), OwnerKind.product, product)
    assert not owners.may_view(principal(Role.farmer, household_id=7), OwnerKind.product, product)


def test_every_owner_kind_has_a_cap_and_ready_kinds_have_readers_and_uploaders() -> None:
    for kind in OwnerKind:
        assert rules.MAX_PHOTOS_PER_OWNER[kind] > 0
    for entry in owners.OWNER_KINDS.values():
        assert entry.uploaders and entry.may_read


def test_signature_covers_photo_variant_and_expiry() -> None:
    key = b"k" * 32
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    expires = int(now.timestamp()) + 300
    path = signing.signed_path(key, 5, PhotoVariant.display, expires)
    sig = path.rsplit("sig=", 1)[1]
    signing.check_signature(key, 5, "display", expires, sig, now)
    for photo_id, variant, exp in ((6, "display", expires), (5, "thumb", expires), (5, "display", expires + 1)):
        with pytest.raises(errors.PhotoLinkInvalid):
            signing.check_signature(key, photo_id, variant, exp, sig, now)
    with pytest.raises(errors.PhotoLinkInvalid):
        signing.check_signature(b"x" * 32, 5, "display", expires, sig, now)
    with pytest.raises(errors.PhotoLinkExpired):
        signing.check_signature(key, 5, "display", expires, sig, now + dt.timedelta(seconds=301))
    links = signing.links_for(key, 5, now)
    assert links.expires_at - now <= dt.timedelta(seconds=rules.SIGNED_URL_MAX_TTL_S)


def dhash_of(data: bytes) -> int:
    return imaging.make_derivatives(data).dhash


def test_reuse_threshold_separates_copies_from_different_photos() -> None:
    """The named threshold holds on real pictures: copies under it, different scenes over it."""
    hashes = {}
    for seed in range(6):
        picture = scene(seed, size=(1200, 900))
        hashes[seed] = dhash_of(encode(picture, quality=92))
        copies = [
            encode(picture, quality=40),
            encode(picture.resize((600, 450)), quality=70),
            encode(picture, "PNG"),
        ]
        for copy in copies:
            assert rules.hamming_distance(hashes[seed], dhash_of(copy)) <= rules.REUSE_MAX_DISTANCE_BITS
    for a in range(6):
        for b in range(a + 1, 6):
            assert rules.hamming_distance(hashes[a], hashes[b]) > rules.REUSE_MAX_DISTANCE_BITS


def test_draft_mode_gives_the_same_display_size_and_hash_as_full_decoding() -> None:
    data = encode(scene(9, size=(4000, 3000)), quality=90)
    fast = imaging.make_derivatives(data, draft=True)
    full = imaging.make_derivatives(data, draft=False)
    assert (fast.width, fast.height) == (full.width, full.height) == (1920, 1440)
    assert rules.hamming_distance(fast.dhash, full.dhash) <= 2
    thumb = Image.open(io.BytesIO(fast.thumb_jpeg))
    assert max(thumb.size) == rules.THUMB_LONG_SIDE_PX


def test_a_picture_served_as_it_came_still_loses_its_metadata() -> None:
    """Small and upright, the decoded picture itself is encoded for both sizes: no EXIF, GPS or
    comment may come along with it."""
    data = encode(
        scene(4, size=(300, 200)),
        exif=exif_block(gps=GPS_NANNING, make="HUAWEI", model="Mate 60"),
        comment=b"HUAWEI 22.8N 108.3E",
    )
    made = imaging.make_derivatives(data)
    assert (made.width, made.height) == (300, 200)
    for served in (made.display_jpeg, made.thumb_jpeg):
        assert b"Exif" not in served and b"HUAWEI" not in served
        assert len(Image.open(io.BytesIO(served)).getexif()) == 0


def test_transparent_png_is_laid_on_white() -> None:
    clear = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    made = imaging.make_derivatives(encode(clear, "PNG"))
    display = Image.open(io.BytesIO(made.display_jpeg)).convert("RGB")
    assert min(display.getpixel((25, 20))) > 245
