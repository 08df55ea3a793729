"""Ballots: online by an owner of record, on paper (keyed twice when the election asks,
with differing keyings settled by a third person), by written proxy. One per owner across
channels (the database's UNIQUE); none names its owner (see :mod:`consult.elections.models`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import owners
from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities.models import Home, HomeOwner
from consult.config import Settings
from consult.db.ids import parse_id
from consult.elections.models import ElectionBallot, ElectionCandidate, ElectionProxy, OwnerElection
from consult.elections.rules import ballot_day
from consult.elections.services.common import (
    MAX_FIELD,
    MAX_NAME,
    Register,
    check,
    chosen_candidates,
    election_register,
    get_election,
    must_allow,
)
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor


@dataclass(frozen=True)
class Voice:
    """One owner a signed-in person may vote for: the homes their ballot covers and
    whether it has been handed in (never what it says)."""

    owner: object
    names: tuple[str, ...]
    homes: tuple
    area_cents: int
    voted: bool


def voices(db: Session, user: User | None, election: OwnerElection) -> list[Voice]:
    """The owners of record linked to ``user`` in the election's estate (not the developer)."""
    if user is None:
        return []
    codes = db.exec(select(Home.code).join(HomeOwner, HomeOwner.home_id == Home.id).where(
        Home.estate_id == election.estate_id, HomeOwner.user_id == user.id)).all()
    if not codes:
        return []
    register = election_register(db, election)
    mine = [k for k in dict.fromkeys(register.owner_of[c] for c in codes if c in register.owner_of)
            if k is not owners.DEVELOPER]
    if not mine:
        return []
    keys = [register.key_of[k] for k in mine]
    voted = set(db.exec(select(ElectionBallot.voter_key).where(
        ElectionBallot.election_id == election.id, ElectionBallot.active.is_(True),
        ElectionBallot.voter_key.in_(keys))).all())
    by_home = {h.home_id: h for h in register.homes}
    return [Voice(k, tuple(sorted(k)), tuple(by_home[i] for i in register.holdings[k].home_ids),
                  register.holdings[k].area_cents, register.key_of[k] in voted) for k in mine]


def _candidates(db: Session, election: OwnerElection, chosen: Iterable[str]) -> str:
    """The ballot's approved candidates, checked against the ballot paper, as stored."""
    valid = {str(c) for c in db.exec(select(ElectionCandidate.id).where(
        ElectionCandidate.election_id == election.id)).all()}
    return chosen_candidates(valid, chosen, election.seats)


def _insert(db: Session, ballot: ElectionBallot) -> ElectionBallot:
    """Insert through the owners' one ballot insert: the UNIQUE constraints decide."""
    return owners.insert_ballot(db, ballot, already=N_("This owner has already voted in this election."),
                                serial_clash=select(ElectionBallot.id).where(
                                    ElectionBallot.election_id == ballot.election_id,
                                    ElectionBallot.active.is_(True),
                                    ElectionBallot.paper_serial == ballot.paper_serial))


def cast_web_ballot(db: Session, actor: Actor, user: User, election_id: int, *, owner: str = "",
                    candidates: Iterable[str], now: datetime) -> ElectionBallot:
    """An owner of record votes online for themselves (and their co-owners). ``owner`` is
    the index of the owner among :func:`voices` when the person holds more than one."""
    election, estate = get_election(db, election_id)
    check("cast_owner_election_ballot", actor, estate)
    must_allow("cast_ballot", election, now)
    stored = _candidates(db, election, candidates)
    mine = voices(db, user, election)
    index = int(owner) if owner.isascii() and owner.isdigit() else (0 if len(mine) == 1 else -1)
    if not 0 <= index < len(mine):
        raise Forbidden(N_("You are not linked to the homes of an owner of this estate. Ask your owners' committee to link your account."))
    voice = mine[index]
    if voice.voted:
        raise Conflict(N_("This owner has already voted in this election."), code="already_voted")
    register = election_register(db, election)
    return _insert(db, ElectionBallot(election_id=election.id, voter_key=register.key_of[voice.owner],
                                      candidates=stored, channel="web", cast_day=ballot_day(now)))


