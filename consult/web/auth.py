"""Who is asking, and the guards routes use: the signed-in user and their roles.

The cookie (Starlette's ``SessionMiddleware``, signed with itsdangerous) carries
the user id and a random session key whose digest is a ``user_session`` row. Signing
out deletes that row, so the cookie, even replayed, is signed out; signing out
everywhere (or a password change) deletes all the person's rows. Signing in and out
are the accounts' (:mod:`consult.accounts.sessions`).

The credentials are looked up by the app's :class:`Identity` (``app.state.identity``,
given by ``consult.web.app``: :mod:`consult.communities.identity`), so this edge,
which every domain's pages use, imports no domain itself.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session
from starlette.requests import Request

from consult import clock, permissions
from consult.db.ids import parse_id
from consult.errors import Conflict, Forbidden, NotSignedIn
from consult.i18n import Msg
from consult.permissions import Actor
from consult.web.db import get_db, keep_writes
from consult.web.responses import flash


class Identity(Protocol):
    """Who credentials name. A user is the accounts' ``User`` (pages read ``id``,
    ``elder_mode``, ``display_name``…); an actor carries their roles at places."""

    def user_for_token(self, db: Session, token: str) -> Any | None:
        """The user an API bearer token belongs to, if it is valid now."""

    def signed_in(self, db: Session, user_id: int, session_key: str) -> tuple[Any, Actor] | None:
        """The user and their actor, if ``session_key`` is a live session of ``user_id``."""

    def actor_for(self, db: Session, user: Any) -> Actor:
        """The actor of a signed-in user: their roles at places."""

    def place_name(self, db: Session, place_id: int) -> str | None:
        """The name of a place (for a refusal's reason), None if there is none."""

    def acting(self, db: Session, helper: Any, key: str, *, now: datetime,
               log: tuple[str, str] | None) -> tuple[Any, Actor, Any] | Msg:
        """While ``helper`` acts for someone (代办) with the session ``key``: the person,
        their actor (narrowed by the helper's kind) and what the banner says, the form
        ``log`` = (page name, path) being logged; or why the session is over (a message)."""


def _identity(request: Request) -> Identity:
    return request.app.state.identity

_MISSING = object()


def current_user(request: Request) -> Any | None:
    """The signed-in user: by bearer token on the API, by session cookie on pages."""
    cached = getattr(request.state, "user", _MISSING)
    if cached is not _MISSING:
        return cached
    if request.scope["path"].startswith("/api/"):
        user = None
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            user = _identity(request).user_for_token(get_db(request), credentials.strip())
        request.state.user = user
        return user
    user = None
    session = request.session
    uid, key = session.get("uid"), session.get("sid")
    if isinstance(uid, int) and isinstance(key, str):
        found = _identity(request).signed_in(get_db(request), uid, key) if parse_id(uid) else None
        if found is not None:
            user, request.state.actor = found
        else:
            session.pop("uid", None)
            session.pop("sid", None)
    if user is not None and isinstance(session.get(ACTING_KEY), str):
        user = _acting_for(request, user)
    request.state.user = user
    return user


#: the session key of a running help session (代办), see ``consult.accounts.acting``
ACTING_KEY = "acting"
#: forms that end the help session rather than do something for the person
_NOT_LOGGED = frozenset({"assist_end", "logout"})


def _acting_for(request: Request, helper: Any) -> Any:
    """While the helper acts for someone (代办), every page is the person's: their account,
    their roles (narrowed by ``permissions.allowed``), a banner naming them, and each form
    sent logged on their record. A form sent once the session is over (30 minutes, the
    family link ended, ended elsewhere) is refused and nothing is saved."""
    name = getattr(request.scope.get("endpoint"), "__name__", "") or request.url.path
    posting = request.method == "POST" and name not in _NOT_LOGGED
    found = _identity(request).acting(get_db(request), helper, request.session[ACTING_KEY],
                                      now=clock.utcnow(),
                                      log=(name, request.url.path) if posting else None)
    if isinstance(found, Msg):
        request.session.pop(ACTING_KEY, None)
        request.session["csrf"] = secrets.token_urlsafe(32)  # forms made for the person expire
        if posting:
            keep_writes(request)  # the session's end is kept; nothing else was done
            raise Conflict(found, code="acting_ended")
        flash(request, found)
        return helper
    person, request.state.actor, request.state.acting = found
    return person


def helping(request: Request):
    """The running help session of this request (what the banner shows), or None."""
    current_user(request)
    return getattr(request.state, "acting", None)


def current_actor(request: Request) -> Actor:
    cached = getattr(request.state, "actor", None)
    if cached is None:
        user = current_user(request)  # a signed-in user's roles come with the account
        cached = getattr(request.state, "actor", None)
        if cached is None:
            cached = _identity(request).actor_for(get_db(request), user) if user else permissions.ANONYMOUS
            request.state.actor = cached
    return cached


def require_user(request: Request) -> Any:
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
        raise Forbidden(refusal(request, action, path))
    return actor


def refusal(request: Request, action: str, path: tuple[int, ...] = ()) -> Msg | None:
    """Why ``action`` at ``path`` is refused: who may do it, and where (None: the plain
    "not allowed")."""
    name = _identity(request).place_name(get_db(request), path[-1]) if path else None
    text = permissions.who_may(action, placed=name is not None)
    if text is None:
        return None
    return Msg(text, {"place": name} if name is not None else {})
