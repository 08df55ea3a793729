"""What every elections service needs: the limits, the election looked up by id with its
estate, the permission and lifecycle checks, the frozen register and the owners' keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session
from sqlmodel import select

from consult import owners, permissions, secrecy
from consult.communities.models import Place
from consult.elections import rules
from consult.elections.models import ElectionBallot, OwnerElection, OwnerElectionRegister
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, NotSignedIn
from consult.i18n import N_, Msg
from consult.permissions import Actor

#: Ballots in these states are counted; the others hold the owner's place only.
COUNTED = ("final", "confirmed")
MAX_TITLE = 120
MAX_DESCRIPTION = 5000
MAX_NAME = 80
MAX_STATEMENT = 1000
MAX_FIELD = 40


def get_estate(db: Session, estate_id: int) -> Place:
    estate = db.get(Place, estate_id)
    if estate is None or estate.kind != "estate":
        raise NotFound()
    return estate


def get_election(db: Session, election_id: int) -> tuple[OwnerElection, Place]:
    election = db.get(OwnerElection, election_id)
    if election is None:
        raise NotFound()
    return election, get_estate(db, election.estate_id)


def state_of(election: OwnerElection, now: datetime) -> rules.ElectionState:
    return rules.election_state(election.opens_at, election.closes_at, now)


def may(action: str, actor: Actor, estate: Place) -> bool:
    return permissions.allowed(action, actor, estate.ids_from_root)


def check(action: str, actor: Actor, estate: Place) -> None:
    if not may(action, actor, estate):
        raise Forbidden() if actor.authenticated else NotSignedIn()


def candidate_fields(name: str, statement: str) -> tuple[str, str]:
    """A candidate's name and short statement, trimmed, or the fields' errors."""
    errors: dict[str, Msg] = {}
    name, statement = name.strip(), statement.strip()
    if not name or not name.isprintable():
        errors["name"] = Msg(N_("Please give the candidate's name."))
    elif len(name) > MAX_NAME:
        errors["name"] = Msg(N_("At most %(max)s characters."), {"max": MAX_NAME})
    if len(statement) > MAX_STATEMENT:
        errors["statement"] = Msg(N_("At most %(max)s characters."), {"max": MAX_STATEMENT})
    if errors:
        raise FieldErrors(errors)
    return name, statement


def chosen_candidates(valid: set[str], chosen, seats: int) -> str:
    """A ballot's approved candidates, checked against the ballot paper (``valid`` ids), as
    stored: ascending ids separated by ``;``."""
    picked = [str(c).strip() for c in chosen if str(c).strip()]
    if any(c not in valid for c in picked):
        raise FieldErrors({"candidates": Msg(N_("Please choose only candidates on this ballot."))})
    if len(set(picked)) != len(picked):
        raise FieldErrors({"candidates": Msg(N_("A candidate was chosen twice."))})
    if len(picked) > seats:
        raise FieldErrors({"candidates": Msg(
            N_("You may approve at most %(seats)s candidates; %(count)s were chosen."),
            {"seats": seats, "count": len(picked)})})
    return ";".join(sorted(picked, key=int))


REFUSED_IN = {
    rules.ElectionState.SCHEDULED: (N_("Voting has not opened yet."), "not_open"),
    rules.ElectionState.OPEN: (N_("This cannot be done while voting is open."), "voting_open"),
    rules.ElectionState.CLOSED: (N_("Voting has closed."), "closed"),
}


def must_allow(action: str, election: OwnerElection, now: datetime) -> rules.ElectionState:
    """Refuse unless the election's state allows ``action`` (``rules.ELECTION_ACTIONS``)."""
    state = state_of(election, now)
    if not rules.allows(action, state):
        message, code = REFUSED_IN[state]
        if action == "view_result" or action == "export_ballots":
            message, code = N_("The result is published when voting closes."), "not_closed"
        raise Conflict(message, code=code)
    return state


@lru_cache(maxsize=16)
def _parsed_register(text: str) -> tuple:
    return tuple(owners.parse_homes_csv(text))


def register_text(db: Session, election: OwnerElection) -> str:
    return db.exec(select(OwnerElectionRegister.homes_csv)
                   .where(OwnerElectionRegister.election_id == election.id)).one()


def election_homes(db: Session, election: OwnerElection) -> tuple:
    """The register this election is counted against (its frozen copy), as ``owners.Home``."""
    return _parsed_register(register_text(db, election))


def voter_key(election_id: int, owner) -> str:
    """The key of ``owner``'s ballot (an owners' owner key) in this election."""
    return secrecy.hmac_hex(secrecy.ballot_key(),
                            rules.voter_message(election_id, owners.owner_digest(owner)))


@dataclass(frozen=True)
class Register:
    """The frozen register with each owner's holding and ballot key, computed once."""

    homes: tuple
    holdings: dict
    owner_of: dict
    key_of: dict
    owner_by_key: dict

    def home(self, code: str):
        return next((h for h in self.homes if h.home_id == code.strip()), None)


@lru_cache(maxsize=16)
def _register(election_id: int, text: str, key: bytes) -> Register:
    homes = _parsed_register(text)
    holdings = owners.holdings(homes)
    key_of = {owner: voter_key(election_id, owner) for owner in holdings}
    return Register(homes, holdings, owners.owner_of_home(homes), key_of,
                    {k: owner for owner, k in key_of.items()})


def election_register(db: Session, election: OwnerElection) -> Register:
    return _register(election.id, register_text(db, election), secrecy.ballot_key())


def active_ballots(db: Session, election: OwnerElection) -> list[ElectionBallot]:
    return list(db.exec(select(ElectionBallot).where(
        ElectionBallot.election_id == election.id, ElectionBallot.active.is_(True))).all())
