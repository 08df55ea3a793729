"""Nominations of residents' committee candidates: a candidate goes on the list only
nominated by at least ``nominations_voters`` registered voters of the election, or by at
least ``nominations_households`` household representatives (each voter, or household,
counted once). Staff record the nomination with its nominators' register numbers."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import select

from consult.audit import services as audit
from consult.db.ids import parse_count
from consult.elections import rules
from consult.elections.models import ResidentCandidate, ResidentNominator, ResidentVoter
from consult.elections.services.common import candidate_fields, check
from consult.elections.services.residents import allow_resident, get_resident_election
from consult.errors import Conflict, FieldErrors
from consult.i18n import N_, Msg
from consult.permissions import Actor

MAX_LISTED = 500


def _numbers(nominators) -> list[str]:
    if isinstance(nominators, str):
        return [n for n in re.split(r"[\s,，、;；]+", nominators) if n]
    return [str(n).strip() for n in nominators or () if str(n).strip()]


def add_resident_candidate(db: Session, actor: Actor, election_id: int, *, name: str,
                           statement: str, nominators, by: str = "voters",
                           now: datetime) -> ResidentCandidate:
    """Record a nomination: ``nominators`` are register numbers (a list, or text separated
    by spaces or commas); below the election's threshold nothing is recorded."""
    election, area = get_resident_election(db, election_id)
    check("manage_resident_election", actor, area)
    allow_resident("edit_candidates", election, now)
    if election.candidates_published_at is not None:
        raise Conflict(N_("The final list of candidates has been published."), code="list_published")
    name, statement = candidate_fields(name, statement)
    if by not in {b.value for b in rules.NominatedBy}:
        raise FieldErrors({"by": Msg(N_("Please say who nominated the candidate: voters or household representatives."))})
    numbers = _numbers(nominators)
    if len(numbers) > MAX_LISTED:
        raise FieldErrors({"nominators": Msg(N_("At most %(max)s nominators."), {"max": MAX_LISTED})})
    ids = {parse_count(n) for n in numbers}
    entries = {v.id: v for v in db.exec(select(ResidentVoter).where(
        ResidentVoter.election_id == election.id, ResidentVoter.removed_at.is_(None),
        ResidentVoter.id.in_([i for i in ids if i]))).all()} if ids else {}
    unknown = [n for n in numbers if parse_count(n) not in entries]
    if unknown:
        raise FieldErrors({"nominators": Msg(
            N_("Not on this election's voter register: %(numbers)s. Nominators must be registered voters."),
            {"numbers": "、".join(dict.fromkeys(unknown))})})
    counted = rules.nominator_count(by, [(v.id, v.household) for v in entries.values()])
    needed = (election.nominations_households if by == rules.NominatedBy.HOUSEHOLDS
              else election.nominations_voters)
    if counted < needed:
        message = (N_("A nomination needs at least %(needed)s household representatives (different households); this one has %(counted)s.")
                   if by == rules.NominatedBy.HOUSEHOLDS else
                   N_("A nomination needs at least %(needed)s registered voters; this one has %(counted)s."))
        raise FieldErrors({"nominators": Msg(message, {"needed": needed, "counted": counted})})
    candidate = ResidentCandidate(election_id=election.id, name=name, statement=statement,
                                  nominated_by=by, created_at=now)
    db.add(candidate)
    db.flush()
    for voter_id in sorted(entries):
        db.add(ResidentNominator(candidate_id=candidate.id, voter_id=voter_id))
    audit.record(db, actor_id=actor.user_id, action="nominate_resident_candidate",
                 target_type="resident_election", target_id=election.id, place_id=area.id,
                 candidate=candidate.id, by=by, nominators=counted)
    db.flush()
    return candidate


def nominators_of(db: Session, candidate: ResidentCandidate) -> list[ResidentVoter]:
    return list(db.exec(select(ResidentVoter).join(
        ResidentNominator, ResidentNominator.voter_id == ResidentVoter.id).where(
        ResidentNominator.candidate_id == candidate.id).order_by(ResidentVoter.id)).all())