def _home(register: Register, code: str, field: str = "home"):
    home = register.home(code)
    if home is None:
        raise FieldErrors({field: Msg(N_("Home %(home)s is not in this election's register."),
                                      {"home": code.strip()})})
    return home


def _serial(serial: str) -> str:
    serial = serial.strip()
    if not serial or len(serial) > MAX_FIELD or not serial.isprintable():
        raise FieldErrors({"serial": Msg(N_("Please enter the serial number printed on the paper."))})
    return serial


@dataclass(frozen=True)
class PaperEntry:
    ballot: ElectionBallot
    #: "entered" (first keying), "confirmed" (second keying agrees) or "mismatch"
    outcome: str


def enter_paper_ballot(db: Session, actor: Actor, election_id: int, *, serial: str, home: str,
                       candidates: Iterable[str], now: datetime) -> PaperEntry:
    """Key a paper ballot; keying the same serial again, by someone else, checks the first."""
    election, estate = get_election(db, election_id)
    check("enter_owner_election_paper", actor, estate)
    must_allow("enter_paper", election, now)
    serial = _serial(serial)
    stored = _candidates(db, election, candidates)
    register = election_register(db, election)
    key = register.key_of[register.owner_of[_home(register, home).home_id]]
    first = db.exec(select(ElectionBallot).where(
        ElectionBallot.election_id == election.id, ElectionBallot.active.is_(True),
        ElectionBallot.paper_serial == serial).with_for_update()).first()
    if first is None:
        ballot = _insert(db, ElectionBallot(
            election_id=election.id, voter_key=key, candidates=stored, channel="paper",
            status="awaiting_second" if election.paper_double_key else "final",
            paper_serial=serial, keyed_by=actor.user_id, cast_day=ballot_day(now)))
        return PaperEntry(ballot, "entered")
    if first.second_by is not None or first.status != "awaiting_second":
        raise Conflict(N_("Paper ballot %(serial)s has already been keyed twice."),
                       code="keyed_twice", serial=serial)
    if first.keyed_by == actor.user_id:
        raise Conflict(N_("You keyed paper ballot %(serial)s already; a second person must key it again."),
                       code="same_keyer", serial=serial)
    first.second_voter_key, first.second_candidates, first.second_by = key, stored, actor.user_id
    same = first.voter_key == key and first.candidates == stored
    first.status = "confirmed" if same else "mismatch"
    db.add(first)
    db.flush()
    return PaperEntry(first, "confirmed" if same else "mismatch")


def uncounted_papers(db: Session, actor: Actor, election_id: int) -> list[ElectionBallot]:
    """Paper ballots waiting for their second keying or with differing keyings (serials only
    are shown: what they say is for whoever holds the paper)."""
    election, estate = get_election(db, election_id)
    check("enter_owner_election_paper", actor, estate)
    return list(db.exec(select(ElectionBallot).where(
        ElectionBallot.election_id == election.id, ElectionBallot.active.is_(True),
        ElectionBallot.status.in_(("awaiting_second", "mismatch")))
        .order_by(ElectionBallot.paper_serial)).all())


