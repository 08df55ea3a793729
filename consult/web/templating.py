"""Pages: the context every page shares, and rendering a template as a page.

The context a page receives is a contract: tests read ``response.context``. Every
page, error pages included, gets it from :func:`page_context`: ``request``, ``user``,
``actor``, ``t`` (the translator), ``locale``, ``elder``, ``unread``, ``csrf_token``
and ``flashes``; pages add their own keys. The unread count comes from the app's
``unread_count(db, user_id)`` (the notifications', given by ``consult.web.app``): this
edge knows no domain. The Jinja environment itself (filters, globals, fragments) is
:mod:`consult.web.jinja`.

A page that is the same for every visitor who is not signed in (the home page, the
idea list) is rendered once per worker and kept (:func:`render_public`): the route
gives a key holding everything its content depends on (the versions it was read
under), and the page frame adds what the frame depends on (language, elder mode, the
address the frame's forms come back to). The visitor's CSRF token is the one part of
such a page that differs between visitors: it is kept as a mark and filled in for each
response. Signed-in visitors, and anyone with a message waiting to be shown, get the
page rendered for them as always.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

from consult.i18n import Translator, negotiate, translator
from consult.web import csrf
from consult.web.auth import current_actor, current_user
from consult.web.db import get_db
from consult.web.jinja import render_fragment, templates, translating
from consult.web.responses import pop_flashes

__all__ = ["locale_of", "page_context", "render", "render_fragment", "render_page", "render_public",
           "translator_for"]


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


#: stands for the visitor's CSRF token in a kept page: letters and digits only (HTML
#: escaping leaves it as it is) and random per process, so no content can hold it
_TOKEN_MARK = "csrf" + secrets.token_hex(16)


class _KeptPage(HTMLResponse):
    """A kept page's bytes with this visitor's token. Like a template response, it tells a
    test client (the ``http.response.debug`` extension) its template and context: the
    context a rendering would have had, built only when a test asks for it."""

    def __init__(self, request: Request, name: str, context: dict, body: bytes, token: str,
                 headers: dict):
        super().__init__(body.replace(_TOKEN_MARK.encode(), token.encode()), headers=headers)
        self._request, self._name, self._context = request, name, context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "http.response.debug" in scope.get("extensions", {}):
            full = page_context(self._request)
            full.update(self._context)
            await send({"type": "http.response.debug",
                        "info": {"template": templates.get_template(self._name), "context": full}})
        await super().__call__(scope, receive, send)


def render_public(request: Request, name: str, context: dict, *, made_from: object,
                  key: Hashable = ()) -> HTMLResponse:
    """``render`` for a page whose content is the same for every visitor not signed in.

    ``made_from`` is the kept value the page shows (the idea list's kept body, the home
    page's kept overview), or a tuple of them (a survey's kept figures and its kept
    audience): the page is kept for as long as each is the one kept (the key holds their
    identities, and the kept page holds the objects, so no other object can take an
    identity meanwhile), plus ``key``, anything else it depends on. Kept per
    worker (``app.state.public_pages``, bounded) under those and what the page frame
    depends on; a visitor who is signed in, or has a flash message waiting, gets
    ``render``. The token filled in is the visitor's own (``csrf.token``), so the forms
    of a kept page work as a rendered one's."""
    if current_user(request) is not None or request.session.get("flash"):
        return render(request, name, context)
    url = request.url
    made_id = tuple(map(id, made_from)) if type(made_from) is tuple else id(made_from)
    full_key = (name, made_id, key, locale_of(request), request.cookies.get("elder") == "1",
                url.path, url.query)
    cache = request.app.state.public_pages
    kept = cache.get(full_key)
    token = csrf.token(request)
    if kept is None:
        full = page_context(request)
        full.update(context)
        full["csrf_token"] = _TOKEN_MARK
        page = render_page(request, name, full)
        kept = (made_from, page.body, {k: v for k, v in page.headers.items() if k != "content-length"})
        cache.put(full_key, kept)
    _, body, headers = kept
    return _KeptPage(request, name, context, body, token, headers)
