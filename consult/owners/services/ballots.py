"""Ballots: online by an owner of record, on paper (keyed twice when the matter asks for
it, with differing keyings resolved by someone else), by written proxy; voiding one with a
reason; and the staff's list of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities.models import Home, HomeOwner, Place
from consult.config import Settings
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.notifications import services as notifications
from consult.owners import rules
from consult.owners.models import OwnerBallot, OwnerMatter
from consult.owners.services.common import (
    MAX_FIELD,
    MAX_NAME,
    MAX_REASON,
    PAGE_SIZE,
    _check,
    get_ballot,
    get_matter,
    state_of,
)
from consult.owners.services.counting import matter_homes
from consult.owners.services.matters import _store_upload
from consult.permissions import Actor


@dataclass(frozen=True)
class Voice:
    """One owner a signed-in person may vote for, and the homes the ballot covers."""

    digest: str
    names: tuple[str, ...]
    homes: tuple[rules.Home, ...]
    area_cents: int
    ballot: OwnerBallot | None


def _label(home: rules.Home) -> str:
    """The names of the owner voting through ``home``, for staff lists (never an identifier)."""
    return rules.home_label(home)[:255]


def voices(db: Session, user: User | None, matter: OwnerMatter) -> list[Voice]:
    """The owners of record linked to ``user`` in this matter's estate (not the developer)."""
    if user is None:
        return []
    codes = db.exec(select(Home.code).join(HomeOwner, HomeOwner.home_id == Home.id).where(
        Home.estate_id == matter.estate_id, HomeOwner.user_id == user.id)).all()
    if not codes:
        return []
    homes = matter_homes(db, matter)
    owner_of = rules.owner_of_home(homes)
    keys = [k for k in dict.fromkeys(owner_of[c] for c in codes if c in owner_of)
            if k is not rules.DEVELOPER]
    if not keys:
        return []
    by_owner = rules.holdings(homes)
    home_by_id = {h.home_id: h for h in homes}
    digests = {rules.owner_digest(k): k for k in keys}
    cast = {b.owner_key: b for b in db.exec(select(OwnerBallot).where(
        OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
        OwnerBallot.owner_key.in_(list(digests)))).all()}
    return [
        Voice(digest, by_owner[key].names,
              tuple(home_by_id[i] for i in by_owner[key].home_ids), by_owner[key].area_cents,
              cast.get(digest))
        for digest, key in digests.items()
    ]


def _must_be_open(matter: OwnerMatter, now: datetime, allows=rules.accepts_ballots) -> None:
    """Refuse unless the matter's state ``allows`` the action (a :mod:`.rules` predicate)."""
    state = state_of(matter, now)
    if allows(state):
        return
    if state is rules.MatterState.SCHEDULED:
        raise Conflict(N_("Voting has not opened yet."), code="not_open")
    raise Conflict(N_("Voting has closed."), code="closed")


def _choice(value: str) -> str:
    if value not in {c.value for c in rules.Choice}:
        raise FieldErrors({"choice": Msg(N_("Please choose agree, disagree or abstain."))})
    return value


SERIAL_TAKEN = N_("Paper ballot %(serial)s has just been entered by someone else. Please enter it again to double-key it.")


def insert_ballot(db: Session, ballot, *, already: str, serial_clash=None):
    """Insert a ballot (an owners' matter's, an election's), letting the UNIQUE constraints
    decide; a clash becomes a clear refusal: the paper serial someone else has just entered
    (``serial_clash``: the query for an active ballot with the same serial, for channels
    with serials), else ``already`` (the owner or voter has voted)."""
    try:
        with db.begin_nested():
            db.add(ballot)
            db.flush()
    except IntegrityError:
        if serial_clash is not None and ballot.paper_serial and db.exec(serial_clash).first():
            raise Conflict(SERIAL_TAKEN, code="serial_taken", serial=ballot.paper_serial) from None
        raise Conflict(already, code="already_voted") from None
    return ballot


