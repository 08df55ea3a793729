"""Signing in and out in a browser, and the known-device cookie.

Signing in starts a fresh session (a new key, whose digest is a ``user_session`` row,
and a new CSRF token) in the signed session cookie; signing out deletes the row, so the
cookie, even replayed, is signed out. Who the cookie names on later requests is
:mod:`consult.web.auth`'s to ask. The known-device cookie lets a browser that signed in
before past the waits an attacker causes (``services.authenticate``).
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request

from consult import clock
from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.accounts.rules import Device
from consult.web.auth import ACTING_KEY
from consult.web.db import get_db


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session (a new key and CSRF token) so a planted session is useless;
    the browser's previous session, if any, ends."""
    db = get_db(request)
    if isinstance(old := request.session.get("sid"), str):
        accounts.end_session(db, old)
    key = accounts.start_session(db, user, clock.utcnow())
    request.session.clear()
    request.session.update(uid=user.id, sid=key, csrf=secrets.token_urlsafe(32))
    request.state.user = user
    request.state.actor = None


def sign_out(request: Request) -> None:
    """End this browser's session on the server too (and a help session it runs), then
    forget the cookie."""
    if isinstance(request.session.get(ACTING_KEY), str):
        stop_acting(request)
    if isinstance(key := request.session.get("sid"), str):
        accounts.end_session(get_db(request), key)
    request.session.clear()
    request.state.user = None
    request.state.actor = None


def start_acting(request: Request, raw: str) -> None:
    """This browser now acts for someone (the key ``acting.start_desk`` or
    ``family.start_acting`` returned); a new CSRF token, so no form made before counts."""
    request.session[ACTING_KEY] = raw
    request.session["csrf"] = secrets.token_urlsafe(32)
    request.state.user = None
    request.state.actor = None


def stop_acting(request: Request) -> bool:
    """End this browser's help session, if any; the helper is themselves again."""
    from consult.accounts import acting

    raw = request.session.pop(ACTING_KEY, None)
    request.session["csrf"] = secrets.token_urlsafe(32)
    uid = request.session.get("uid")
    done = isinstance(raw, str) and isinstance(uid, int) and acting.end(
        get_db(request), raw, uid, clock.utcnow())
    request.state.user = None
    request.state.actor = None
    request.state.acting = None
    return bool(done)


DEVICE_COOKIE = "consult_device"
_DEVICE_SALT = "consult-known-device"
_DEVICE_ACCOUNTS = 5  # the accounts a shared family tablet remembers
_DEVICE_DAYS = 365


def _device_signer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.settings.secret_key, salt=_DEVICE_SALT)


def known_device(request: Request) -> Device | None:
    """The browser's signed known-device cookie: set at each sign-in, it lets the person
    past the waits an attacker causes for their account or address (see
    ``accounts.services.authenticate``)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _device_signer(request).loads(raw)
        return Device(str(data["d"]), frozenset(int(u) for u in data["a"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def remember_device(request: Request, response, user: User) -> None:
    """Mark this browser as one ``user`` signed in on."""
    device = known_device(request)
    device_id = device.id if device else secrets.token_urlsafe(16)
    kept = [u for u in (device.accounts if device else ()) if u != user.id]
    value = _device_signer(request).dumps({"d": device_id, "a": [user.id, *kept][:_DEVICE_ACCOUNTS]})
    response.set_cookie(DEVICE_COOKIE, value, max_age=_DEVICE_DAYS * 24 * 3600, samesite="lax",
                        secure=request.app.state.settings.https, httponly=True)
