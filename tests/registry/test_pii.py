"""Personal data at rest (DOMAIN §11): authenticated encryption, blind index, masking, ID rules."""

import hashlib
import hmac
import os
import random

import pytest
from cryptography.exceptions import InvalidTag
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from backend.pii import InvalidIdNumber, Pii, mask_id_number, mask_phone, normalize_id_number
from tests.factories import make_id_number
from tests.registry.importfiles import legacy_15


def _with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def make_pii() -> Pii:
    return Pii(os.urandom(32), os.urandom(32))


def test_encryption_round_trips_and_hides_the_value() -> None:
    pii = make_pii()
    number = make_id_number()
    first, second = pii.encrypt(number), pii.encrypt(number)
    assert pii.decrypt(first) == pii.decrypt(second) == number
    assert first != second  # a fresh nonce every time: equal numbers do not look equal at rest
    assert number.encode() not in first


def test_tampered_ciphertext_is_refused() -> None:
    pii = make_pii()
    blob = bytearray(pii.encrypt(make_id_number()))
    blob[-1] ^= 0x01
    with pytest.raises(InvalidTag):
        pii.decrypt(bytes(blob))
    moved = pii.encrypt(make_id_number(), context=b"person:1")
    with pytest.raises(InvalidTag):  # a value copied onto another row does not decrypt there
        pii.decrypt(moved, context=b"person:2")
    with pytest.raises(InvalidTag):
        make_pii().decrypt(pii.encrypt("13800001111"))
    with pytest.raises(ValueError, match="key version"):
        pii.decrypt(b"\x09" + bytes(blob[1:]))


def test_blind_index_is_keyed_and_kind_separated() -> None:
    pii = make_pii()
    number = make_id_number()
    assert pii.id_index(number) == pii.id_index(number)
    assert pii.id_index(number) != make_pii().id_index(number)
    assert pii.blind_index("123", kind=b"ric") != pii.blind_index("123", kind=b"phone")


def test_fifteen_digit_numbers_become_eighteen() -> None:
    number = make_id_number("19850315")
    assert normalize_id_number(legacy_15(number)) == number
    assert normalize_id_number(f" {number.lower()} ") == number


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("45010219850315001", "18位"),
        (_with_check_digit("45010219850230001"), "出生日期"),  # 30 February
        ("45010285031500A", "数字"),
    ],
)
def test_bad_numbers_say_why(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber, match=reason):
        normalize_id_number(raw)


def test_bad_checksum_is_named() -> None:
    number = make_id_number()
    with pytest.raises(InvalidIdNumber, match="校验位"):
        normalize_id_number(number[:-1] + ("0" if number[-1] != "0" else "1"))


def test_masks_keep_region_and_last_four() -> None:
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13800001234") == "138****1234"


@pytest.mark.parametrize("key_bytes", [1, 32, 64, 65, 200])
def test_blind_index_is_plain_hmac_sha256(key_bytes: int) -> None:
    key = os.urandom(key_bytes)
    pii = Pii(os.urandom(32), key)
    for value in ("", "11010519491231002X", "13800001234" * 20):
        assert pii.id_index(value) == hmac.new(key, b"ric:" + value.encode(), hashlib.sha256).digest()


def _stdnum_verdict(raw: str) -> str:
    """What normalize_id_number answered when it called ric.validate for every number."""
    value = raw.strip().upper().replace(" ", "")
    try:
        return ric.validate(value)
    except stdnum_errors.InvalidChecksum:
        return "校验位"
    except (stdnum_errors.InvalidComponent, KeyError):  # stdnum crashes on some regions' entries
        return "地区代码或出生日期"
    except stdnum_errors.InvalidLength:
        return "18位"
    except stdnum_errors.ValidationError:
        return "格式"


def _verdict(raw: str) -> str:
    try:
        return normalize_id_number(raw)
    except InvalidIdNumber as exc:
        return next(word for word in ("校验位", "地区代码或出生日期", "18位", "格式") if word in str(exc))


def test_fast_validation_gives_stdnum_verdicts_on_many_numbers() -> None:
    rng = random.Random(11643)
    regions = ["110105", "450102", "660121", "360426", "000000", "999999", "110199", "371402"]
    numbers = []
    for _ in range(20_000):
        birth = f"{rng.randint(1890, 2030)}{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}"
        body = rng.choice(regions) + birth + f"{rng.randint(0, 999):03d}"
        number = body + (ric.calc_check_digit(body + "0") if rng.random() < 0.7 else rng.choice("0123456789XY"))
        if rng.random() < 0.1:  # damage it: a character replaced, dropped or added
            at = rng.randrange(18)
            number = number[:at] + rng.choice(["", "x", "-", "7", " ", "AB", "٣"]) + number[at + 1 :]
        numbers.append(number)
    assert sum(_verdict(n) == n for n in numbers) > 2_000  # enough valid ones to mean something
    assert [_verdict(n) for n in numbers] == [_stdnum_verdict(n) for n in numbers]
