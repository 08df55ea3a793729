"""The application factory: the app assembled from data (routes and middleware lists)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from consult.config import Settings
from consult.db.engine import Database, make_engine
from consult.web.api import PREFIX
from consult.web.compression import Compression
from consult.web.db import DatabaseMiddleware
from consult.web.errors import HANDLERS
from consult.web.security import BodyLimitMiddleware, SecurityHeadersMiddleware
from consult.web.templating import STATIC

SESSION_DAYS = 14


def page_routes() -> list[BaseRoute]:
    from consult.accounts import routes as accounts
    from consult.communities import routes as communities
    from consult.consultations import routes as consultations
    from consult.notifications import routes as notifications
    from consult.owners import routes as owners
    from consult.ratings import routes as ratings
    from consult.surveys import routes as surveys

    return [*communities.routes, *accounts.routes, *notifications.routes, *surveys.routes,
            *ratings.routes, *consultations.routes, *owners.routes]


def api_routes() -> list[Route]:
    from consult.accounts import api as accounts
    from consult.api.openapi import openapi_json
    from consult.communities import api as communities
    from consult.notifications import api as notifications
    from consult.ratings import api as ratings_api
    from consult.surveys import api as surveys_api

    return [
        *surveys_api.routes,
        *ratings_api.routes,
        Route("/openapi.json", openapi_json, methods=["GET"], name="openapi"),
        *accounts.routes,
        *communities.routes,
        *notifications.routes,
    ]


def create_app(settings: Settings | None = None, database: Database | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    database = database or Database(make_engine(settings.database_url))
    api = api_routes()
    routes = [
        *page_routes(),
        Mount(PREFIX, routes=api, name="api"),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware, hsts=settings.https),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)),
        Middleware(Compression, minimum_size=512),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
                   max_upload_bytes=settings.max_upload_body_bytes),
        Middleware(SessionMiddleware, secret_key=settings.secret_key,
                   session_cookie="consult_session", max_age=SESSION_DAYS * 24 * 3600,
                   same_site="lax", https_only=settings.https),
        Middleware(DatabaseMiddleware),
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=HANDLERS)
    app.state.settings = settings
    app.state.database = database
    app.state.api_routes = api
    app.state.url_cache = {}
    return app
