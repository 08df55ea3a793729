"""Counting a matter through the recount command's own functions (:mod:`consult.owners.register`
then :func:`consult.owners.rules.tally`), fed from the database: the turnout while voting
is open, the result and the counted ballots once it has closed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.communities.models import Place
from consult.errors import Conflict
from consult.i18n import N_
from consult.owners import register, rules
from consult.owners.models import OwnerBallot, OwnerMatter, OwnerMatterRegister
from consult.owners.services.common import COUNTED, _check, get_matter, state_of
from consult.permissions import Actor


@lru_cache(maxsize=16)
def _parsed_register(text: str) -> tuple[rules.Home, ...]:
    return tuple(register.parse_homes_csv(text))


def matter_homes(db: Session, matter: OwnerMatter) -> tuple[rules.Home, ...]:
    """The register this matter is counted against (its frozen copy)."""
    text = db.exec(select(OwnerMatterRegister.homes_csv)
                   .where(OwnerMatterRegister.matter_id == matter.id)).one()
    return _parsed_register(text)


def matter_register_csv(db: Session, actor: Actor, matter_id: int) -> tuple[OwnerMatter, str]:
    matter, estate = get_matter(db, matter_id)
    _check("manage_owner_register", actor, estate)
    text = db.exec(select(OwnerMatterRegister.homes_csv)
                   .where(OwnerMatterRegister.matter_id == matter.id)).one()
    return matter, text


def counted_ballots(db: Session, matter: OwnerMatter) -> list[tuple[str, str, str]]:
    """(home_id, choice, channel) of every ballot that counts, in the order cast."""
    return [tuple(row) for row in db.exec(
        select(OwnerBallot.home_code, OwnerBallot.choice, OwnerBallot.channel)
        .where(OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
               OwnerBallot.status.in_(COUNTED)).order_by(OwnerBallot.id)).all()]


def count(homes: Sequence[rules.Home], ballots: Sequence[tuple[str, str, str]],
          kind: str) -> rules.Outcome:
    """The recount command's own path: ballot rows are read as ``ballots.csv`` lines."""
    rows = [(1, list(register.BALLOT_COLUMNS))]
    rows += [(line, list(ballot)) for line, ballot in enumerate(ballots, start=2)]
    parsed = register.parse_ballot_rows(rows, homes)
    return rules.tally(homes, register.choices(parsed), kind)


def outcome(db: Session, matter: OwnerMatter) -> rules.Outcome:
    return count(matter_homes(db, matter), counted_ballots(db, matter), matter.kind)


class Turnout:
    """Who has voted so far, by area and by heads, but never how: choices stay
    sealed until the close.  ``uncounted`` are paper ballots awaiting keying."""

    def __init__(self, count: rules.Outcome, uncounted: int):
        self._count = count
        self.uncounted = uncounted

    area_total = property(lambda self: self._count.area_total)
    owners_total = property(lambda self: self._count.owners_total)
    area_voted = property(lambda self: self._count.area_voted)
    owners_voted = property(lambda self: self._count.owners_voted)
    area_turnout = property(lambda self: self._count.area_turnout)
    owners_turnout = property(lambda self: self._count.owners_turnout)
    quorum_met = property(lambda self: self._count.quorum_met)


def turnout(db: Session, actor: Actor, matter_id: int) -> tuple[OwnerMatter, Place, Turnout]:
    matter, estate = get_matter(db, matter_id)
    _check("view_owner_turnout", actor, estate)
    result = outcome(db, matter)
    uncounted = db.exec(select(func.count()).select_from(OwnerBallot).where(
        OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
        OwnerBallot.status.not_in(COUNTED))).one()
    return matter, estate, Turnout(result, uncounted)


def result(db: Session, matter_id: int, now: datetime) -> tuple[OwnerMatter, Place, rules.Outcome]:
    """The full count, published once voting has closed (public, like the notice board)."""
    matter, estate = get_matter(db, matter_id)
    if not rules.result_published(state_of(matter, now)):
        raise Conflict(N_("The result is published when voting closes."), code="not_closed")
    return matter, estate, outcome(db, matter)


def ballots_csv(db: Session, actor: Actor, matter_id: int, now: datetime) -> tuple[OwnerMatter, str]:
    """The counted ballots in the recount command's ``ballots.csv`` format, after close."""
    matter, estate = get_matter(db, matter_id)
    _check("manage_owner_register", actor, estate)
    if not rules.result_published(state_of(matter, now)):
        raise Conflict(N_("The ballots can be exported when voting closes."), code="not_closed")
    return matter, register.format_ballots_csv(counted_ballots(db, matter))