def _insert(db: Session, ballot: OwnerBallot) -> OwnerBallot:
    return insert_ballot(db, ballot, already=N_("This owner has already voted on this matter."),
                         serial_clash=select(OwnerBallot.id).where(
                             OwnerBallot.matter_id == ballot.matter_id, OwnerBallot.active.is_(True),
                             OwnerBallot.paper_serial == ballot.paper_serial))


def cast_web_ballot(db: Session, actor: Actor, user: User, matter_id: int, *, owner: str,
                    choice: str, now: datetime) -> OwnerBallot:
    """An owner of record votes online for themselves (and their co-owners)."""
    matter, estate = get_matter(db, matter_id)
    _check("cast_owner_ballot", actor, estate)
    _must_be_open(matter, now)
    choice = _choice(choice)
    mine = {v.digest: v for v in voices(db, user, matter)}
    voice = mine.get(owner) if owner else (next(iter(mine.values())) if len(mine) == 1 else None)
    if voice is None:
        raise Forbidden(N_("You are not linked to this owner's homes. Ask your owners' committee to link your account."))
    if voice.ballot is not None:
        raise Conflict(N_("This owner has already voted on this matter."), code="already_voted")
    return _insert(db, OwnerBallot(
        matter_id=matter.id, owner_key=voice.digest, owner_label="; ".join(voice.names)[:255],
        home_code=voice.homes[0].home_id, choice=choice, channel=rules.Channel.WEB.value,
        cast_at=now, cast_by=user.id))


def _home_field(homes: Sequence[rules.Home], code: str, field: str = "home") -> rules.Home:
    found = next((h for h in homes if h.home_id == code.strip()), None)
    if found is None:
        raise FieldErrors({field: Msg(N_("Home %(home)s is not in this matter's register."),
                                      {"home": code.strip()})})
    return found


@dataclass(frozen=True)
class PaperEntry:
    ballot: OwnerBallot
    #: "entered" (first keying), "confirmed" (second keying agrees) or "mismatch".
    outcome: str


def enter_paper_ballot(db: Session, actor: Actor, matter_id: int, *, serial: str, home: str,
                       choice: str, now: datetime) -> PaperEntry:
    """Key a paper ballot; keying the same serial again by someone else checks the first."""
    matter, estate = get_matter(db, matter_id)
    _check("enter_owner_paper_ballot", actor, estate)
    _must_be_open(matter, now)
    serial = serial.strip()
    if not serial or len(serial) > MAX_FIELD or not serial.isprintable():
        raise FieldErrors({"serial": Msg(N_("Please enter the serial number printed on the paper."))})
    choice = _choice(choice)
    homes = matter_homes(db, matter)
    target = _home_field(homes, home)
    first = db.exec(select(OwnerBallot).where(
        OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
        OwnerBallot.paper_serial == serial).with_for_update()).first()
    if first is None:
        key = rules.owner_key(target)
        ballot = _insert(db, OwnerBallot(
            matter_id=matter.id, owner_key=rules.owner_digest(key), owner_label=_label(target),
            home_code=target.home_id, choice=choice, channel=rules.Channel.PAPER.value,
            status="awaiting_second" if matter.paper_double_key else "final",
            paper_serial=serial, cast_at=now, cast_by=actor.user_id))
        return PaperEntry(ballot, "entered")
    if first.second_by is not None:
        raise Conflict(N_("Paper ballot %(serial)s has already been keyed twice."),
                       code="keyed_twice", serial=serial)
    if first.cast_by == actor.user_id:
        raise Conflict(N_("You keyed paper ballot %(serial)s already; a second person must key it again."),
                       code="same_keyer", serial=serial)
    first.second_home_code, first.second_choice = target.home_id, choice
    first.second_by, first.second_at = actor.user_id, now
    same = first.home_code == target.home_id and first.choice == choice
    first.status = "confirmed" if same else "mismatch"
    db.add(first)
    db.flush()
    return PaperEntry(first, "confirmed" if same else "mismatch")


