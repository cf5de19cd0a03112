"""The daily candidates list against hand-built visits: who is on it and why not, the helper told
once, the list by role and scope, and the cron through its arq function. It never proposes."""

from __future__ import annotations

import datetime as dt

import asyncpg

from backend.elimination import service
from backend.pii import Pii
from backend.queue import create_redis
from backend.settings import Settings
from schemas.base import Role
from tests.applications.conftest import Flow
from tests.elimination.conftest import (
    LINE_FEN,
    add_visit,
    at,
    make_monitored,
    propose,
    set_line,
)
from tests.factories import VILLAGE_A1A, VILLAGE_A2A, make_household, make_staff_user
from workers.elimination import elimination_candidates

TODAY = dt.date(2025, 12, 10)
NOW = at(TODAY, 5)
MONTHS = 6
ABOVE, BELOW = LINE_FEN + 1, LINE_FEN  # "above the line" is strictly above it
PROBLEM = {
    **{i: {"ok": True, "note": ""} for i in ("food", "clothing", "education", "medical", "drinking_water")},
    "housing": {"ok": False, "note": "屋顶漏雨"},
}


async def _world(flow: Flow, pool: asyncpg.Pool, pii: Pii) -> dict[str, int]:
    """Seven monitored households of the helper, each one reason short of the list but the first."""
    helper = flow.world.user(Role.helper).id
    long_ago, recently = at(dt.date(2025, 5, 1)), at(dt.date(2025, 9, 1))
    await set_line(pool, 2025)
    names = ["meets", "dip", "problem", "recent", "one_visit", "no_line", "proposed"]
    ids: dict[str, int] = {}
    async with pool.acquire() as conn:
        for name in names:
            village = VILLAGE_A2A if name == "no_line" else VILLAGE_A1A
            ids[name] = (await make_household(conn, pii, village)).id
    for name, household in ids.items():
        await make_monitored(pool, household, recently if name == "recent" else long_ago, helper)
        previous, latest = (BELOW, ABOVE) if name == "dip" else (ABOVE, ABOVE)
        if name != "one_visit":
            await add_visit(pool, household, helper, at(dt.date(2025, 10, 20)), per_capita_fen=previous)
        await add_visit(
            pool, household, helper, at(dt.date(2025, 11, 20)), per_capita_fen=latest,
            checklist=PROBLEM if name == "problem" else None,
        )
    # no_line: its visits fall in 2024 and 2025 but only 2025 has a line; proposed: already in progress.
    await pool.execute("UPDATE visits SET visited_at = visited_at - interval '1 year' WHERE household_id = $1 "
                       "AND visited_at < '2025-11-01'", ids["no_line"])
    await pool.execute(
        "INSERT INTO applications (kind, household_id, state, created_by, discovered_at) "
        "VALUES ('risk_elimination', $1, 'village_review', $2, now())",
        ids["proposed"],
        helper,
    )
    return ids


async def test_only_households_meeting_every_criterion_are_listed_and_the_helper_is_told_once(
    flow: Flow, pool: asyncpg.Pool, pii: Pii
) -> None:
    ids = await _world(flow, pool, pii)
    helper = flow.world.user(Role.helper).id
    cases_before = await pool.fetchval("SELECT count(*) FROM applications")
    async with pool.acquire() as conn:
        listed, notes = await service.refresh_candidates(conn, NOW, MONTHS)
    assert listed == 1
    row = await pool.fetchrow("SELECT * FROM elimination_candidates")
    assert row["household_id"] == ids["meets"]
    assert (row["per_capita_fen"], row["previous_per_capita_fen"], row["monitoring_line_fen"]) == (ABOVE, ABOVE, LINE_FEN)
    assert (row["monitored_since"], row["eligible_from"], row["first_listed_on"]) == (
        dt.date(2025, 5, 1), dt.date(2025, 11, 2), TODAY
    )
    assert len(notes) == 1
    told = await pool.fetchrow("SELECT user_id, event, body FROM notifications WHERE id = $1", notes[0])
    assert (told["user_id"], told["event"]) == (helper, "elimination_candidates") and "有1户" in told["body"]
    assert await pool.fetchval("SELECT count(*) FROM applications") == cases_before  # it proposes nothing

    # The next day: the same list, nobody told again; then the household's new visit shows a problem.
    async with pool.acquire() as conn:
        assert await service.refresh_candidates(conn, NOW + dt.timedelta(days=1), MONTHS) == (1, [])
    await add_visit(pool, ids["meets"], helper, at(dt.date(2025, 12, 10), 9), per_capita_fen=ABOVE, checklist=PROBLEM)
    async with pool.acquire() as conn:
        assert await service.refresh_candidates(conn, NOW + dt.timedelta(days=2), MONTHS) == (0, [])
    assert await pool.fetchval("SELECT count(*) FROM elimination_candidates") == 0


async def test_the_list_by_role_and_scope(flow: Flow, pool: asyncpg.Pool, pii: Pii, settings: Settings) -> None:
    world = flow.world
    ids = await _world(flow, pool, pii)
    redis = create_redis(settings)
    try:  # the cron's own function, as arq calls it
        ctx = {"settings": settings, "db": pool, "redis": redis}
        # On the real date (after 2026-03), "recent" has been monitored six months too.
        assert await elimination_candidates(ctx) == 2
    finally:
        await redis.aclose()
    async with pool.acquire() as conn:
        await service.refresh_candidates(conn, NOW, MONTHS)

    async def households(user, path: str = "/api/elimination-candidates") -> list[int]:
        body = (await flow.call("GET", user, path, expect=200)).json()
        assert body["meta"]["total"] == len(body["items"])
        return [c["household_id"] for c in body["items"]]

    mine = "/api/miniapp/helper/elimination-candidates"
    assert await households(world.user(Role.helper), mine) == [ids["meets"]]
    assert await households(world.user(Role.township)) == [ids["meets"]]
    assert await households(world.user(Role.county)) == [ids["meets"]]
    assert await households(world.other_county[Role.county]) == []
    assert await households(world.other_county[Role.township]) == []
    for role in (Role.farmer, Role.village, Role.department, Role.grid_officer):
        response = await flow.call("GET", flow.user(role), "/api/elimination-candidates", expect=403)
        assert response.json()["code"] in ("role_may_not_act", "forbidden")
    # Another helper of the same village sees none of this helper's households.
    async with pool.acquire() as conn:
        colleague = await make_staff_user(conn, world.settings, Role.helper, VILLAGE_A1A)
    assert await households(colleague, mine) == []
    assert await households(world.other_county[Role.helper], mine) == []
    # Once the helper proposes it (the routes' clock is the flow's, 2025-11-12), it leaves the list at once.
    await propose(flow, ids["meets"])
    assert await households(world.user(Role.helper), mine) == []
