"""Telling the voters (issue 17 item 5): a vote round that is open, and one closing soon.

Run from the daily command (``python -m consult finalize-due``) with its ``now``. Each
person in a round's audience hears once that it is open and once that it closes soon
(the notifications' ``notice_sent`` marker: running again tells nobody twice); a resident
who has already voted is not reminded. The audience: for a residents' round, everyone
holding the resident role on the round's place, a place above it or one inside it (as
``voters.resident_place`` lets them vote); for a round of owners of record, the accounts
linked to an owner of a home in the round's place.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import literal, or_
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock
from consult.communities.models import Home, HomeOwner, Place, RoleAssignment
from consult.notifications import services as notifications
from consult.voting import secrecy
from consult.voting.models import Ballot
from consult.voting.services.rounds import VoteRound, vote_rounds

#: a round closing within this is "closing soon"; two days, so a daily run never misses one
CLOSING_SOON = timedelta(days=2)


def audience(db: Session, vr: VoteRound) -> set[int]:
    """The accounts that may vote in the round (as its eligibility setting says)."""
    scope = vr.scope
    if vr.settings.eligibility == "owners":
        under = select(Place.id).where(Place.path.startswith(scope.path))
        return set(db.exec(select(HomeOwner.user_id).join(Home, Home.id == HomeOwner.home_id)
                           .where(HomeOwner.user_id.is_not(None),
                                  or_(Home.estate_id.in_(under), Home.building_group_id.in_(under)))).all())
    related = or_(literal(scope.path).startswith(Place.path), Place.path.startswith(scope.path))
    return set(db.exec(select(RoleAssignment.user_id).join(Place, Place.id == RoleAssignment.place_id)
                       .where(RoleAssignment.role == "resident", related)).all())


def _not_voted(db: Session, vr: VoteRound, user_ids: set[int]) -> set[int]:
    """Those of ``user_ids`` with no ballot of their own yet (a home's ballot is the
    home's: owners are all reminded)."""
    if vr.settings.eligibility == "owners":
        return user_ids
    keys = {secrecy.user_key(vr.id, user_id): user_id for user_id in user_ids}
    cast = set(db.exec(select(Ballot.voter_key).where(Ballot.round_id == vr.id)).all())
    return {user_id for key, user_id in keys.items() if key not in cast}


def tell_voters(db: Session, now: datetime) -> dict[str, int]:
    """Tell each open round's audience it is open, and, near its close, that it closes
    soon: how many were told of each (``vote_opened``, ``vote_closing_soon``)."""
    told = {"vote_opened": 0, "vote_closing_soon": 0}
    for summary in vote_rounds(db, now):
        vr = summary.vr
        if vr.state != "open":
            continue
        people = audience(db, vr)
        if not people:
            continue
        subject, link = f"round:{vr.id}", f"/rounds/{vr.id}/vote"
        told["vote_opened"] += notifications.notify_once(
            db, user_ids=people, kind="vote_opened", subject=subject,
            params={"title": vr.consultation.title}, link=link, now=now)
        if vr.round.closes_at - now <= CLOSING_SOON:
            closes = clock.to_local(vr.round.closes_at).strftime("%Y-%m-%d %H:%M")
            told["vote_closing_soon"] += notifications.notify_once(
                db, user_ids=_not_voted(db, vr, people), kind="vote_closing_soon", subject=subject,
                params={"title": vr.consultation.title, "closes": closes}, link=link, now=now)
    return told