def resolve_mismatch(db: Session, actor: Actor, ballot_id: int, *, keep: str,
                     now: datetime) -> OwnerBallot:
    """After looking at the paper, staff say which keying was right; then it counts."""
    ballot, matter, estate = get_ballot(db, ballot_id)
    _check("enter_owner_paper_ballot", actor, estate)
    _must_be_open(matter, now, rules.ballots_may_change)
    if ballot.status != "mismatch" or ballot.active is not True:
        raise Conflict(N_("This ballot has no differing keyings to resolve."), code="not_mismatch")
    if actor.user_id == ballot.cast_by:
        raise Forbidden(N_("You keyed this paper ballot first, so someone else must settle which keying is right. Ask another staff member."))
    if keep not in ("first", "second"):
        raise FieldErrors({"keep": Msg(N_("Please choose which keying matches the paper."))})
    key = second = None
    if keep == "second":
        second = _home_field(matter_homes(db, matter), ballot.second_home_code or "")
        key = rules.owner_key(second)
    try:
        with db.begin_nested():  # changed inside the savepoint, so a clash undoes them
            if key is not None and second is not None:  # the keyings swap: both stay on it
                ballot.owner_key, ballot.owner_label = rules.owner_digest(key), _label(second)
                ballot.home_code, ballot.second_home_code = ballot.second_home_code, ballot.home_code
                ballot.choice, ballot.second_choice = ballot.second_choice, ballot.choice
                ballot.cast_by, ballot.second_by = ballot.second_by, ballot.cast_by
            ballot.status = "confirmed"
            db.add(ballot)
            db.flush()
    except IntegrityError:
        raise Conflict(N_("This owner has already voted on this matter."), code="already_voted") from None
    audit.record(db, actor_id=actor.user_id, action="resolve_owner_paper_ballot",
                 target_type="owner_ballot", target_id=ballot.id, place_id=estate.id,
                 matter_id=matter.id, serial=ballot.paper_serial, kept=keep)
    return ballot


def resolve_by_rekeying(db: Session, actor: Actor, ballot_id: int, *, home: str, choice: str,
                        now: datetime) -> OwnerBallot:
    """Settle two differing keyings by keying the paper a third time: the keying that
    matches counts.  Staff never see how the two keyings voted while voting is open."""
    ballot = db.get(OwnerBallot, ballot_id)
    if ballot is None:
        raise NotFound()
    choice = _choice(choice)
    keyed = (home.strip(), choice)
    keep = next((name for name, pair in (("first", (ballot.home_code, ballot.choice)),
                                         ("second", (ballot.second_home_code, ballot.second_choice)))
                 if pair == keyed), None)
    if keep is None:
        raise Conflict(N_("What you keyed matches neither keying of paper %(serial)s. Please look at the paper again; if it is unclear, void the ballot with a reason."),
                       code="no_keying_matches", serial=ballot.paper_serial or "")
    return resolve_mismatch(db, actor, ballot_id, keep=keep, now=now)


def enter_proxy_ballot(db: Session, actor: Actor, settings: Settings, matter_id: int, *,
                       home: str, choice: str, holder: str, filename: str, scan: bytes,
                       now: datetime) -> OwnerBallot:
    """A ballot by written proxy (委托书): the holder named, the signed form attached."""
    matter, estate = get_matter(db, matter_id)
    _check("enter_owner_paper_ballot", actor, estate)
    _must_be_open(matter, now)
    errors: dict[str, Msg] = {}
    holder = holder.strip()
    if not holder or len(holder) > MAX_NAME or not holder.isprintable():
        errors["holder"] = Msg(N_("Please give the proxy holder's name."))
    if not scan:
        errors["file"] = Msg(N_("Please attach the scan or photo of the signed proxy form."))
    if errors:
        raise FieldErrors(errors)
    choice = _choice(choice)
    target = _home_field(matter_homes(db, matter), home)
    key = rules.owner_key(target)
    stored, _ = _store_upload(settings, scan)
    return _insert(db, OwnerBallot(
        matter_id=matter.id, owner_key=rules.owner_digest(key), owner_label=_label(target),
        home_code=target.home_id, choice=choice, channel=rules.Channel.PROXY.value,
        proxy_holder=holder, proxy_scan=stored, cast_at=now, cast_by=actor.user_id))


