"""Paper ballots: keying them (once, or twice by two staff members), disputes and their
decision, and the places of a round's scope that staff enter ballots for.

A sub-district vote is run by the sub-district, but each area's committee enters its
own residents' paper ballots; each entry is checked against the voter's own area. In
double-key mode a ballot counts once another staff member keys the same serial
identically; differing entries wait for a third person's decision.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.audit import services as audit
from consult.communities.models import Home, Place
from consult.consultations import clean_text
from consult.errors import Conflict, FieldErrors, Forbidden
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.voting import rules
from consult.voting.models import Ballot, PaperEntry
from consult.voting.services.ballots import (
    Checked,
    _locked_ballot,
    _replace_choices,
    _set_receipt,
    check,
)
from consult.voting.services.rounds import UNCOUNTED, VoteRound, _scope_path, require_round_action
from consult.voting.services.voters import Voter

# -- paper ballots ------------------------------------------------------------------------


def staff_within(db: Session, actor: Actor | None, vr: VoteRound, action: str) -> bool:
    """May ``actor`` do ``action`` for the round, or for some part of its scope?

    A sub-district vote is run by the sub-district, but each area's committee enters its
    own residents' paper ballots and follows its turnout; each entry is then checked
    against the voter's own area (see ``enter_paper``).
    """
    if actor is None or not actor.authenticated:
        return False
    if permissions.allowed(action, actor, _scope_path(vr)):
        return True
    ids = [place for role, place in actor.roles if role in permissions.STAFF]
    if not ids:
        return False
    inside = db.exec(select(Place).where(Place.id.in_(ids), Place.path.startswith(vr.scope.path))).all()
    return any(permissions.allowed(action, actor, p.ids_from_root) for p in inside)


def _may_enter_paper(actor: Actor, vr: VoteRound, db: Session | None = None) -> None:
    if permissions.allowed("enter_paper_ballot", actor, _scope_path(vr)):
        return
    if db is None or not staff_within(db, actor, vr, "enter_paper_ballot"):
        raise Forbidden()


def _may_act_for(db: Session, actor: Actor, action: str, vr: VoteRound, area_id: int | None) -> bool:
    """``action`` at the round's scope, or at the voter's own area inside it."""
    if permissions.allowed(action, actor, _scope_path(vr)):
        return True
    area = db.get(Place, area_id) if area_id is not None else None
    return area is not None and permissions.allowed(action, actor, area.ids_from_root)


def _canonical(choices: list[rules.Choice]) -> list[list]:
    return sorted([c.idea_id, c.points, c.rank] for c in choices)


def _voted_message(existing: Ballot) -> Msg:
    if existing.channel == "web":
        return Msg(N_("This voter has already voted online. A second ballot cannot be entered."))
    return Msg(N_("A paper ballot (serial %(serial)s) has already been entered for this voter."),
               {"serial": existing.serial or ""})


@dataclass
class PaperResult:
    ballot: Ballot
    status: str
    receipt: str | None


def enter_paper(db: Session, actor: Actor, vr: VoteRound, *, serial: str, voter: Voter,
                raw: rules.RawBallot, now: datetime) -> PaperResult:
    """Key a paper ballot. In double-key mode the first entry waits for a second staff member
    keying the same serial; identical entries count, different ones wait for a moderator."""
    _may_enter_paper(actor, vr, db)
    if not _may_act_for(db, actor, "enter_paper_ballot", vr, voter.area_id):
        raise Forbidden(N_("You can only enter paper ballots of residents of the areas you serve."))
    require_round_action(db, vr, "enter_paper_ballot")
    serial = clean_text(serial).upper()
    if problem := rules.serial_problem(serial):
        raise FieldErrors({"serial": problem})
    checked = check(db, vr, raw)
    canonical = _canonical(checked.choices)
    same_serial = db.exec(select(Ballot).where(Ballot.round_id == vr.id, Ballot.serial == serial)
                          .with_for_update()).first()
    if same_serial is not None:
        return _second_entry(db, actor, vr, same_serial, serial, voter, checked, canonical, now)
    existing = _locked_ballot(db, vr.id, voter.key)
    if existing is not None:
        raise Conflict(_voted_message(existing), code="already_voted")
    day = rules.ballot_day(now)
    ballot = Ballot(round_id=vr.id, voter_key=voter.key, channel="paper",
                    status="pending" if vr.settings.double_key else "counted",
                    area_id=voter.area_id, building_group_id=voter.building_group_id, serial=serial,
                    created_at=day, updated_at=day, entered_by=actor.user_id)
    code = _set_receipt(ballot)
    try:
        with db.begin_nested():
            db.add(ballot)
            db.flush()
    except IntegrityError:  # a colleague keyed the same serial or voter at the same moment
        raise Conflict(N_("This serial number or voter was entered at the same moment by someone else. Please check the list and try again."),
                       code="already_voted") from None
    _replace_choices(db, ballot.id, checked.choices, vr.settings.ballot_kind, new=True)
    db.add(PaperEntry(round_id=vr.id, serial=serial, position=1, voter_key=voter.key,
                      choices=canonical, entered_by=actor.user_id, entered_at=now))
    audit.record(db, actor_id=actor.user_id, action="enter_paper_ballot", target_type="round",
                 target_id=vr.id, place_id=vr.scope.id, serial=serial, entry=1)
    db.flush()
    return PaperResult(ballot, ballot.status, code)


def _second_entry(db: Session, actor: Actor, vr: VoteRound, ballot: Ballot, serial: str,
                  voter: Voter, checked: Checked, canonical: list, now: datetime) -> PaperResult:
    if not vr.settings.double_key or ballot.status != "pending":
        raise FieldErrors({"serial": Msg(N_("Paper ballot %(serial)s has already been entered."),
                                         {"serial": serial})})
    first = db.exec(select(PaperEntry).where(PaperEntry.round_id == vr.id, PaperEntry.serial == serial,
                                             PaperEntry.position == 1)).one()
    if first.entered_by == actor.user_id:
        raise Conflict(N_("The second entry of a paper ballot must be made by another staff member."),
                       code="same_staff")
    try:
        with db.begin_nested():
            db.add(PaperEntry(round_id=vr.id, serial=serial, position=2, voter_key=voter.key,
                              choices=canonical, entered_by=actor.user_id, entered_at=now))
            db.flush()
    except IntegrityError:
        raise FieldErrors({"serial": Msg(N_("Paper ballot %(serial)s has already been entered."),
                                         {"serial": serial})}) from None
    matches = first.voter_key == voter.key and first.choices == canonical
    ballot.status = "counted" if matches else "disputed"
    ballot.updated_at = rules.ballot_day(now)
    db.add(ballot)
    audit.record(db, actor_id=actor.user_id, action="enter_paper_ballot", target_type="round",
                 target_id=vr.id, place_id=vr.scope.id, serial=serial, entry=2, matches=matches)
    db.flush()
    return PaperResult(ballot, ballot.status, None)


@dataclass
class Dispute:
    serial: str
    entries: list[PaperEntry]
    voters_differ: bool


def disputes(db: Session, actor: Actor, vr: VoteRound) -> list[Dispute]:
    """Paper ballots whose two entries differ (two queries)."""
    _may_enter_paper(actor, vr, db)
    serials = list(db.exec(select(Ballot.serial).where(Ballot.round_id == vr.id, UNCOUNTED,
                                                       Ballot.status == "disputed")
                           .order_by(Ballot.serial)).all())
    if not serials:
        return []
    entries = db.exec(select(PaperEntry).where(PaperEntry.round_id == vr.id,
                                               PaperEntry.serial.in_(serials))
                      .order_by(PaperEntry.serial, PaperEntry.position)).all()
    by_serial: dict[str, list[PaperEntry]] = defaultdict(list)
    for entry in entries:
        by_serial[entry.serial].append(entry)
    return [Dispute(s, by_serial[s], len({e.voter_key for e in by_serial[s]}) > 1) for s in serials]


def resolve_dispute(db: Session, actor: Actor, vr: VoteRound, *, serial: str, keep: str,
                    now: datetime) -> Ballot:
    """A moderator, looking at paper ballot ``serial``, says which entry was right.

    Four eyes: neither staff member who keyed the ballot decides about it (each is a party
    to the dispute: one of the two entries is theirs); a third one of the place, or above it, does."""
    if not staff_within(db, actor, vr, "publish_results"):
        raise Forbidden()
    require_round_action(db, vr, "resolve_dispute")
    serial = clean_text(serial).upper()
    ballot = db.exec(select(Ballot).where(Ballot.round_id == vr.id, Ballot.serial == serial)
                     .with_for_update()).first()
    if ballot is not None and not _may_act_for(db, actor, "publish_results", vr, ballot.area_id):
        raise Forbidden()
    if ballot is None or ballot.status != "disputed":
        raise Conflict(N_("Paper ballot %(serial)s is not waiting for a decision."), serial=serial)
    if keep not in ("1", "2"):
        raise FieldErrors({"keep": Msg(N_("Choose the entry that matches the paper ballot."))})
    entries = db.exec(select(PaperEntry).where(PaperEntry.round_id == vr.id, PaperEntry.serial == serial)
                      .order_by(PaperEntry.position)).all()
    if permissions.acting_on_own_request(actor, (e.entered_by for e in entries)):
        raise Forbidden(N_("You keyed this paper ballot, so another moderator must decide which entry is right. Ask a colleague of the area or of the sub-district."),
                        code="own_request")
    entry = next(e for e in entries if e.position == int(keep))
    ballot.voter_key = entry.voter_key
    ballot.status = "counted"
    ballot.updated_at = rules.ballot_day(now)
    try:
        with db.begin_nested():
            db.add(ballot)
            db.flush()
    except IntegrityError:
        raise Conflict(N_("The voter of that entry already has another ballot; it cannot be kept."),
                       code="already_voted") from None
    _replace_choices(db, ballot.id, [rules.Choice(i, p, r) for i, p, r in entry.choices],
                     vr.settings.ballot_kind)
    audit.record(db, actor_id=actor.user_id, action="resolve_paper_ballot", target_type="round",
                 target_id=vr.id, place_id=vr.scope.id, serial=serial, kept=int(keep))
    db.flush()
    return ballot


@dataclass
class PaperRow:
    serial: str
    status: str
    entered_at: datetime
    entries: int


def paper_rows(db: Session, actor: Actor, vr: VoteRound, limit: int = 200) -> list[PaperRow]:
    """The latest paper ballots of the round: serial and status only (one query). Latest by
    their first entry's time: ballot ids are random and ballots keep only their day."""
    _may_enter_paper(actor, vr, db)
    entered = func.min(PaperEntry.entered_at)
    rows = db.exec(select(Ballot.serial, Ballot.status, entered, func.count(PaperEntry.id))
                   .outerjoin(PaperEntry, (PaperEntry.round_id == Ballot.round_id)
                              & (PaperEntry.serial == Ballot.serial))
                   .where(Ballot.round_id == vr.id, Ballot.channel == "paper")
                   .group_by(Ballot.id, Ballot.serial, Ballot.status)
                   .order_by(entered.desc(), Ballot.serial.desc()).limit(limit)).all()
    return [PaperRow(s, st, at, n) for s, st, at, n in rows]


def homes_in_scope(db: Session, vr: VoteRound, actor: Actor | None = None) -> list[tuple[Home, Place]]:
    """The round's homes with their estate; given ``actor``, only those of the places where
    they enter paper ballots (as ``paper_voters``)."""
    rows = db.exec(select(Home, Place).join(Place, Place.id == Home.estate_id)
                   .where(Place.path.startswith(vr.scope.path))
                   .order_by(Place.path, Home.building, Home.room)).all()
    if actor is None or permissions.allowed("enter_paper_ballot", actor, _scope_path(vr)):
        return list(rows)
    return [(home, estate) for home, estate in rows
            if permissions.allowed("enter_paper_ballot", actor, estate.ids_from_root)]


def areas_in_scope(db: Session, vr: VoteRound) -> list[Place]:
    return list(db.exec(select(Place).where(Place.kind.in_(("area", "building_group")),
                                            Place.path.startswith(vr.scope.path)
                                            | Place.id.in_(vr.scope.ids_from_root))
                        .order_by(Place.path)).all())
