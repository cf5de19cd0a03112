import datetime as dt
import io
import itertools

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


def turns_of(data: bytes) -> tuple[int, ...]:
    return imaging.make_derivatives(data).dhash_turns


# What the pictures below measure, so the threshold (8) keeps room on both sides.
COPIES_MEASURED_MAX_BITS = 2
UNRELATED_MEASURED_MIN_BITS = 19


def copies_of(picture: Image.Image) -> dict[str, bytes]:
    """What a reused photo looks like when it comes back: recompressed, halved, re-encoded,
    turned or mirrored (and forwarded through a chat app so), or with its orientation stripped."""
    copies = {
        "quality 40": encode(picture, quality=40),
        "halved": encode(picture.resize((picture.width // 2, picture.height // 2)), quality=70),
        "png": encode(picture, "PNG"),
    }
    for turn in rules.DHASH_TURNS[1:]:
        turned = picture.transpose(Image.Transpose[turn])
        copies[turn] = encode(turned, quality=90)
        copies[f"{turn}, forwarded"] = encode(turned.resize((turned.width // 2, turned.height // 2)), quality=55)
    # The camera stored the pixels as its sensor saw them with orientation 6 ("turn 90° clockwise");
    # a tool that drops EXIF leaves those pixels unturned.
    copies["orientation stripped"] = encode(picture.transpose(Image.Transpose.ROTATE_90), quality=92)
    return copies


def test_reuse_threshold_separates_copies_from_different_photos() -> None:
    """The named threshold holds on real pictures: every copy, turned or not, within 2 bits of
    the original whichever of the two is compared in its turns; different scenes 19 or more."""
    turns = {}
    for seed in range(6):
        picture = scene(seed, size=(1200, 900))
        turns[seed] = turns_of(encode(picture, quality=92))
        sensor = picture.transpose(Image.Transpose.ROTATE_90)
        as_shot = turns_of(encode(sensor, exif=exif_block(orientation=6), quality=92))
        assert rules.hamming_distance(as_shot[0], turns[seed][0]) <= COPIES_MEASURED_MAX_BITS
        for name, copy in copies_of(picture).items():
            copy_turns = turns_of(copy)
            for distance in (
                rules.reuse_distance_bits(turns[seed], copy_turns[0]),
                rules.reuse_distance_bits(copy_turns, turns[seed][0]),
            ):
                assert distance <= COPIES_MEASURED_MAX_BITS, (seed, name)
    for a, b in itertools.permutations(turns, 2):
        assert rules.reuse_distance_bits(turns[a], turns[b][0]) >= UNRELATED_MEASURED_MIN_BITS, (a, b)
    assert COPIES_MEASURED_MAX_BITS < rules.REUSE_MAX_DISTANCE_BITS < UNRELATED_MEASURED_MIN_BITS


def test_turned_fingerprints_are_those_of_the_turned_picture() -> None:
    """Turning the 9 × 8 grid gives the hash of the turned picture (within a bit of rounding)."""
    picture = scene(3, size=(640, 480))
    upright = imaging.difference_hashes(picture)
    assert len(upright) == len(rules.DHASH_TURNS) == 8
    for index, turn in enumerate(rules.DHASH_TURNS):
        turned = picture if turn is None else picture.transpose(Image.Transpose[turn])
        assert rules.hamming_distance(upright[index], imaging.difference_hashes(turned)[0]) <= 1, turn


def test_draft_mode_gives_the_same_display_size_and_hash_as_full_decoding() -> None:
    data = encode(scene(9, size=(4000, 3000)), quality=90)
    fast = imaging.make_derivatives(data, draft=True)
    full = imaging.make_derivatives(data, draft=False)
    assert (fast.width, fast.height) == (full.width, full.height) == (1920, 1440)
    assert rules.hamming_distance(fast.dhash_turns[0], full.dhash_turns[0]) <= 2
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
