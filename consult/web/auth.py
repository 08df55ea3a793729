"""Who is asking: the signed session cookie, its revocation, and the guards routes use.

The cookie (Starlette's ``SessionMiddleware``, signed with itsdangerous) carries
the user id and the user's ``session_version`` at sign-in. A session whose
version no longer matches the account (logout everywhere, password change) is
treated as signed out.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request

from consult import permissions
from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.communities import services as communities
from consult.db.ids import parse_id
from consult.errors import Forbidden, NotSignedIn
from consult.permissions import Actor
from consult.web.db import get_db

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
    uid, version = session.get("uid"), session.get("sv")
    if isinstance(uid, int) and isinstance(version, int):
        found = communities.signed_in(get_db(request), uid, version) if parse_id(uid) else None
        if found is not None:
            user, request.state.actor = found
        else:
            session.pop("uid", None)
            session.pop("sv", None)
    request.state.user = user
    return user


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
    """Start a fresh session (a new CSRF token too) so a planted session id is useless."""
    request.session.clear()
    request.session.update(uid=user.id, sv=user.session_version, csrf=secrets.token_urlsafe(32))
    request.state.user = user
    request.state.actor = None


def sign_out(request: Request) -> None:
    request.session.clear()
    request.state.user = None
    request.state.actor = None


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