def void_ballot(db: Session, actor: Actor, ballot_id: int, *, reason: str,
                now: datetime) -> OwnerBallot:
    """Staff void a ballot before close, with a reason; the owner may then vote again."""
    ballot, matter, estate = get_ballot(db, ballot_id)
    _check("void_owner_ballot", actor, estate)
    _must_be_open(matter, now, rules.ballots_may_change)
    if actor.user_id in (ballot.cast_by, ballot.second_by):
        raise Forbidden(N_("You entered this ballot, so someone else must decide to void it. Ask another staff member."))
    reason = reason.strip()
    if not reason:
        raise FieldErrors({"reason": Msg(N_("Please give a reason; it is kept in the audit log."))})
    if len(reason) > MAX_REASON:
        raise FieldErrors({"reason": Msg(N_("At most %(max)s characters."), {"max": MAX_REASON})})
    if ballot.active is not True:
        raise Conflict(N_("This ballot has already been voided."), code="already_voided")
    ballot.active = None
    ballot.voided_at, ballot.voided_by, ballot.void_reason = now, actor.user_id, reason
    db.add(ballot)
    # not the choice: the audit log is read by staff while voting is open
    audit.record(db, actor_id=actor.user_id, action="void_owner_ballot", target_type="owner_ballot",
                 target_id=ballot.id, place_id=estate.id, reason=reason, matter_id=matter.id,
                 home=ballot.home_code, channel=ballot.channel, entered_by=ballot.cast_by)
    for user_id in _accounts_of_owner(db, matter, ballot.home_code):
        notifications.notify(db, user_id=user_id, kind="owner_ballot_voided",
                             params={"title": matter.title, "reason": reason},
                             link=f"/owners/matters/{matter.id}")
    db.flush()
    return ballot


def _accounts_of_owner(db: Session, matter: OwnerMatter, home_code: str) -> list[int]:
    """The accounts linked to the owner a ballot was given for (none for the developer)."""
    key = rules.owner_of_home(matter_homes(db, matter)).get(home_code)
    if key is None or key is rules.DEVELOPER:
        return []
    return sorted(set(db.exec(select(HomeOwner.user_id).join(Home, Home.id == HomeOwner.home_id).where(
        Home.estate_id == matter.estate_id, HomeOwner.name.in_(sorted(key)),
        HomeOwner.user_id.is_not(None))).all()))


def voided_reasons(db: Session, matter: OwnerMatter) -> list[str]:
    """Why ballots were voided, in the order it happened: published with the result, no names."""
    return list(db.exec(select(OwnerBallot.void_reason).where(
        OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(None))
        .order_by(OwnerBallot.voided_at, OwnerBallot.id)).all())


@dataclass(frozen=True)
class BallotList:
    mismatches: list[OwnerBallot]
    ballots: list[OwnerBallot]
    page: int
    pages: int
    total: int


def ballot_list(db: Session, actor: Actor, matter_id: int, page: int = 1) -> tuple[OwnerMatter, Place, BallotList]:
    """Staff's view of the ballots (newest first), with differing keyings on top."""
    matter, estate = get_matter(db, matter_id)
    _check("enter_owner_paper_ballot", actor, estate)
    total = db.exec(select(func.count()).select_from(OwnerBallot)
                    .where(OwnerBallot.matter_id == matter.id)).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    mismatches = list(db.exec(select(OwnerBallot).where(
        OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
        OwnerBallot.status == "mismatch").order_by(OwnerBallot.id).limit(PAGE_SIZE)).all())
    rows = list(db.exec(select(OwnerBallot).where(OwnerBallot.matter_id == matter.id)
                        .order_by(OwnerBallot.id.desc()).offset((page - 1) * PAGE_SIZE)
                        .limit(PAGE_SIZE)).all())
    return matter, estate, BallotList(mismatches, rows, page, pages, total)
