"""The demo farmer logs in the way the mini-program does: wx.login's code, sent to the API, which asks
the shipped WeChat fake who it is. The code is the one `fangpin up` writes beside the staff log-ins."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
from litestar.testing import AsyncTestClient

from backend import cli
from backend.demo import seed_demo
from backend.pii import Pii
from backend.wechat.fake import FakeControl

# How the credentials file shows the farmer's log-in: POST /api/miniapp/auth/login {"code": "..."}.
DOCUMENTED_CODE = re.compile(r'/api/miniapp/auth/login \{"code": "([^"]+)"\}')


async def seed(pool: asyncpg.Pool, pii: Pii):
    async with pool.acquire() as conn:
        return await seed_demo(conn, pii)


async def log_in_with_documented_code(client: AsyncTestClient, credentials_file: Path) -> dict:
    match = DOCUMENTED_CODE.search(credentials_file.read_text(encoding="utf-8"))
    assert match, credentials_file.read_text(encoding="utf-8")
    response = await client.post("/api/miniapp/auth/login", json={"code": match.group(1)})
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_documented_code_logs_in_as_the_demo_farmer_and_shows_their_household(
    client: AsyncTestClient, pool: asyncpg.Pool, pii: Pii, wechat_fake: FakeControl, tmp_path: Path
) -> None:
    seeded = await seed(pool, pii)
    credentials_file = cli.save_credentials(tmp_path, seeded)

    tokens = await log_in_with_documented_code(client, credentials_file)

    assert tokens["role"] == "farmer" and tokens["household_id"] == seeded.farmer.household_id
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = (await client.get("/api/auth/me", headers=headers)).json()
    assert (me["user_id"], me["display_name"]) == (seeded.farmer.user_id, seeded.farmer.name)
    household = await client.get("/api/miniapp/farmer/household", headers=headers)
    assert household.status_code == 200, household.text
    body = household.json()
    assert (body["id"], body["household_no"]) == (seeded.farmer.household_id, seeded.farmer.household_no)
    assert seeded.farmer.name in {member["name"] for member in body["members"]}
    assert (await wechat_fake.stats())["jscode2session"] == 1  # it went through the fake, not around it


async def test_a_demo_seeded_before_the_documented_code_is_reachable_after_the_next_seed(
    client: AsyncTestClient, pool: asyncpg.Pool, pii: Pii, wechat_fake: FakeControl, tmp_path: Path
) -> None:
    first = await seed(pool, pii)
    # Earlier demos bound the farmer under an openid that no js_code produces.
    await pool.execute("UPDATE users SET openid = 'demo-farmer-openid' WHERE id = $1", first.farmer.user_id)

    again = await seed(pool, pii)
    tokens = await log_in_with_documented_code(client, cli.save_credentials(tmp_path, again))

    assert again.farmer.user_id == first.farmer.user_id
    assert tokens["household_id"] == first.farmer.household_id
    assert await pool.fetchval("SELECT count(*) FROM users WHERE role = 'farmer'") == 1
