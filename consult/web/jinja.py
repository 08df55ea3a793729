"""The Jinja environment: where templates are, their filters and globals, translation.

Nothing here knows who is asking: a page's context (the person, the CSRF token, the
flashes) is :mod:`consult.web.templating`'s. Templates reach the app only to build
links (``url``): through the page's ``request``, or the ``app`` a fragment is rendered
for (:func:`render_fragment`), so a fragment kept for everyone never sees a request.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from markupsafe import Markup
from starlette.templating import Jinja2Templates

from consult import clock
from consult.config import ROOT
from consult.i18n import Msg, Translator
from consult.parsing import format_area
from consult.web.routing import path_for

TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"

# The translator of the template being rendered, set by ``translating`` around
# rendering. The template functions read it directly: plain functions are much cheaper
# for Jinja to call than context functions, and ``_`` appears dozens of times on every page.
_current: ContextVar[Translator] = ContextVar("translator")


@contextmanager
def translating(t: Translator) -> Iterator[None]:
    """Render templates in ``t``'s language inside this block."""
    token = _current.set(t)
    try:
        yield
    finally:
        _current.reset(token)


def _gettext(message: str, **params) -> str:
    return _current.get().gettext(message, **params)


def _ngettext(singular: str, plural: str, n: int, **params) -> str:
    return _current.get().ngettext(singular, plural, n, **params)


def _app_of(ctx):
    app = ctx.get("app")
    return app if app is not None else ctx["request"].app


@pass_context
def _url(ctx, name: str, query: dict | None = None, **params) -> str:
    path = path_for(_app_of(ctx), name, **params)
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


@pass_context
def _frame(ctx, name: str, **params) -> Markup:
    """A partial of the page frame (the main navigation, the account links) that depends
    only on the app, the language and ``params``: rendered once per app (its
    ``frame_cache``), language and parameters, for the app and never with the request,
    instead of on every page (a dozen template calls less per page)."""
    app, t = _app_of(ctx), ctx["t"]
    key = (name, t.locale, *sorted(params.items()))
    cache = app.state.frame_cache
    html = cache.get(key)
    if html is None:
        html = render_fragment(name, t, app=app, **params)
        cache.put(key, html)
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
    env.globals.update(url=_url, static=_static, csrf_field=_csrf_field, tr=_tr, frame=_frame)
    env.filters.update(dt=_datetime, area=format_area, money=_money)
    return env


templates = Jinja2Templates(env=make_environment(os.environ.get("CONSULT_TEMPLATE_RELOAD") == "1"))


def add_globals(**names) -> None:
    """Names a domain gives every template (the places' role and kind names): the app
    factory adds them (``consult.web.app``), so this edge knows no domain of its own."""
    templates.env.globals.update(names)


def render_fragment(name: str, t: Translator, **context) -> Markup:
    """Render a partial template outside a page (e.g. to keep it), in ``t``'s language.
    A fragment kept for everyone is given the ``app`` (for its links), not a request."""
    with translating(t):
        return Markup(templates.env.get_template(name).render(t=t, **context))
