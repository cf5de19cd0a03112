"""create_app(): routers listed once, pools on the lifespan, one error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar

from backend import db
from backend.accounts.revocations import Revocations
from backend.accounts.routes import router as accounts_router
from backend.alerts.routes import router as alerts_router
from backend.applications.routes import router as applications_router
from backend.assistance.routes import router as assistance_router
from backend.audit.routes import router as audit_router
from backend.boundary import MAX_JSON_BODY_BYTES, check_request
from backend.calendar.routes import router as calendar_router
from backend.deps import DEPENDENCIES
from backend.elimination.routes import router as elimination_router
from backend.errors import EXCEPTION_HANDLERS
from backend.feeds.routes import router as feeds_router
from backend.health.routes import ROUTES as HEALTH_ROUTES
from backend.notifications.routes import router as notifications_router
from backend.observability import configure_logging, request_id_middleware
from backend.openapi import ClosedStructSchemaPlugin, document_routes, openapi_config
from backend.orders.routes import router as orders_router
from backend.photos.routes import router as photos_router
from backend.pii import Pii
from backend.queue import create_redis
from backend.regions.routes import router as regions_router
from backend.registry.routes import router as registry_router
from backend.security import body_deadline, cors_config, security_headers
from backend.settings import Settings, load_settings
from backend.staff.routes import router as staff_router
from backend.suppliers.routes import router as suppliers_router
from backend.visits.routes import router as visits_router
from miniapp_api.auth import router as miniapp_auth_router
from miniapp_api.farmer import router as farmer_router
from miniapp_api.helper import router as helper_router
from miniapp_api.helper_alerts import router as helper_alerts_router
from miniapp_api.helper_elimination import router as helper_elimination_router
from miniapp_api.helper_plans import router as helper_plans_router
from miniapp_api.helper_visits import router as helper_visits_router
from miniapp_api.inbox import router as inbox_router

ROUTE_HANDLERS = [
    *HEALTH_ROUTES,
    accounts_router,
    miniapp_auth_router,
    regions_router,
    registry_router,
    farmer_router,
    applications_router,
    helper_router,
    notifications_router,
    inbox_router,
    photos_router,
    calendar_router,
    audit_router,
    staff_router,
    feeds_router,
    alerts_router,
    helper_alerts_router,
    orders_router,
    suppliers_router,
    assistance_router,
    helper_plans_router,
    visits_router,
    helper_visits_router,
    elimination_router,
    helper_elimination_router,
]


def create_app(settings: Settings | None = None, *, configure_logs: bool = True) -> Litestar:
    settings = settings or load_settings()
    if configure_logs:
        configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.pii = Pii(settings.key_bytes("pii_key"), settings.key_bytes("pii_index_key"))
        app.state.db = await db.create_pool(settings.database_url or "")
        app.state.revocations = Revocations(settings.access_token_ttl_s)
        app.state.redis = create_redis(settings)
        app.state.http = httpx.AsyncClient(timeout=10.0)
        try:
            yield
        finally:
            await app.state.http.aclose()
            await app.state.redis.aclose()
            await app.state.db.close()

    app = Litestar(
        route_handlers=ROUTE_HANDLERS,
        lifespan=[lifespan],
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=openapi_config(),
        plugins=[ClosedStructSchemaPlugin()],  # before litestar's own Struct plugin
        debug=False,
        logging_config=None,  # litestar's default would swap our JSON log handler for plain text
        # Every route's input passes backend/boundary.py first; a layer's own before_request
        # would replace this one, so none sets one (tests/foundation/test_boundary.py sweeps all).
        before_request=check_request,
        cors_config=cors_config(settings),
        request_max_body_size=MAX_JSON_BODY_BYTES,  # upload routes set their own
    )
    # Around litestar's own handler rather than in `middleware=`: route middleware never runs for
    # a path or method no route matches, and those 404/405 answers need an id too.
    app.asgi_handler = request_id_middleware(
        security_headers(body_deadline(app.asgi_handler, settings.request_body_timeout_s))
    )
    document_routes(app)
    return app
