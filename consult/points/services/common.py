"""What every points service shares: loading a club with its place, the checks that
refuse (permission, lifecycle, four eyes), and the member a person acts as."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.communities.models import Place
from consult.db.ids import parse_id
from consult.errors import Conflict, Forbidden, NotFound, NotSignedIn
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.points import rules
from consult.points.models import Activity, Member, PointsClub, RedemptionDay

OWN_ATTENDANCE = N_("This is your own attendance, so another committee member approves it. "
                    "It stays in the list for them.")
OWN_CORRECTION = N_("You proposed this correction (or it is about you), so another staff member "
                    "confirms it. It stays in the list for them.")


@dataclass(frozen=True)
class ClubAt:
    """A club and its place: the path every permission check uses."""

    club: PointsClub
    place: Place

    @property
    def path(self) -> tuple[int, ...]:
        return self.place.ids_from_root


def get(db: Session, model, raw_id, *, lock: bool = False):
    """The row of ``model`` with id ``raw_id`` (digits only), or NotFound; ``lock``: FOR
    UPDATE (on PostgreSQL; SQLite's write transaction holds the database already), for a
    decision that two requests at once must not both take."""
    number = parse_id(raw_id)
    row = None if number is None else db.get(model, number, with_for_update=lock or None,
                                              populate_existing=lock)
    if row is None:
        raise NotFound()
    return row


def club_at(db: Session, club_id) -> ClubAt:
    number = parse_id(club_id)
    row = None if number is None else db.exec(
        select(PointsClub, Place).join(Place, Place.id == PointsClub.place_id)
        .where(PointsClub.id == number)).first()
    if row is None:
        raise NotFound()
    return ClubAt(*row)


def require(action: str, actor: Actor, at: ClubAt) -> None:
    if not permissions.allowed(action, actor, at.path):
        if not actor.authenticated:
            raise NotSignedIn()
        raise Forbidden()


def require_activity_action(activity: Activity, action: str, now: datetime) -> str:
    state = rules.activity_state(activity.starts_at, activity.ends_at, activity.cancelled_at, now)
    if problem := rules.activity_action_problem(action, state):
        raise Conflict(problem, code=f"activity_{state}")
    return state


def require_day_action(day: RedemptionDay, action: str, now: datetime) -> str:
    state = rules.day_state(day.opens_at, day.closes_at, day.released_at, now)
    if problem := rules.day_action_problem(action, state):
        raise Conflict(problem, code=f"day_{state}")
    return state


def member_of(db: Session, club_id: int, user_id: int | None) -> Member | None:
    """The person's own membership of the club, if any."""
    if user_id is None:
        return None
    return db.exec(select(Member).where(Member.club_id == club_id, Member.user_id == user_id)).first()


def may_see_member(actor: Actor, at: ClubAt, member: Member) -> bool:
    """The member, their registered family proxy, or staff of the club's place."""
    if actor.user_id is not None and actor.user_id in (member.user_id, member.proxy_user_id):
        return True
    return permissions.allowed("view_points_ledger", actor, at.path)


def acting_for(db: Session, actor: Actor, at: ClubAt, member_id=None) -> tuple[Member, str]:
    """The member an action is for, and how the actor acts: ``self``, ``proxy`` (their
    registered family member) or ``desk`` (staff for a resident, e.g. one without a phone).

    Without ``member_id`` it is the actor's own membership."""
    if not actor.authenticated:
        raise NotSignedIn()
    if member_id in (None, ""):
        member = member_of(db, at.club.id, actor.user_id)
        if member is None:
            raise Conflict(N_("Please join the club first."), code="not_a_member")
        return member, "self"
    member = get(db, Member, member_id)
    if member.club_id != at.club.id:
        raise NotFound()
    if member.user_id is not None and member.user_id == actor.user_id:
        return member, "self"
    if member.proxy_user_id is not None and member.proxy_user_id == actor.user_id:
        return member, "proxy"
    if permissions.allowed("act_at_points_desk", actor, at.path):
        return member, "desk"
    raise Forbidden()


def managed_clubs(db: Session, actor: Actor) -> list[ClubAt]:
    """Clubs at places the actor is staff of (or inside them)."""
    ids = [place for role, place in actor.roles if role in permissions.STAFF]
    if not ids:
        return []
    rows = db.exec(select(PointsClub, Place).join(Place, Place.id == PointsClub.place_id)
                   .order_by(Place.path)).all()
    return [ClubAt(c, p) for c, p in rows if actor.holds(permissions.STAFF, p.ids_from_root)]


def photo_message(error) -> Msg:
    """The media module's English template uses ``{name}``; the catalogue uses ``%(name)s``."""
    return Msg(re.sub(r"\{(\w+)\}", r"%(\1)s", error.template), dict(error.params))