def resolve_paper(db: Session, actor: Actor, election_id: int, *, serial: str, home: str,
                  candidates: Iterable[str], now: datetime) -> ElectionBallot:
    """Two keyings differ: a third person, neither keyer, keys the paper again; it counts
    as keyed if it agrees with one of the two."""
    election, estate = get_election(db, election_id)
    check("enter_owner_election_paper", actor, estate)
    must_allow("resolve_paper", election, now)
    serial = _serial(serial)
    ballot = db.exec(select(ElectionBallot).where(
        ElectionBallot.election_id == election.id, ElectionBallot.active.is_(True),
        ElectionBallot.paper_serial == serial, ElectionBallot.status == "mismatch")
        .with_for_update()).first()
    if ballot is None:
        raise NotFound()
    if actor.user_id in (ballot.keyed_by, ballot.second_by):
        raise Conflict(N_("You keyed this paper already; someone who did not must check it."),
                       code="own_keying")
    stored = _candidates(db, election, candidates)
    register = election_register(db, election)
    key = register.key_of[register.owner_of[_home(register, home).home_id]]
    if (key, stored) == (ballot.voter_key, ballot.candidates):
        pass
    elif (key, stored) == (ballot.second_voter_key, ballot.second_candidates):
        ballot.voter_key, ballot.candidates = key, stored
    else:
        raise Conflict(N_("This keying agrees with neither of the first two. Please check the paper again."),
                       code="agrees_with_neither")
    ballot.status = "confirmed"
    try:
        with db.begin_nested():
            db.add(ballot)
            db.flush()
    except IntegrityError:
        raise Conflict(N_("This owner has already voted in this election."), code="already_voted") from None
    audit.record(db, actor_id=actor.user_id, action="resolve_election_paper",
                 target_type="owner_election", target_id=election.id, place_id=estate.id,
                 serial=serial)
    return ballot


def enter_proxy_ballot(db: Session, actor: Actor, election_id: int, *, home: str, holder: str,
                       candidates: Iterable[str], now: datetime, settings: Settings,
                       scan: bytes) -> ElectionBallot:
    """A ballot handed in with a written proxy (委托书): the signed form (a PDF or a photo)
    is kept on file through the owners' storage and recorded apart from the ballot."""
    election, estate = get_election(db, election_id)
    check("enter_owner_election_paper", actor, estate)
    must_allow("enter_proxy", election, now)
    errors: dict[str, Msg] = {}
    holder = holder.strip()
    if not holder or len(holder) > MAX_NAME or not holder.isprintable():
        errors["holder"] = Msg(N_("Please give the name of the person holding the proxy."))
    if not scan:
        errors["file"] = Msg(N_("Please attach the scan or photo of the signed proxy form."))
    if errors:
        raise FieldErrors(errors)
    stored = _candidates(db, election, candidates)
    register = election_register(db, election)
    target = _home(register, home)
    scan_name, _ = owners.store_upload(settings, scan)
    ballot = _insert(db, ElectionBallot(
        election_id=election.id, voter_key=register.key_of[register.owner_of[target.home_id]],
        candidates=stored, channel="proxy", keyed_by=actor.user_id, cast_day=ballot_day(now)))
    db.add(ElectionProxy(election_id=election.id, home_code=target.home_id, holder=holder, scan=scan_name,
                         entered_by=actor.user_id, entered_day=ballot_day(now)))
    db.flush()
    return ballot


def proxies_of(db: Session, actor: Actor, election_id: int) -> list[ElectionProxy]:
    """The written proxies handed in (staff): home, holder and form, never the ballot."""
    election, estate = get_election(db, election_id)
    check("enter_owner_election_paper", actor, estate)
    return list(db.exec(select(ElectionProxy).where(ElectionProxy.election_id == election.id)
                        .order_by(ElectionProxy.home_code, ElectionProxy.id)).all())


def proxy_scan(db: Session, actor: Actor, settings: Settings, proxy_id) -> tuple[ElectionProxy, Path]:
    """A written proxy's signed form: personal data, for staff only."""
    proxy = db.get(ElectionProxy, parse_id(proxy_id)) if parse_id(proxy_id) is not None else None
    if proxy is None or not proxy.scan:
        raise NotFound()
    _, estate = get_election(db, proxy.election_id)
    check("enter_owner_election_paper", actor, estate)
    return proxy, owners.stored_file(settings, proxy.scan)
