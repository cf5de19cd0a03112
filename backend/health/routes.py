"""`GET /healthz`: really asks PostgreSQL and Redis; 503 naming what is down, never a crash."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from schemas.base import BaseStruct

CHECK_TIMEOUT_S = 2.0
RETRY_AFTER_S = 10  # a restarting database or Redis is usually back within seconds


class Health(BaseStruct):
    status: str
    postgres: str
    redis: str


async def _check(probe) -> str:  # type: ignore[no-untyped-def]
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_S)
        return "ok"
    except Exception as exc:  # any failure of a dependency is a report, not a crash
        return f"down: {type(exc).__name__}"


@get(
    "/healthz",
    operation_id="Health",
    tags=["system"],
    responses={503: ResponseSpec(Health, description="PostgreSQL 或 Redis 不可用；Retry-After 给出多少秒后再查")},
)
async def healthz(state: State) -> Response[Health]:
    postgres, redis = await asyncio.gather(
        _check(lambda: state.db.fetchval("SELECT 1")), _check(state.redis.ping)
    )
    healthy = postgres == "ok" and redis == "ok"
    body = Health(status="ok" if healthy else "degraded", postgres=postgres, redis=redis)
    if healthy:
        return Response(body)
    return Response(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


@get("/ping", operation_id="Ping", tags=["system"])
async def ping() -> dict[str, str]:
    """A bare JSON route: the ceiling the read benchmark compares against."""
    return {"pong": "ok"}


ROUTES = [healthz, ping]
