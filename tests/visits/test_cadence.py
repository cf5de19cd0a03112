"""The cadence in SQL (queries.CADENCE_ROWS) says what rules.cadence_status says, for monitored
and lifted households across a year end, and the daily reminder speaks at most once a day."""

from __future__ import annotations

import datetime as dt
import itertools

import asyncpg

from backend.calendar.rules import LEGAL_TZ
from backend.visits import queries, rules, service
from schemas.base import Role
from schemas.visits import Cadence, CadenceStatus
from tests.factories import VILLAGE_A1A, World, make_household, make_staff_user

D = dt.date
LAST_VISITS = [None, D(2026, 8, 20), D(2026, 10, 31), D(2026, 11, 1), D(2026, 11, 30), D(2026, 12, 1),
               D(2026, 12, 31), D(2027, 1, 1), D(2027, 2, 28), D(2027, 3, 15)]
TODAYS = [D(2026, 11, 15), D(2026, 12, 1), D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 20), D(2027, 3, 1),
          D(2027, 3, 31), D(2027, 4, 2)]


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=LEGAL_TZ)


async def visit(conn: asyncpg.Connection, household_id: int, visitor: int, day: dt.date) -> None:
    await conn.execute(
        "INSERT INTO visits (household_id, visitor_user_id, visited_at, checklist) VALUES ($1, $2, $3, '{}')",
        household_id, visitor, at_noon(day),
    )


async def test_sql_and_rules_agree_across_a_year_end(world: World, pool: asyncpg.Pool, pii) -> None:
    helper = world.user(Role.helper).id
    expected: dict[int, tuple[Cadence, dt.date | None]] = {}
    async with pool.acquire() as conn:
        for monitored, last in itertools.product((True, False), LAST_VISITS):
            ref = await make_household(conn, pii, VILLAGE_A1A, category="lifted", members=1)
            if monitored:
                await conn.execute(
                    "UPDATE households SET monitoring_status = 'monitoring', monitoring_type = 'unstable' WHERE id = $1",
                    ref.id,
                )
            if last is not None:
                await visit(conn, ref.id, helper, last - dt.timedelta(days=40))  # an older one too
                await visit(conn, ref.id, helper, last)
            expected[ref.id] = (Cadence.monthly if monitored else Cadence.lifted, last)
        ordinary = await make_household(conn, pii, VILLAGE_A1A, category="ordinary", members=1)
        for today in TODAYS:
            periods = rules.periods_on(today)
            sql = queries.CADENCE_ROWS.format(where="h.village_code = $5")
            rows = {r["household_id"]: r for r in await conn.fetch(sql, *periods.params(), VILLAGE_A1A)}
            assert ordinary.id not in rows  # an ordinary household has no cadence
            for household_id, (cadence, last) in expected.items():
                assert rows[household_id]["cadence"] == cadence
                assert rows[household_id]["last_visited_on"] == last
                want = rules.cadence_status(cadence, last, periods)
                assert rows[household_id]["status"] == want, (today, cadence, last)


async def test_the_approval_month_is_not_required(world: World, pool: asyncpg.Pool) -> None:
    household = world.households["a1b"].id
    await pool.execute(
        "UPDATE households SET monitoring_status = 'monitoring', monitoring_type = 'marginal' WHERE id = $1", household
    )
    await pool.execute(
        "INSERT INTO applications (household_id, source, state, created_by, discovered_at, decided_at) "
        "VALUES ($1, 'cadre_screening', 'approved', $2, $3, $3)",
        household, world.user(Role.helper).id, at_noon(D(2026, 12, 20)),
    )
    sql = queries.CADENCE_ROWS.format(where="h.id = $5")
    for today, want in ((D(2027, 1, 10), CadenceStatus.due), (D(2027, 2, 10), CadenceStatus.overdue)):
        row = await pool.fetchrow(sql, *rules.periods_on(today).params(), household)
        assert row["monitored_since"] == D(2026, 12, 20)
        assert row["status"] == want


async def reminders(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT user_id, event, body, data FROM notifications ORDER BY id")


async def test_reminders_at_most_once_per_helper_per_day(world: World, pool: asyncpg.Pool, pii, settings) -> None:
    helper = world.user(Role.helper)
    async with pool.acquire() as conn:
        other = await make_staff_user(conn, settings, Role.helper, VILLAGE_A1A)
        # The world's helper: a1a (lifted, never visited → overdue in December) and a monitored
        # household not visited this month. The other helper: one household visited this month.
        monitored = await make_household(conn, pii, VILLAGE_A1A, members=1)
        visited = await make_household(conn, pii, VILLAGE_A1A, members=1)
        await conn.execute(
            "UPDATE households SET monitoring_status = 'monitoring', monitoring_type = 'unstable', helper_user_id = $2 "
            "WHERE id = $1", monitored.id, helper.id,
        )
        await conn.execute("UPDATE households SET helper_user_id = $2 WHERE id = $1", visited.id, other.id)
        await visit(conn, visited.id, other.id, D(2026, 12, 2))
        await visit(conn, monitored.id, helper.id, D(2026, 11, 20))
        now = at_noon(D(2026, 12, 10))
        first = await service.remind_visits(conn, now)
        second = await service.remind_visits(conn, now + dt.timedelta(hours=3))
    assert len(first) == 1 and second == []
    (sent,) = await reminders(pool)
    assert sent["user_id"] == helper.id and sent["event"] == "visit_overdue"
    assert sent["data"] == {"overdue": "1", "due": "1"}  # a1a overdue, the monitored one due

    async with pool.acquire() as conn:
        assert await service.remind_visits(conn, at_noon(D(2026, 12, 11))) != []  # a new day, a new message
    assert len(await reminders(pool)) == 2


async def test_merely_due_visits_speak_only_in_the_last_week(world: World, pool: asyncpg.Pool, pii) -> None:
    helper = world.user(Role.helper)
    a1a = world.households["a1a"].id
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE households SET monitoring_status = 'monitoring', monitoring_type = 'unstable' WHERE id = $1", a1a
        )
        await visit(conn, a1a, helper.id, D(2026, 11, 20))
        assert await service.remind_visits(conn, at_noon(D(2026, 12, 10))) == []
        assert len(await service.remind_visits(conn, at_noon(D(2026, 12, 26)))) == 1
    (sent,) = await reminders(pool)
    assert sent["event"] == "visit_due" and sent["data"] == {"overdue": "0", "due": "1"}
