"""Personal data at rest (DOMAIN §11): authenticated encryption, blind index, masking, ID rules."""

import os

import pytest
from cryptography.exceptions import InvalidTag
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
