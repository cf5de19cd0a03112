"""Verified access tokens are cached for speed; a cached token must still expire and a forged
one must still fail."""

import time

import pytest

from backend import auth
from backend.auth import Principal, TokenExpired, TokenInvalid, decode_access_token, issue_access_token
from schemas.base import Role


def test_a_cached_token_still_expires(settings, monkeypatch) -> None:
    principal = Principal(user_id=7, role=Role.farmer, household_id=3)
    token = issue_access_token(settings, principal)
    assert decode_access_token(settings, token) == principal
    assert decode_access_token(settings, token) == principal  # from the cache
    later = time.time() + settings.access_token_ttl_s + 1
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(TokenExpired):
        decode_access_token(settings, token)


def test_a_tampered_token_is_refused_after_the_real_one_was_cached(settings) -> None:
    token = issue_access_token(settings, Principal(user_id=7, role=Role.farmer, household_id=3))
    decode_access_token(settings, token)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(TokenInvalid):
        decode_access_token(settings, forged)
