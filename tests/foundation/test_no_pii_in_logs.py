"""A realistic day's session with every log line captured: a farmer logs in, binds, submits and
uploads a photo (with a wrong try first), staff log in (a wrong password first), a department
uploads a feed of clear ID numbers that the real worker processes, a union buyer orders. No
resident ID number, phone number, token or password appears in any log line or error answer."""

from __future__ import annotations

import logging

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.pii import Pii
from backend.settings import Settings
from backend.wechat.fake import FakeControl
from tests.accounts.conftest import (  # noqa: F401  (fixtures)
    PASSWORD,
    Staff,
    bearer,
    farmer_login,
    head_phone,
    password_hash,
    staff,
)
from tests.applications.conftest import SELF_REPORT
from tests.factories import World, make_id_number
from tests.feeds.conftest import csv_file, department, give_feeds, medical_rows, run_worker, upload  # noqa: F401
from tests.orders.conftest import Market, market  # noqa: F401
from tests.photos.conftest import phone_photo, upload_files


async def test_a_days_session_leaves_no_personal_data_in_logs_or_errors(
    client: AsyncTestClient,
    world: World,
    pool: asyncpg.Pool,
    pii: Pii,
    settings: Settings,
    wechat_fake: FakeControl,
    staff: Staff,
    department,
    market: Market,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[str] = []

    async def call(method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
        response = await client.request(method, path, **kwargs)
        if response.status_code >= 400:
            answers.append(response.text)
        return response

    # A farmer binds to household a1b (a wrong ID number first), submits and uploads a photo.
    household = world.households["a1b"]
    phone = await head_phone(pool, pii, household.id)
    tokens = await farmer_login(client)
    wrong_number = make_id_number("19700101")
    for number in (wrong_number, household.id_numbers[0]):
        bound = await call("POST", "/api/miniapp/auth/bind", headers=bearer(tokens), json={
            "id_number": number, "name": household.names[0], "phone_code": f"phone-{phone}"})
    assert bound.status_code == 200, bound.text
    farmer = bearer(bound.json())
    case = await call("POST", "/api/miniapp/farmer/applications", json=SELF_REPORT,
                      headers={**farmer, "Idempotency-Key": "a-days-session-1"})
    assert case.status_code == 201, case.text
    photo = await call("POST", f"/api/applications/{case.json()['id']}/photos", headers=farmer,
                       **upload_files(phone_photo(seed=11)))
    assert photo.status_code == 201, photo.text
    await call("GET", f"/api/households/{world.households['a1a'].id}", headers=farmer)  # not theirs

    # Staff log in, a wrong password first.
    for password in ("Wrong-Passw0rd!", PASSWORD):
        login = await call("POST", "/api/auth/login", json={"username": staff.username, "password": password})
    assert login.status_code == 200
    staff_token = login.json()["access_token"]
    await call("GET", "/api/alerts", headers={"Authorization": f"Bearer {staff_token}"})

    # A department's feed with clear ID numbers, one of them wrong, through the real worker.
    stranger, mistyped = make_id_number("19880808"), wrong_number[:-1] + "X"
    members = [household.id_numbers[0], household.id_numbers[1], stranger, mistyped]
    batch = await upload(client, department, csv_file(medical_rows(members, ["30000", "100", "200", "300"])))
    assert batch.status_code == 201, batch.text
    await run_worker(settings)
    await call("GET", f"/api/feeds/batches/{batch.json()['id']}/rejects.csv", headers=department.headers)

    # A union buyer orders; a retry with other content under the same key is refused.
    buyer = market.users["buyer_a"]
    for quantity in (1, 2):
        cart = {"lines": [{"product_id": market.products["rice"], "quantity": quantity}]}
        keyed = {**buyer.headers, "Idempotency-Key": "a-days-order-1"}
        await call("POST", "/api/orders", json=cart, headers=keyed)

    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "feeds.batch.done" in logged and "request" in logged  # the API's and the worker's lines
    assert answers, "the session's refusals were captured"
    secrets = {
        **{f"ID number {n}": n for n in [*members, wrong_number, *household.id_numbers]},
        "phone": phone,
        "farmer token": str(bound.json()["access_token"]),
        "refresh token": str(bound.json()["refresh_token"]),
        "staff token": staff_token,
        "password": PASSWORD,
        "wrong password": "Wrong-Passw0rd!",
    }
    for what, value in secrets.items():
        assert value not in logged, f"{what} in a log line"
        for answer in answers:
            assert value not in answer, f"{what} in an error answer: {answer}"
