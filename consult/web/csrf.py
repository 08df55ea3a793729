"""CSRF protection: a synchronizer token in the session plus an Origin check.

Every form carries the token in a hidden field (scripts send it as the
``X-CSRF-Token`` header); it is compared in constant time. A request whose
Origin (or, lacking one, Referer) names another site is refused as well.
"""

from __future__ import annotations

import hmac
import secrets
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request

from consult.errors import Forbidden, UserError
from consult.i18n import N_
from consult.web.auth import current_user
from consult.web.security import has_nul

UNSTORABLE = N_("The form holds an invisible control character (NUL) that cannot be saved. Please type the text again instead of pasting it.")

FIELD = "csrf_token"
HEADER = "x-csrf-token"


def token(request: Request) -> str:
    value = request.session.get("csrf")
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(32)
        request.session["csrf"] = value
    return value


@lru_cache(maxsize=8)
def _netloc(url: str) -> str:
    return urlsplit(url).netloc


def _same_origin(request: Request) -> bool:
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source is None
    netloc = urlsplit(source).netloc
    # The request's own host (the Host header, as ``request.url`` reads it) or the
    # configured public address.
    return netloc in (request.headers.get("host") or request.url.netloc,
                      _netloc(request.app.state.settings.base_url))


def check(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if (
        not isinstance(expected, str)
        or not isinstance(submitted, str)
        or not hmac.compare_digest(expected.encode(), submitted.encode())
        or not _same_origin(request)
    ):
        raise Forbidden(N_("The form has expired or did not come from this site. Please go back, reload the page and try again."), code="csrf")


MAX_FIELDS = 200
_URLENCODED = "application/x-www-form-urlencoded"


async def _urlencoded(request: Request) -> FormData:
    """A form without files, parsed as Starlette parses it (``+`` and %-escapes decoded as
    UTF-8, blank values kept) by the standard library: a fifth of the cost of the
    streaming parser, which only uploads need."""
    body = await request.body()
    return FormData(parse_qsl(body.decode("latin-1"), keep_blank_values=True,
                              max_num_fields=MAX_FIELDS))


async def read_form(request: Request, *, max_files: int = 0) -> FormData:
    """Parse a submitted form and verify its CSRF token; every HTML POST goes through here."""
    try:
        if request.headers.get("content-type", "").partition(";")[0].strip().lower() == _URLENCODED:
            form = await _urlencoded(request)
        else:
            form = await request.form(max_files=max_files, max_fields=MAX_FIELDS)
    except Exception:  # a malformed multipart or urlencoded body
        raise UserError(N_("The form could not be read. Please try again."), code="bad_form") from None
    submitted = form.get(FIELD) or request.headers.get(HEADER)
    check(request, submitted if isinstance(submitted, str) else None)
    if has_nul([item for pair in form.multi_items() for item in pair]):
        raise UserError(UNSTORABLE, code="bad_form")
    if "acting" in request.session:
        # acting for someone (代办): every form is logged on their record, and one sent
        # after the session's end is refused here, before the route does anything
        current_user(request)
    return form
