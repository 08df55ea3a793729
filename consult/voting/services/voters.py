"""Who votes: the voter an account votes as in a round, a resident's place and building group.

A voter is a key (``consult.voting.secrecy``): an account's, or a home's when owners of
record vote, one ballot per home. The label is for the voter or staff and is never
shown with choices.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.accounts.models import User
from consult.communities.models import Home, HomeOwner, Place, VerificationRequest
from consult.errors import FieldErrors, Forbidden, NotSignedIn
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.voting import secrecy
from consult.voting.services.rounds import VoteRound

# -- who votes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Voter:
    """Who a ballot belongs to; ``label`` is for the voter or staff, never shown with choices."""

    key: str
    user_id: int | None
    area_id: int | None
    building_group_id: int | None
    label: str = ""
    home_id: int | None = None


def _area_id(place: Place) -> int | None:
    ids = place.ids_from_root
    if place.kind == "area":
        return place.id
    return ids[1] if len(ids) > 1 else None


def resident_place(db: Session, actor: Actor, scope: Place, action: str) -> Place | None:
    """A place where the actor is a resident that lies in (or contains) ``scope``, if allowed."""
    ids = [place for role, place in actor.roles if role == "resident"]
    if not ids:
        return None
    if scope.id in ids and permissions.allowed(action, actor, scope.ids_from_root):
        return scope  # the usual case, a resident of the round's own area: no query
    for place in db.exec(select(Place).where(Place.id.in_(ids)).order_by(Place.path)).all():
        related = place.path.startswith(scope.path) or scope.path.startswith(place.path)
        if related and permissions.allowed(action, actor, place.ids_from_root):
            return place
    return None


_VERIFICATION = VerificationRequest.__table__


def _approved_group(user: str, area: str | None):
    """The building group a resident gave when verified (the latest approved request), in
    the area bound to ``area`` (any area when None); the user bound to ``user``."""
    query = core_select(_VERIFICATION.c.building_group_id).where(
        _VERIFICATION.c.user_id == bindparam(user), _VERIFICATION.c.status == "approved",
        _VERIFICATION.c.building_group_id.is_not(None))
    if area is not None:
        query = query.where(_VERIFICATION.c.area_id == bindparam(area))
    return query.order_by(_VERIFICATION.c.id.desc()).limit(1)


_APPROVED_GROUP = _approved_group("user_id", None)
_APPROVED_GROUP_IN_AREA = _approved_group("user_id", "area_id")
#: the same as a value in the statement that stores it (a web ballot's insert, which then
#: needs no statement of its own for it), by "is the area known"; its parameters are
#: ``group_user`` and ``group_area`` (see :func:`group_params`), names no column has
RESIDENT_GROUP = {False: _approved_group("group_user", None).scalar_subquery(),
                  True: _approved_group("group_user", "group_area").scalar_subquery()}


def group_params(voter: Voter) -> dict:
    """The parameters of ``RESIDENT_GROUP[voter.area_id is not None]`` for a resident voter."""
    params = {"group_user": voter.user_id}
    if voter.area_id is not None:
        params["group_area"] = voter.area_id
    return params


def _building_group(db: Session, user_id: int, area_id: int | None) -> int | None:
    """The building group a resident gave when verified (the latest approved request)."""
    if area_id is None:
        return db.execute(_APPROVED_GROUP, {"user_id": user_id}).scalar()
    return db.execute(_APPROVED_GROUP_IN_AREA, {"user_id": user_id, "area_id": area_id}).scalar()


def voter_homes(db: Session, actor: Actor, user_id: int, scope: Place) -> list[tuple[Home, Place]]:
    """Homes in ``scope`` of which the user is an owner of record and may vote for."""
    rows = db.exec(select(Home, Place).join(HomeOwner, HomeOwner.home_id == Home.id)
                   .join(Place, Place.id == Home.estate_id)
                   .where(HomeOwner.user_id == user_id, Place.path.startswith(scope.path))
                   .order_by(Home.id)).all()
    return [(home, estate) for home, estate in rows
            if permissions.allowed("vote_for_home", actor, estate.ids_from_root)]


FAMILY_MAY_NOT_VOTE = N_("This vote does not allow family members to vote for a resident. The resident votes themselves, online, at the desk or on paper.")
FAMILY_NO_OWNERS = N_("Family members cannot vote in an owners' vote. An owner who cannot vote signs a written proxy (委托书).")


def not_eligible_message(vr: VoteRound) -> Msg:
    if vr.settings.eligibility == "owners":
        return Msg(N_("Only owners of record of a home in %(place)s can vote in this round, one ballot per home."),
                   {"place": vr.scope.name})
    return Msg(N_("Only verified residents of %(place)s can vote in this round. Ask to be verified first."),
               {"place": vr.scope.name})


def voter_for(db: Session, actor: Actor, user: User | None, vr: VoteRound,
              home_id: object = None, *, group: bool = True) -> Voter:
    """The voter this account votes as in this round, or a clear refusal.

    ``group=False``: a resident's building group is not read (``building_group_id`` is
    None); the caller reads it in the statement that stores it (``RESIDENT_GROUP``)."""
    if user is None or not actor.authenticated:
        raise NotSignedIn()
    if actor.helper == "family" and not permissions.may_cast_vote(
            actor, vr.scope.ids_from_root, state="open", eligibility=vr.settings.eligibility,
            assisted_voting=vr.settings.assisted_voting):
        raise Forbidden(FAMILY_MAY_NOT_VOTE if vr.settings.eligibility == "residents" else FAMILY_NO_OWNERS,
                        code="no_assisted_voting")
    if vr.settings.eligibility == "owners":
        homes = voter_homes(db, actor, user.id, vr.scope)
        if not homes:
            raise Forbidden(not_eligible_message(vr), code="not_eligible")
        chosen = homes[0]
        if home_id not in (None, ""):
            chosen = next((h for h in homes if str(h[0].id) == str(home_id)), None)
            if chosen is None:
                raise FieldErrors({"home": Msg(N_("Please choose one of your homes."))})
        home, estate = chosen
        return Voter(secrecy.home_key(vr.id, home.id), user.id, _area_id(estate), home.building_group_id,
                     f"{estate.name} {home.code}", home.id)
    action = permissions.vote_action(actor, eligibility=vr.settings.eligibility,
                                     assisted_voting=vr.settings.assisted_voting)
    place = resident_place(db, actor, vr.scope, action)
    if place is None:
        raise Forbidden(not_eligible_message(vr), code="not_eligible")
    area = _area_id(place)
    return Voter(secrecy.user_key(vr.id, user.id), user.id, area,
                 _building_group(db, user.id, area) if group else None, user.display_name)
