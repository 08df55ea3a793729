"""Pages: the context every page shares, and rendering a template as a page.

The context a page receives is a contract: tests read ``response.context``. Every
page, error pages included, gets it from :func:`page_context`: ``request``, ``user``,
``actor``, ``t`` (the translator), ``locale``, ``elder``, ``unread``, ``csrf_token``
and ``flashes``; pages add their own keys. The unread count comes from the app's
``unread_count(db, user_id)`` (the notifications', given by ``consult.web.app``): this
edge knows no domain. The Jinja environment itself (filters, globals, fragments) is
:mod:`consult.web.jinja`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse

from consult.i18n import Translator, negotiate, translator
from consult.web import csrf
from consult.web.auth import current_actor, current_user
from consult.web.db import get_db
from consult.web.jinja import render_fragment, templates, translating
from consult.web.responses import pop_flashes

__all__ = ["locale_of", "page_context", "render", "render_fragment", "render_page", "translator_for"]


def locale_of(request: Request) -> str:
    cached = getattr(request.state, "locale", None)
    if cached is None:
        cached = negotiate(request.cookies.get("lang"), request.headers.get("accept-language"))
        request.state.locale = cached
    return cached


def translator_for(request: Request) -> Translator:
    return translator(locale_of(request))


def page_context(request: Request, *, error_page: bool = False) -> dict:
    """What every page shows around its content, in the reader's language.

    An error page (``error_page=True``) shows what it can without the database, which
    may be what failed, and without changing the session: nobody signed in, no unread
    count, the CSRF token only if the session already has one, and the flashes left
    for the next page.
    """
    t = translator_for(request)
    has_session = "session" in request.scope
    user = None if error_page else current_user(request)
    if error_page:
        token = request.session.get("csrf", "") if has_session else ""
    else:
        token = csrf.token(request)
    return {
        "request": request,
        "user": user,
        "actor": None if error_page else current_actor(request),
        "t": t,
        "locale": t.locale,
        "elder": user.elder_mode if user else request.cookies.get("elder") == "1",
        "unread": request.app.state.unread_count(get_db(request), user.id) if user else 0,
        "csrf_token": token,
        "flashes": [] if error_page else pop_flashes(request),
        # someone acts for the person (代办): the banner on every page names them
        "acting": None if error_page else getattr(request.state, "acting", None),
    }


def render_page(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    """``name`` rendered with ``context`` (a full page context), never kept by a cache."""
    t = context["t"]
    with translating(t):
        response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["cache-control"] = "no-store"
    response.headers["content-language"] = t.html_lang
    return response


def render(request: Request, name: str, context: dict | None = None, status: int = 200) -> HTMLResponse:
    full = page_context(request)
    full.update(context or {})
    return render_page(request, name, full, status)
