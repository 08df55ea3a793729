"""Elections and their candidates: calling an election with a copy of the register, the
list of an estate's elections, candidates with a statement and a photo (until voting
opens), and refreshing the register copy until then."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session
from sqlmodel import select

from consult import owners
from consult.audit import services as audit
from consult.communities.models import Place
from consult.db.ids import parse_count
from consult.elections import rules
from consult.elections.models import ElectionCandidate, OwnerElection, OwnerElectionRegister
from consult.elections.services.common import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    candidate_fields,
    check,
    get_election,
    must_allow,
)
from consult.errors import Conflict, FieldErrors, NotFound
from consult.i18n import N_, Msg
from consult.parsing import parse_local_datetime
from consult.permissions import Actor


def elections_of(db: Session, estate: Place) -> list[OwnerElection]:
    return list(db.exec(select(OwnerElection).where(OwnerElection.estate_id == estate.id)
                        .order_by(OwnerElection.opens_at.desc(), OwnerElection.id.desc())).all())


def candidates_of(db: Session, election: OwnerElection) -> list[ElectionCandidate]:
    return list(db.exec(select(ElectionCandidate).where(ElectionCandidate.election_id == election.id)
                        .order_by(ElectionCandidate.id)).all())


def _when(value) -> datetime | None:
    return value if isinstance(value, datetime) else parse_local_datetime(value)


def create_election(db: Session, actor: Actor, estate: Place, *, title: str, description: str,
                    seats: str | int, rank: str, opens_at, closes_at, paper_double_key: bool,
                    now: datetime) -> OwnerElection:
    """Call an owners' committee election, counted against a copy of today's register."""
    check("manage_owner_election", actor, estate)
    errors: dict[str, Msg] = {}
    title, description = title.strip(), description.strip()
    if not title:
        errors["title"] = Msg(N_("Please give the election a title."))
    elif len(title) > MAX_TITLE:
        errors["title"] = Msg(N_("At most %(max)s characters."), {"max": MAX_TITLE})
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = Msg(N_("At most %(max)s characters."), {"max": MAX_DESCRIPTION})
    number = seats if isinstance(seats, int) and not isinstance(seats, bool) else parse_count(seats)
    if number is None or not rules.MIN_SEATS <= number <= rules.MAX_SEATS:
        errors["seats"] = Msg(N_("Please give the number of seats, a whole number from 1 to 99 (owners' committees usually have 5 to 11)."))
    if rank not in {r.value for r in rules.Rank}:
        errors["rank"] = Msg(N_("Please choose how passed candidates are ranked."))
    opens, closes = _when(opens_at), _when(closes_at)
    if opens is None:
        errors["opens_at"] = Msg(N_("Please give a date and time."))
    if closes is None:
        errors["closes_at"] = Msg(N_("Please give a date and time."))
    elif opens is not None and closes <= opens:
        errors["closes_at"] = Msg(N_("Voting must close after it opens."))
    elif closes <= now:
        errors["closes_at"] = Msg(N_("The closing time has already passed."))
    if errors:
        raise FieldErrors(errors)
    homes = owners.estate_homes(db, estate)
    if not homes:
        raise Conflict(N_("Import the estate's home register before calling an election."),
                       code="no_register")
    election = OwnerElection(estate_id=estate.id, title=title, description=description,
                             seats=number, rank=rank, opens_at=opens, closes_at=closes,
                             paper_double_key=paper_double_key, created_by=actor.user_id,
                             created_at=now)
    db.add(election)
    db.flush()
    db.add(OwnerElectionRegister(election_id=election.id, homes_csv=owners.format_homes_csv(homes),
                                 taken_at=now))
    audit.record(db, actor_id=actor.user_id, action="create_owner_election",
                 target_type="owner_election", target_id=election.id, place_id=estate.id,
                 title=title, seats=number, rank=rank)
    db.flush()
    return election


def refresh_register(db: Session, actor: Actor, election_id: int, *, now: datetime) -> OwnerElection:
    """Take a new copy of the estate's register, until voting opens."""
    election, estate = get_election(db, election_id)
    check("manage_owner_election", actor, estate)
    must_allow("edit_candidates", election, now)
    homes = owners.estate_homes(db, estate)
    if not homes:
        raise Conflict(N_("Import the estate's home register before calling an election."),
                       code="no_register")
    copy = db.get(OwnerElectionRegister, election.id)
    copy.homes_csv, copy.taken_at = owners.format_homes_csv(homes), now
    db.add(copy)
    audit.record(db, actor_id=actor.user_id, action="refresh_owner_election_register",
                 target_type="owner_election", target_id=election.id, place_id=estate.id)
    db.flush()
    return election


def _photo(data: bytes, media_dir: Path | None) -> str | None:
    if not data:
        return None
    from consult.media.images import ImageError, process_upload, store

    try:
        processed = process_upload(data)
    except ImageError:
        raise FieldErrors({"photo": Msg(N_("This file could not be used as a photo. Please choose a JPEG, PNG, WebP or GIF picture of at most 10 MB."))}) from None
    return store(processed, media_dir) if media_dir is not None else None


def add_candidate(db: Session, actor: Actor, election_id: int, *, name: str, statement: str,
                  photo: bytes = b"", media_dir: Path | None = None,
                  now: datetime) -> ElectionCandidate:
    """Put a candidate on the ballot paper, until voting opens."""
    election, estate = get_election(db, election_id)
    check("manage_owner_election", actor, estate)
    must_allow("edit_candidates", election, now)
    name, statement = candidate_fields(name, statement)
    key = _photo(photo, media_dir)
    candidate = ElectionCandidate(election_id=election.id, name=name, statement=statement,
                                  photo=key, created_at=now)
    db.add(candidate)
    db.flush()
    audit.record(db, actor_id=actor.user_id, action="add_election_candidate",
                 target_type="owner_election", target_id=election.id, place_id=estate.id,
                 candidate=candidate.id, name=name)
    return candidate


def candidate_election(db: Session, candidate_id: int) -> int:
    candidate = db.get(ElectionCandidate, candidate_id)
    if candidate is None:
        raise NotFound()
    return candidate.election_id


def remove_candidate(db: Session, actor: Actor, candidate_id: int, *, now: datetime) -> OwnerElection:
    candidate = db.get(ElectionCandidate, candidate_id)
    if candidate is None:
        raise NotFound()
    election, estate = get_election(db, candidate.election_id)
    check("manage_owner_election", actor, estate)
    must_allow("edit_candidates", election, now)
    audit.record(db, actor_id=actor.user_id, action="remove_election_candidate",
                 target_type="owner_election", target_id=election.id, place_id=estate.id,
                 candidate=candidate.id, name=candidate.name)
    db.delete(candidate)
    db.flush()
    return election
