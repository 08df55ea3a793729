"""The application factory: the app assembled from data (routes and middleware lists)."""

from __future__ import annotations

from importlib import import_module

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from consult import messaging, secrecy, staffdesk
from consult.accounts.rules import SESSION_DAYS
from consult.api.openapi import openapi_json
from consult.cache import Cache
from consult.communities import identity
from consult.communities import rules as place_rules
from consult.config import Settings
from consult.db.engine import Database, make_engine, pool_options
from consult.notifications.services import unread_count
from consult.web.api import PREFIX
from consult.web.bodies import BodyLimitMiddleware
from consult.web.compression import Compression
from consult.web.db import DatabaseMiddleware
from consult.web.errors import HANDLERS
from consult.web.jinja import STATIC, add_globals
from consult.web.offloop import EndpointThreads, off_the_loop
from consult.web.routing import IndexedRouter
from consult.web.security import SecurityHeadersMiddleware

#: The domains whose ``routes`` module (HTML pages) and ``api`` module (JSON API, under
#: /api/v1) make up the app. A new domain adds its name here.
PAGE_DOMAINS = ("communities", "accounts", "notifications", "surveys", "ratings",
                "consultations", "owners", "voting", "messaging", "elections", "points",
                "staffdesk", "delivery")
API_DOMAINS = ("accounts", "communities", "notifications", "surveys", "ratings",
               "consultations", "owners", "voting", "elections", "points",
               "delivery")

#: Each app's caches (see ``consult.cache``): links by route name and parameters
#: (links to many distinct ideas: bounded), the page frame's partials by name, language
#: and parameters (e.g. many distinct unread counts), and public data that may be
#: ``Settings.public_cache_seconds`` old (the home page's places, surveys' audiences),
#: and whole pages as visitors who are not signed in see them (``render_public``: keyed
#: on what they show, so a change is seen at once; an idea list's page is 12–100 KB, so
#: at most about 50 MB a worker, whatever addresses are asked for).
URL_CACHE_ENTRIES = 20000
FRAME_CACHE_ENTRIES = 2000
PUBLIC_CACHE_ENTRIES = 1000
PUBLIC_PAGE_ENTRIES = 512


def page_routes() -> list[BaseRoute]:
    return [route for name in PAGE_DOMAINS
            for route in import_module(f"consult.{name}.routes").routes]


def api_routes() -> list[Route]:
    return [Route("/openapi.json", openapi_json, methods=["GET"], name="openapi")] + [
        route for name in API_DOMAINS for route in import_module(f"consult.{name}.api").routes
    ]


def create_app(settings: Settings | None = None, database: Database | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    database = database or Database(make_engine(settings.database_url, **pool_options(settings)))
    secrecy.configure(settings)  # the ballot key (ballots, survey answer marks), never in the database
    messaging.configure(settings)  # the SMS backend: the outbox unless a provider is set
    api = off_the_loop(api_routes())  # every endpoint runs in the thread pool, never on the loop
    routes = [
        *off_the_loop(page_routes()),
        Mount(PREFIX, routes=api, name="api"),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware, hsts=settings.https),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)),
        Middleware(Compression, minimum_size=512),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
                   max_upload_bytes=settings.max_upload_body_bytes,
                   idle_seconds=settings.body_idle_seconds, total_seconds=settings.body_total_seconds),
        Middleware(SessionMiddleware, secret_key=settings.secret_key,
                   session_cookie="consult_session", max_age=SESSION_DAYS * 24 * 3600,
                   same_site="lax", https_only=settings.https),
        Middleware(DatabaseMiddleware),
    ]
    app = Starlette(middleware=middleware, exception_handlers=HANDLERS)
    app.router = IndexedRouter(routes)
    app.state.settings = settings
    app.state.database = database
    app.state.api_routes = api
    # as many endpoints at once as the pool has connections (pool size + overflow)
    app.state.endpoint_threads = EndpointThreads(settings.db_pool_size + settings.db_max_overflow)
    app.state.url_cache = Cache(URL_CACHE_ENTRIES)
    app.state.frame_cache = Cache(FRAME_CACHE_ENTRIES)
    app.state.public_cache = Cache(PUBLIC_CACHE_ENTRIES, settings.public_cache_seconds)
    app.state.public_pages = Cache(PUBLIC_PAGE_ENTRIES, settings.public_cache_seconds)
    # what the web edge asks of the domains, given here so that it imports none of them:
    # who the credentials name, the page frame's unread count, the places' names
    app.state.identity = identity
    app.state.unread_count = unread_count
    app.state.staff_tasks = staffdesk.tasks  # the staff's panel on the home page
    add_globals(role_names=place_rules.ROLE_NAMES, kind_names=place_rules.KIND_NAMES,
                status_names=place_rules.REQUEST_STATUS_NAMES)
    return app
