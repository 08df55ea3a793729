"""Errors that services raise and the edges (HTML pages, JSON API) turn into responses.

Two families, because the edge treats them differently:

* :class:`UserError`: what was asked cannot be done as asked (invalid input, a state
  that does not allow it). The person can fix it where they are, so a form shows the
  form again with the message; :class:`FieldErrors` carries one message per field.
* :class:`AccessError`: the person may not see or do this here (not found, forbidden,
  not signed in). Nothing on the form can fix it, so no route catches it: it is
  answered once, in ``consult.web.errors`` (the error page, the API's error, or the
  way to sign in).

Each carries a machine ``code`` for the API and a :class:`~consult.i18n.Msg` for
people; the message is translated only when it is shown.
"""

from __future__ import annotations

from consult.i18n import N_, Msg


class Problem(Exception):
    """What both families share: a status, a machine code and a message for people."""

    status = 400
    code = "bad_request"
    default_message = N_("The request could not be processed.")

    def __init__(self, message: Msg | str | None = None, *, code: str | None = None, **params):
        if message is None:
            message = self.default_message
        if isinstance(message, str):
            message = Msg(message, params)
        self.msg = message
        if code:
            self.code = code
        super().__init__(message.text % message.params if message.params else message.text)


class UserError(Problem):
    """Something the person asked for cannot be done; nothing was changed."""


class FieldErrors(UserError):
    """Form input was invalid: one message per field."""

    status = 422
    code = "invalid"
    default_message = N_("Please correct the marked fields.")

    def __init__(self, errors: dict[str, Msg]):
        self.errors = errors
        super().__init__()


class Conflict(UserError):
    status = 409
    code = "conflict"
    default_message = N_("This conflicts with the current state.")


class TooManyRequests(UserError):
    status = 429
    code = "too_many_requests"
    default_message = N_("Too many attempts. Please wait a while and try again.")


class Unavailable(UserError):
    """A service the request needs (the SMS provider) did not answer; nothing was done."""

    status = 503
    code = "unavailable"
    default_message = N_("This is not available just now. Please try again later.")


class AccessError(Problem):
    """The person may not see or do this here; answered by the edge, never by a route."""


class NotFound(AccessError):
    status = 404
    code = "not_found"
    default_message = N_("The page or item was not found.")


class Forbidden(AccessError):
    status = 403
    code = "forbidden"
    default_message = N_("You are not allowed to do this.")


class NotSignedIn(AccessError):
    status = 401
    code = "not_signed_in"
    default_message = N_("Please sign in first.")


def field_error(field: str, text: str, **params) -> FieldErrors:
    return FieldErrors({field: Msg(text, params)})
