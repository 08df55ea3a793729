"""Error responses in the reader's language: HTML pages, or the API's JSON format.

The one place errors that reach the edge are answered: access errors (not found,
forbidden, not signed in: no route catches them), user errors a route did not show on
its form, HTTP errors and crashes. API errors are always
``{"error": {"code": ..., "message": ...}}`` with a proper status. HTML error pages
get the page context every page gets (``page_context(error_page=True)``: no database,
so they work even when it failed).
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from consult.errors import AccessError, FieldErrors, NotSignedIn, UserError
from consult.i18n import N_, Msg
from consult.web.auth import current_actor, current_user
from consult.web.db import get_db
from consult.web.security import HEADERS
from consult.web.templating import page_context, render_page, translator_for

log = logging.getLogger("consult")

TITLES = {
    400: N_("Something is wrong with the request"),
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("This address cannot do that"),
    408: N_("Too slow"),
    409: N_("Cannot do that now"),
    413: N_("Too large"),
    422: N_("Please check your input"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
}

MESSAGES = {
    400: N_("The request could not be processed."),
    403: N_("You are not allowed to do this."),
    404: N_("The page or item was not found."),
    405: N_("This address does not accept that kind of request."),
    408: N_("What you sent arrived too slowly or stopped arriving, so it was not used. Please try again, if you can where the signal is better."),
    413: N_("What you sent is too large. Photos may be at most 8 MB each."),
    429: N_("Too many attempts. Please wait a while and try again."),
    500: N_("Sorry, an error occurred. It has been logged; please try again later."),
}

CODES = {400: "bad_request", 401: "not_signed_in", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 408: "request_timeout", 409: "conflict", 413: "too_large", 422: "invalid",
         429: "too_many_requests", 500: "server_error"}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def api_error(request: Request, status: int, code: str, message: Msg | str,
              fields: dict | None = None) -> JSONResponse:
    t = translator_for(request)
    body = {"error": {"code": code, "message": t(message)}}
    if fields:
        body["error"]["fields"] = {name: t(msg) for name, msg in fields.items()}
    return JSONResponse(body, status_code=status)


def error_response(request: Request, status: int, message: Msg | str | None = None,
                   code: str | None = None) -> Response:
    message = message or MESSAGES.get(status, MESSAGES[400])
    if is_api(request):
        return api_error(request, status, code or CODES.get(status, "error"), message)
    context = page_context(request, error_page=True)
    if status < 500:
        _with_the_person(request, context)
    context.update(status=status, title=TITLES.get(status, TITLES[400]), message=message)
    return render_page(request, "errors/error.html", context, status)


def _with_the_person(request: Request, context: dict) -> None:
    """A refusal or a missing page, not a failure: show the real header (who is signed
    in, their elder mode and notifications) so the page does not offer 登录/注册 to
    someone signed in. The flashes stay for the next page; nothing is written."""
    if "session" not in request.scope:
        return
    try:
        user = current_user(request)
        actor = current_actor(request)
        unread = request.app.state.unread_count(get_db(request), user.id) if user else 0
    except Exception:  # the database is what failed after all: keep the bare page
        log.warning("error page without the person on %s", request.url.path, exc_info=True)
        return
    context.update(user=user, actor=actor, unread=unread,
                   elder=user.elder_mode if user else context["elder"])


async def access_error(request: Request, exc: AccessError) -> Response:
    """Not found, forbidden, not signed in: the error page, or (pages) the way to sign in."""
    if isinstance(exc, NotSignedIn) and not is_api(request):
        target = request.app.url_path_for("login")
        nxt = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"{target}?next={nxt}", status_code=303)
    return error_response(request, exc.status, exc.msg, exc.code)


async def user_error(request: Request, exc: UserError) -> Response:
    """A user error no form showed: the API's error with its fields, or the error page."""
    if is_api(request):
        fields = exc.errors if isinstance(exc, FieldErrors) else None
        return api_error(request, exc.status, exc.code, exc.msg, fields)
    return error_response(request, exc.status, exc.msg, exc.code)


async def http_error(request: Request, exc: HTTPException) -> Response:
    response = error_response(request, exc.status_code)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    try:
        response = error_response(request, 500)
    except Exception:  # the error page itself failed: fall back to plain text
        response = Response("500 Internal Server Error", status_code=500, media_type="text/plain")
    for name, value in HEADERS:
        response.headers.setdefault(name.decode(), value.decode())
    # The server closes the connection after an unhandled error: say so, so the client
    # opens a new one for its next request instead of failing on this one.
    response.headers["connection"] = "close"
    return response


HANDLERS = {AccessError: access_error, UserError: user_error, HTTPException: http_error,
            500: server_error}
