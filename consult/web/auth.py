"""Who is asking: the signed session cookie, its revocation, and the guards routes use.

The cookie (Starlette's ``SessionMiddleware``, signed with itsdangerous) carries
the user id and a random session key whose digest is a ``user_session`` row. Signing
out deletes that row, so the cookie, even replayed, is signed out; signing out
everywhere (or a password change) deletes all the person's rows.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request

from consult import clock, permissions
from consult.accounts import acting
from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.accounts.rules import Device
from consult.communities import services as communities
from consult.db.ids import parse_id
from consult.errors import Conflict, Forbidden, NotSignedIn
from consult.i18n import Msg
from consult.permissions import Actor
from consult.web.db import get_db, keep_writes
from consult.web.responses import flash

_MISSING = object()


def current_user(request: Request) -> User | None:
    """The signed-in user: by bearer token on the API, by session cookie on pages."""
    cached = getattr(request.state, "user", _MISSING)
    if cached is not _MISSING:
        return cached
    if request.scope["path"].startswith("/api/"):
        user = None
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            user = accounts.user_for_token(get_db(request), credentials.strip())
        request.state.user = user
        return user
    user = None
    session = request.session
    uid, key = session.get("uid"), session.get("sid")
    if isinstance(uid, int) and isinstance(key, str):
        found = (communities.signed_in(get_db(request), uid, accounts.session_digest(key))
                 if parse_id(uid) else None)
        if found is not None:
            user, request.state.actor = found
        else:
            session.pop("uid", None)
            session.pop("sid", None)
    if user is not None and isinstance(session.get(ACTING_KEY), str):
        user = _acting_for(request, user)
    request.state.user = user
    return user


ACTING_KEY = "acting"
#: forms that end the help session rather than do something for the person
_NOT_LOGGED = frozenset({"assist_end", "logout"})


def _acting_for(request: Request, helper: User) -> User:
    """While the helper acts for someone (代办), every page is the person's: their account,
    their roles (narrowed by ``permissions.allowed``), a banner naming them, and each form
    sent logged on their record. A form sent once the 30 minutes are over is refused."""
    db = get_db(request)
    now = clock.utcnow()
    name = getattr(request.scope.get("endpoint"), "__name__", "") or request.url.path
    found = acting.resolve(db, request.session[ACTING_KEY], helper.id, now)
    if found is not None and found[1] is not None and not acting.still_allowed(db, found[0]):
        acting.finish(db, found[0], now, how="link")
        found = None
    if found is None or found[1] is None:
        # over: timed out now, or ended elsewhere (the link ended, another tab, sign-out)
        request.session.pop(ACTING_KEY, None)
        request.session["csrf"] = secrets.token_urlsafe(32)  # forms made for the person expire
        person = db.get(User, found[0].person_id) if found is not None else None
        ended = (Msg(acting.ENDED, {"name": person.display_name if person else ""})
                 if found is not None else Msg(acting.ENDED_ELSEWHERE))
        if request.method == "POST" and name not in _NOT_LOGGED:
            keep_writes(request)  # the session's end is kept; nothing else was done
            raise Conflict(ended, code="acting_ended")
        flash(request, ended)
        return helper
    row, person, helper = found
    request.state.acting = acting.describe(row, person, helper)
    roles = communities.actor_for(db, person).roles
    request.state.actor = Actor(user_id=person.id, roles=roles, helper=row.kind,
                                helper_id=helper.id)
    if request.method == "POST" and name not in _NOT_LOGGED:
        acting.log_action(db, row, action=name, path=request.url.path, now=now)
    return person


def start_acting(request: Request, raw: str) -> None:
    """This browser now acts for someone (the key ``acting.start_desk`` or
    ``family.start_acting`` returned); a new CSRF token, so no form made before counts."""
    request.session[ACTING_KEY] = raw
    request.session["csrf"] = secrets.token_urlsafe(32)
    request.state.user = None
    request.state.actor = None


def stop_acting(request: Request) -> bool:
    """End this browser's help session, if any; the helper is themselves again."""
    raw = request.session.pop(ACTING_KEY, None)
    request.session["csrf"] = secrets.token_urlsafe(32)
    uid = request.session.get("uid")
    done = isinstance(raw, str) and isinstance(uid, int) and acting.end(
        get_db(request), raw, uid, clock.utcnow())
    request.state.user = None
    request.state.actor = None
    return bool(done)


def helping(request: Request):
    """The running help session (``acting.Acting``) of this request, or None."""
    current_user(request)
    return getattr(request.state, "acting", None)


def current_actor(request: Request) -> Actor:
    cached = getattr(request.state, "actor", None)
    if cached is None:
        user = current_user(request)  # a signed-in user's roles come with the account
        cached = getattr(request.state, "actor", None)
        if cached is None:
            cached = communities.actor_for(get_db(request), user) if user else permissions.ANONYMOUS
            request.state.actor = cached
    return cached


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
    """End this browser's session on the server too, then forget the cookie."""
    if isinstance(request.session.get(ACTING_KEY), str):
        stop_acting(request)
    if isinstance(key := request.session.get("sid"), str):
        accounts.end_session(get_db(request), key)
    request.session.clear()
    request.state.user = None
    request.state.actor = None


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


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise NotSignedIn()
    return user


def require(request: Request, action: str, path: tuple[int, ...] = ()) -> Actor:
    """Raise unless the current actor may do ``action`` on a thing at ``path``."""
    actor = current_actor(request)
    if not permissions.allowed(action, actor, path):
        if not actor.authenticated:
            raise NotSignedIn()
        raise Forbidden()
    return actor
