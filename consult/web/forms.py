"""The HTML form POST, written once: try the service, show the form again on a user
error, or flash and redirect (303, by route name).

A route reads its form (``consult.web.csrf.read_form``, which checks the CSRF token),
then hands the service call to :func:`form_view`::

    form = await read_form(request)
    values = {k: str(form.get(k, "")) for k in ("title", "year")}
    return form_view(
        request, lambda: services.create(db, actor, **values),
        again=FormPage("things/new.html", lambda **problem: _context(request, values, **problem)),
        message=N_("Created."),
        done=lambda thing: redirect_to(request, "thing", thing_id=thing.id))

On a :class:`~consult.errors.UserError` the page is rendered again with the error's
status and, as keywords to ``context``, ``errors=`` (one message per field, from
:class:`~consult.errors.FieldErrors`) or ``error=`` (one message). Nothing is
committed: the request's transaction is rolled back on an error status. Access errors
(not found, forbidden, not signed in) are not user errors: they pass through to the
one handler in :mod:`consult.web.errors`, and so does any user error the page does
not show (``shows``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from consult.errors import FieldErrors, UserError
from consult.i18n import Msg
from consult.web.responses import flash
from consult.web.templating import render

T = TypeVar("T")


def problem_of(exc: UserError) -> dict:
    """The keywords a refused form's page gets: ``errors=`` (one message per field) for
    :class:`~consult.errors.FieldErrors`, ``error=`` (one message) for any other."""
    return {"errors": exc.errors} if isinstance(exc, FieldErrors) else {"error": exc.msg}


@dataclass(frozen=True)
class FormPage:
    """Where a refused form is shown again: ``template`` with ``context(errors=...)`` or
    ``context(error=...)``; ``shows`` are the user errors this page can show. A page
    whose errors carry more than that (a file's list of problems) names the keywords
    with ``problem``."""

    template: str
    context: Callable[..., dict]
    shows: tuple[type[UserError], ...] = (UserError,)
    problem: Callable[[UserError], dict] = problem_of

    def show(self, request: Request, exc: UserError) -> Response:
        return render(request, self.template, self.context(**self.problem(exc)), status=exc.status)


def form_view(request: Request, act: Callable[[], T], *, again: FormPage,
              done: Callable[[T], Response],
              message: Msg | str | Callable[[T], Msg | None] | None = None) -> Response:
    """``act()``; on a user error ``again`` shows the form; else answer ``done(result)`` (a
    303 redirect) with ``message`` flashed (a Msg, a msgid, or a function of the result,
    which may give None: nothing to say)."""
    try:
        result = act()
    except again.shows as exc:
        return again.show(request, exc)
    response = done(result)  # first: it may start a new session (signing in), which keeps no flash
    if callable(message):
        message = message(result)
    if message is not None:
        flash(request, message if isinstance(message, Msg) else Msg(message))
    return response


async def named_files(form, name: str) -> list[tuple[str, bytes]]:
    """The uploaded files of one input that carry something, with their file names."""
    found = []
    for item in form.getlist(name):
        if hasattr(item, "read") and getattr(item, "filename", None):
            data = await item.read()
            if data:
                found.append((str(item.filename), data))
    return found


async def uploaded_files(form, name: str) -> list[bytes]:
    """The uploaded files of one input that carry something."""
    return [data for _, data in await named_files(form, name)]
