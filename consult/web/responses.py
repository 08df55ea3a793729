"""Small response helpers: 303 redirects by route name, and one-time flash messages."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse

from consult.i18n import Msg
from consult.web.routing import path_for


def redirect_to(request: Request, name: str, query: dict | None = None, **params) -> RedirectResponse:
    """303 See Other after a successful POST, to a named route."""
    path = path_for(request.app, name, **params)
    if query:
        path += "?" + urlencode(query)
    return RedirectResponse(path, status_code=303)


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def flash(request: Request, message: Msg) -> None:
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], [message.text, message.params]]


def pop_flashes(request: Request) -> list[Msg]:
    if "session" not in request.scope:
        return []
    raw = request.session.pop("flash", None) or []
    return [Msg(text, params) for text, params in raw]
