"""Staff users with passwords and farmers logged in through the WeChat fake."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.passwords import hash_password
from backend.pii import Pii
from schemas.base import Role
from tests.factories import World

PASSWORD = "Zhengque-mima-2024"
_codes = itertools.count(1)


@dataclass
class Staff:
    id: int
    username: str
    password: str = PASSWORD


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run


@pytest.fixture
async def staff(pool: asyncpg.Pool, world: World, password_hash: str) -> Staff:
    """The township user of the world, with a password."""
    user = world.user(Role.township)
    username = await pool.fetchval(
        "UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING username", user.id, password_hash
    )
    return Staff(user.id, username)


def new_code() -> str:
    """A wx.login code no other test uses (the fake maps each code to its own openid)."""
    return f"wx-code-{next(_codes)}"


async def farmer_login(client: AsyncTestClient, code: str | None = None) -> dict[str, object]:
    response = await client.post("/api/miniapp/auth/login", json={"code": code or new_code()})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(tokens: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def head_phone(pool: asyncpg.Pool, pii: Pii, household_id: int) -> str:
    encrypted = await pool.fetchval("SELECT head_phone_enc FROM households WHERE id = $1", household_id)
    return pii.decrypt(encrypted)
