"""Errors that services raise and the edges (HTML pages, JSON API) turn into responses.

Each carries a machine ``code`` for the API and a :class:`~consult.i18n.Msg` for
people; the message is translated only when it is shown.
"""

from __future__ import annotations

from consult.i18n import N_, Msg


class UserError(Exception):
    """Something the person asked for cannot be done; nothing was changed."""

    status = 400
    code = "bad_request"

    def __init__(self, message: Msg | str | None = None, *, code: str | None = None, **params):
        if message is None:
            message = self.default_message
        if isinstance(message, str):
            message = Msg(message, params)
        self.msg = message
        if code:
            self.code = code
        super().__init__(message.text % message.params if message.params else message.text)

    default_message = N_("The request could not be processed.")


class FieldErrors(UserError):
    """Form input was invalid: one message per field."""

    status = 422
    code = "invalid"
    default_message = N_("Please correct the marked fields.")

    def __init__(self, errors: dict[str, Msg]):
        self.errors = errors
        super().__init__()


class NotFound(UserError):
    status = 404
    code = "not_found"
    default_message = N_("The page or item was not found.")


class Forbidden(UserError):
    status = 403
    code = "forbidden"
    default_message = N_("You are not allowed to do this.")


class NotSignedIn(UserError):
    status = 401
    code = "not_signed_in"
    default_message = N_("Please sign in first.")


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


def field_error(field: str, text: str, **params) -> FieldErrors:
    return FieldErrors({field: Msg(text, params)})
