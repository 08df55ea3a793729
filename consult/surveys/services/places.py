"""Places: whom a survey at a place reaches, where a person acts on it, the place a form names.

The audience of a survey at a place is everyone holding the audience's role at that
place, at a place above it, or at a place inside it (a sub-district survey reaches the
residents of every residential area). Kept apart because building, answering, results
and the ratings built on surveys all ask it.
"""

from __future__ import annotations

from sqlalchemy import func, literal, or_
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.communities.models import (
    Home,
    HomeOwner,
    Place,
    RoleAssignment,
)
from consult.db.ids import parse_id
from consult.errors import Forbidden
from consult.permissions import Actor
from consult.surveys import rules
from consult.surveys.models import Survey


def in_scope(place: Place):
    """SQL condition: a place on ``place``'s path (its path is a prefix of ours) or inside it."""
    return or_(literal(place.path).startswith(Place.path), Place.path.startswith(place.path))


def acting_path(db: Session, actor: Actor, role: str, place: Place) -> tuple[int, ...]:
    """The place path at which ``actor`` acts with ``role`` on something scoped to ``place``.

    That is ``place``'s own path when the role is held on it; otherwise the path of a
    place inside ``place`` where the actor holds the role (a resident of 恒丰 answering
    a sub-district survey acts at 恒丰). Permission checks use this path.
    """
    path = place.ids_from_root
    if actor.holds({role}, path):
        return path
    ids = [p for r, p in actor.roles if r == role]
    if ids:
        inside = db.exec(select(Place).where(Place.id.in_(ids), Place.path.startswith(place.path))
                         .order_by(Place.path)).first()
        if inside is not None:
            return inside.ids_from_root
    return path


def _homes_under(place: Place):
    under = select(Place.id).where(Place.path.startswith(place.path))
    return or_(Home.estate_id.in_(under), Home.building_group_id.in_(under))


def audience_size(db: Session, survey: Survey, place: Place) -> int:
    """How many can answer: homes (not developer stock) for owners, people otherwise."""
    if survey.audience == "owners":
        return db.exec(select(func.count()).select_from(Home).where(
            _homes_under(place), Home.developer_held.is_(False))).one()
    role = rules.AUDIENCE_ROLE[survey.audience]
    return db.exec(
        select(func.count(func.distinct(RoleAssignment.user_id)))
        .join(Place, Place.id == RoleAssignment.place_id)
        .where(RoleAssignment.role == role, in_scope(place))
    ).one()


def audience_members(db: Session, survey: Survey, place: Place) -> set[int]:
    """The accounts the survey is addressed to: those holding its audience's role in
    scope, or, for owners, the accounts linked to an owner of a home under the place."""
    if survey.audience == "owners":
        return set(db.exec(select(HomeOwner.user_id).join(Home, Home.id == HomeOwner.home_id).where(
            HomeOwner.user_id.is_not(None), _homes_under(place), Home.developer_held.is_(False))).all())
    role = rules.AUDIENCE_ROLE[survey.audience]
    return set(db.exec(select(RoleAssignment.user_id).join(Place, Place.id == RoleAssignment.place_id)
                       .where(RoleAssignment.role == role, in_scope(place))).all())


def _require(actor: Actor, action: str, place: Place) -> None:
    if not permissions.allowed(action, actor, place.ids_from_root):
        raise Forbidden()


def _place(db: Session, place_id) -> Place | None:
    number = parse_id(place_id)
    return None if number is None else db.get(Place, number)
