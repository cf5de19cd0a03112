"""Typed access to what `on_startup` puts into arq's ctx."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
from arq.connections import ArqRedis

from backend.pii import Pii
from backend.settings import Settings


class WorkerContext:
    def __init__(self, ctx: dict[str, Any]) -> None:
        self._ctx = ctx

    @property
    def settings(self) -> Settings:
        return self._ctx["settings"]

    @property
    def db(self) -> asyncpg.Pool:
        return self._ctx["db"]

    @property
    def redis(self) -> ArqRedis:
        return self._ctx["redis"]

    @property
    def pii(self) -> Pii:
        return self._ctx["pii"]

    @property
    def http(self) -> httpx.AsyncClient:
        return self._ctx["http"]

    @property
    def job_try(self) -> int:
        return self._ctx.get("job_try", 1)
