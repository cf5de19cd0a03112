"""Personal data at rest (DOMAIN §11): AES-256-GCM encryption, HMAC blind index, masking.

ID numbers and phones are stored as `nonce || ciphertext` with a one-byte key version in front
(so keys can rotate), looked up by an HMAC-SHA256 blind index, and shown masked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

KEY_VERSION = b"\x01"
NONCE_BYTES = 12


class InvalidIdNumber(ValueError):
    pass


class Pii:
    def __init__(self, encryption_key: bytes, index_key: bytes) -> None:
        self._aead = AESGCM(encryption_key)
        self._index_key = index_key

    def encrypt(self, plaintext: str, *, context: bytes = b"") -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return KEY_VERSION + nonce + self._aead.encrypt(nonce, plaintext.encode(), context or None)

    def decrypt(self, blob: bytes, *, context: bytes = b"") -> str:
        if blob[:1] != KEY_VERSION:
            raise ValueError("unknown PII key version")
        nonce, ciphertext = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        return self._aead.decrypt(nonce, ciphertext, context or None).decode()

    def blind_index(self, value: str, *, kind: bytes) -> bytes:
        # `kind` separates ID numbers from phones so equal strings never share an index.
        return hmac.new(self._index_key, kind + b":" + value.encode(), hashlib.sha256).digest()

    def id_index(self, id_number: str) -> bytes:
        return self.blind_index(id_number, kind=b"ric")

    def phone_index(self, phone: str) -> bytes:
        return self.blind_index(phone, kind=b"phone")


def normalize_id_number(raw: str) -> str:
    """A valid 18-character resident ID number (GB 11643); 15-digit legacy numbers are converted.

    Raises InvalidIdNumber with a Chinese reason.
    """
    value = raw.strip().upper().replace(" ", "")
    try:
        if len(value) == 15:
            value = _convert_legacy(value)
        return ric.validate(value)
    except stdnum_errors.InvalidChecksum:
        raise InvalidIdNumber("身份证号码校验位不正确") from None
    except stdnum_errors.InvalidComponent:
        raise InvalidIdNumber("身份证号码中的地区代码或出生日期无效") from None
    except stdnum_errors.InvalidLength:
        raise InvalidIdNumber("身份证号码应为18位") from None
    except stdnum_errors.ValidationError:
        raise InvalidIdNumber("身份证号码格式不正确") from None


def _convert_legacy(value: str) -> str:
    # 15-digit numbers (before 1999) omit the century "19" and the check digit.
    if not (value.isascii() and value.isdigit()):
        raise InvalidIdNumber("15位身份证号码只能包含数字")
    body = value[:6] + "19" + value[6:]
    return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last character


def id_birth_date(id_number: str) -> dt.date:
    return ric.get_birth_date(id_number)


def id_sex(id_number: str) -> str:
    # GB 11643: the 17th digit is odd for men, even for women.
    return "male" if int(id_number[16]) % 2 else "female"


def mask_id_number(id_number: str) -> str:
    """`110105********002X`: region and last four only."""
    return id_number[:6] + "*" * 8 + id_number[-4:]


def normalize_phone(raw: str) -> str:
    digits = raw.strip().removeprefix("+86").replace(" ", "").replace("-", "")
    if len(digits) != 11 or not (digits.isascii() and digits.isdigit()) or digits[0] != "1":
        raise ValueError("手机号码应为11位数字")
    return digits


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]
