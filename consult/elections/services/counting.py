"""Counting an election through the recount command's own functions
(:func:`consult.elections.cli.committee_result`), fed from the database: the live gauge
against the 2/3 lines, the door-to-door list of homes not yet voted, the result once voting
has closed and the exports of the register and the ballots."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy.orm import Session

from consult import owners
from consult.elections import cli, files, rules
from consult.elections.models import ElectionBallot, OwnerElection
from consult.elections.services.common import (
    COUNTED,
    Register,
    active_ballots,
    check,
    election_register,
    get_election,
    must_allow,
    register_text,
)
from consult.elections.services.elections import candidates_of
from consult.permissions import Actor


def _needed(total: int) -> int:
    """The least whole amount that is two thirds or more of ``total``."""
    return -(-total * rules.QUORUM.numerator // rules.QUORUM.denominator)


@dataclass(frozen=True)
class Gauge:
    """Who has taken part so far, by area and by heads, against the 2/3 lines; never how."""

    area_total_cents: int
    owners_total: int
    area_voted_cents: int
    owners_voted: int
    #: paper ballots handed in but not yet counted (awaiting the second keying, or disputed)
    uncounted: int

    @property
    def area_needed_cents(self) -> int:
        return _needed(self.area_total_cents)

    @property
    def owners_needed(self) -> int:
        return _needed(self.owners_total)

    @property
    def area_missing_cents(self) -> int:
        return max(0, self.area_needed_cents - self.area_voted_cents)

    @property
    def owners_missing(self) -> int:
        return max(0, self.owners_needed - self.owners_voted)

    @property
    def area_turnout(self) -> Fraction:
        return Fraction(self.area_voted_cents, self.area_total_cents)

    @property
    def owners_turnout(self) -> Fraction:
        return Fraction(self.owners_voted, self.owners_total)

    @property
    def quorum_met(self) -> bool:
        return self.area_missing_cents == 0 and self.owners_missing == 0


def _figures(register: Register, ballots: list[ElectionBallot]) -> tuple[Gauge, set]:
    """The gauge, and the owners who have handed in any ballot (counted or not)."""
    counted = {register.owner_by_key[b.voter_key] for b in ballots
               if b.status in COUNTED and b.voter_key in register.owner_by_key}
    handed = {register.owner_by_key[b.voter_key] for b in ballots if b.voter_key in register.owner_by_key}
    return Gauge(area_total_cents=sum(h.area_cents for h in register.holdings.values()),
                 owners_total=len(register.holdings),
                 area_voted_cents=sum(register.holdings[o].area_cents for o in counted),
                 owners_voted=len(counted), uncounted=len(handed - counted)), handed


def gauge(db: Session, actor: Actor, election_id: int, now: datetime
          ) -> tuple[OwnerElection, object, Gauge]:
    election, estate = get_election(db, election_id)
    check("view_owner_election_gauge", actor, estate)
    must_allow("view_gauge", election, now)
    figures, _ = _figures(election_register(db, election), active_ballots(db, election))
    return election, estate, figures


@dataclass(frozen=True)
class DoorStop:
    """One owner not yet voted: their homes (building, room) and area; no names."""

    homes: tuple
    area_cents: int
    developer: bool


def door_to_door(db: Session, actor: Actor, election_id: int, now: datetime
                 ) -> tuple[OwnerElection, object, dict[str, list[DoorStop]], Gauge]:
    """The owners who have handed in no ballot, grouped by the building of their first
    home, buildings and rooms in register order; for the mobile ballot box (流动票箱)."""
    election, estate = get_election(db, election_id)
    check("view_door_to_door", actor, estate)
    must_allow("view_door_to_door", election, now)
    register = election_register(db, election)
    current, handed = _figures(register, active_ballots(db, election))
    by_home = {h.home_id: h for h in register.homes}
    groups: dict[str, list[DoorStop]] = {}
    for owner, holding in register.holdings.items():
        if owner in handed:
            continue
        homes = tuple(by_home[i] for i in holding.home_ids)
        groups.setdefault(homes[0].building, []).append(
            DoorStop(homes, holding.area_cents, owner is owners.DEVELOPER))
    return election, estate, groups, current


def _rows(db: Session, election: OwnerElection, register: Register) -> list[files.Row]:
    """The counted ballots as ``ballots.csv`` rows, each through its owner's first home,
    in a fresh random order (the stored order says nothing either)."""
    ballots = [b for b in active_ballots(db, election) if b.status in COUNTED]
    random.SystemRandom().shuffle(ballots)
    return files.committee_rows(
        (register.holdings[register.owner_by_key[b.voter_key]].home_ids[0],
         [c for c in b.candidates.split(files.SEPARATOR) if c], b.channel)
        for b in ballots)


def outcome(db: Session, election: OwnerElection) -> rules.CommitteeOutcome:
    register = election_register(db, election)
    return cli.committee_result(register.homes, _rows(db, election, register), election.seats,
                                election.rank, [str(c.id) for c in candidates_of(db, election)])


def result(db: Session, election_id: int, now: datetime):
    """The full count, published once voting has closed (public, like the notice board)."""
    election, estate = get_election(db, election_id)
    must_allow("view_result", election, now)
    return election, estate, outcome(db, election)


def ballots_csv(db: Session, actor: Actor, election_id: int, now: datetime) -> tuple[OwnerElection, str]:
    """The counted ballots in the recount command's ``ballots.csv`` format, after the close,
    shuffled anew each time."""
    election, estate = get_election(db, election_id)
    check("export_owner_election", actor, estate)
    must_allow("export_ballots", election, now)
    return election, files.format_rows(_rows(db, election, election_register(db, election)))


def register_csv(db: Session, actor: Actor, election_id: int, now: datetime) -> tuple[OwnerElection, str]:
    election, estate = get_election(db, election_id)
    check("export_owner_election", actor, estate)
    must_allow("export_register", election, now)
    return election, register_text(db, election)
