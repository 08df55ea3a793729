"""Who a request's credentials name, for the web edge: an account's user and their
roles at places.

:mod:`consult.web.auth` asks the app's identity (``app.state.identity``, this module,
given by ``consult.web.app``) instead of importing accounts and places itself: the
edge every domain's pages use knows no domain. Users are the accounts'; their roles at
places are the communities', which build on accounts, so the two meet here.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.communities import services as communities
from consult.communities.models import Place
from consult.permissions import Actor


def user_for_token(db: Session, token: str) -> User | None:
    return accounts.user_for_token(db, token)


def signed_in(db: Session, user_id: int, session_key: str) -> tuple[User, Actor] | None:
    """The user and their roles in one statement, if the key is a live session of theirs."""
    return communities.signed_in(db, user_id, accounts.session_digest(session_key))


def actor_for(db: Session, user: User) -> Actor:
    return communities.actor_for(db, user)


def place_name(db: Session, place_id: int) -> str | None:
    place = db.get(Place, place_id)
    return place.name if place is not None else None


def acting(db: Session, helper: User, key: str, *, now, log):
    """A running help session (代办) of ``helper``: (person, actor, banner), the form being
    sent logged; or the message saying it is over (timed out, link ended, ended elsewhere)."""
    from consult.accounts import acting as help_sessions
    from consult.i18n import Msg

    found = help_sessions.resolve(db, key, helper.id, now)
    if found is not None and found[1] is not None and not help_sessions.still_allowed(db, found[0]):
        help_sessions.finish(db, found[0], now, how="link")
        found = None
    if found is None:
        return Msg(help_sessions.ENDED_ELSEWHERE)
    row, person, helper = found
    if person is None:
        gone = db.get(User, row.person_id)
        return Msg(help_sessions.ENDED, {"name": gone.display_name if gone else ""})
    roles = communities.actor_for(db, person).roles
    actor = Actor(user_id=person.id, roles=roles, helper=row.kind, helper_id=helper.id)
    if log is not None:
        help_sessions.log_action(db, row, action=log[0], path=log[1], now=now)
    return person, actor, help_sessions.describe(row, person, helper)
