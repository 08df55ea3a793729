"""Jinja2 templating: the shared context every page gets, filters and translation.

The context a page receives is a contract: tests read ``response.context``.
Every page gets ``request``, ``user``, ``actor``, ``t`` (the translator),
``locale``, ``elder``, ``unread`` and ``csrf_token``; pages add their own keys.
"""

from __future__ import annotations

import hashlib
import os
from contextvars import ContextVar
from functools import lru_cache
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from consult import clock
from consult.communities import rules as place_rules
from consult.communities.rules import format_area
from consult.config import ROOT
from consult.i18n import Msg, Translator, negotiate, translator
from consult.web import csrf
from consult.web.responses import pop_flashes

TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"


def locale_of(request: Request) -> str:
    cached = getattr(request.state, "locale", None)
    if cached is None:
        cached = negotiate(request.cookies.get("lang"), request.headers.get("accept-language"))
        request.state.locale = cached
    return cached


def translator_for(request: Request) -> Translator:
    return translator(locale_of(request))


# The translator of the page being rendered, set by ``render`` around rendering. The
# template functions read it directly: plain functions are much cheaper for Jinja to
# call than context functions, and ``_`` appears dozens of times on every page.
_current: ContextVar[Translator] = ContextVar("translator")


def _gettext(message: str, **params) -> str:
    return _current.get().gettext(message, **params)


def _ngettext(singular: str, plural: str, n: int, **params) -> str:
    return _current.get().ngettext(singular, plural, n, **params)


def path_for(app, name: str, **params) -> str:
    """``url_path_for`` with a per-app cache: routes never change after start-up, and
    Starlette's lookup walks every route (a page builds dozens of links)."""
    cache: dict = app.state.url_cache
    key = (name, tuple(sorted(params.items())))
    path = cache.get(key)
    if path is None:
        if len(cache) > 20000:  # links to many distinct ideas: keep memory bounded
            cache.clear()
        path = cache[key] = str(app.url_path_for(name, **params))
    return path


@pass_context
def _url(ctx, name: str, query: dict | None = None, **params) -> str:
    path = path_for(ctx["request"].app, name, **params)
    if query:
        pairs = {k: v for k, v in query.items() if v not in (None, "")}
        if pairs:
            path = f"{path}?{urlencode(pairs)}"
    return str(path)


@lru_cache
def _static_version(path: str) -> str:
    try:
        return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def _static(path: str) -> str:
    return f"/static/{path}?v={_static_version(path)}"


@pass_context
def _csrf_field(ctx) -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % ctx["csrf_token"]


_FRAME_CACHE_LIMIT = 2000


@pass_context
def _frame(ctx, name: str, **params) -> Markup:
    """A partial of the page frame that depends only on the language and ``params``
    (the main navigation, the account links), rendered once per app, language and
    parameters instead of on every page: a dozen template calls less per page."""
    request = ctx["request"]
    t = ctx["t"]
    cache: dict = request.app.state.frame_cache
    key = (name, t.locale, *sorted(params.items()))
    html = cache.get(key)
    if html is None:
        if len(cache) > _FRAME_CACHE_LIMIT:  # e.g. many distinct unread counts
            cache.clear()
        html = cache[key] = render_fragment(name, t, request=request, **params)
    return html


def _tr(message: Msg | str) -> str:
    """Translate a Msg (from a service) or a plain string in the reader's language."""
    return _current.get()(message)


def _datetime(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return clock.to_local(value).strftime(fmt) if value else ""


def _money(cents: int | None) -> str:
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    yuan, fen = divmod(abs(cents), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"


def make_environment(auto_reload: bool = False) -> Environment:
    """Templates are read once (restart to see edits; CONSULT_TEMPLATE_RELOAD=1 re-reads them)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=auto_reload,
    )
    # ``_`` as a plain global rather than through jinja2.ext.i18n: one function call per
    # string instead of two (Babel's extractor still finds every ``_("...")``).
    env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    env.globals.update(
        url=_url, static=_static, csrf_field=_csrf_field, tr=_tr, frame=_frame,
        role_names=place_rules.ROLE_NAMES, kind_names=place_rules.KIND_NAMES,
        status_names=place_rules.REQUEST_STATUS_NAMES,
    )
    env.filters.update(dt=_datetime, area=format_area, money=_money)
    return env


templates = Jinja2Templates(env=make_environment(os.environ.get("CONSULT_TEMPLATE_RELOAD") == "1"))


def base_context(request: Request) -> dict:
    from consult.notifications import services as notifications
    from consult.web.auth import current_actor, current_user
    from consult.web.db import get_db

    user = current_user(request)
    t = translator_for(request)
    elder = user.elder_mode if user else request.cookies.get("elder") == "1"
    return {
        "request": request,
        "user": user,
        "actor": current_actor(request),
        "t": t,
        "locale": t.locale,
        "elder": elder,
        "unread": notifications.unread_count(get_db(request), user.id) if user else 0,
        "csrf_token": csrf.token(request),
        "flashes": pop_flashes(request),
    }


def render_fragment(name: str, t: Translator, **context) -> Markup:
    """Render a partial template outside a page (e.g. to cache it), in ``t``'s language."""
    token = _current.set(t)
    try:
        return Markup(templates.env.get_template(name).render(t=t, **context))
    finally:
        _current.reset(token)


def render(request: Request, name: str, context: dict | None = None, status: int = 200) -> HTMLResponse:
    full = base_context(request)
    full.update(context or {})
    token = _current.set(full["t"])
    try:
        response = templates.TemplateResponse(request, name, full, status_code=status)
    finally:
        _current.reset(token)
    response.headers["cache-control"] = "no-store"
    response.headers["content-language"] = full["t"].html_lang
    return response
