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

from typing import Any, Protocol

from sqlalchemy.orm import Session
from starlette.requests import Request

from consult import permissions
from consult.db.ids import parse_id
from consult.errors import Forbidden, NotSignedIn
from consult.i18n import Msg
from consult.permissions import Actor
from consult.web.db import get_db


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
    request.state.user = user
    return user


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
