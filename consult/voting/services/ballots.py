"""Web ballots: checking, casting and changing a voter's ballot, receipts and their check.

Secrecy: a ballot is stored under its voter's key, an HMAC under a key kept out of the
database (``consult.voting.secrecy``), with a random id and only the day; who voted for
what never leaves this package except to the voter (their own ballot).

Integrity: one ballot per voter per round is ``UNIQUE(round_id, voter_key)``. A web
ballot is written as ``INSERT … ON CONFLICT (round_id, voter_key) DO NOTHING RETURNING
id`` (SQLite and PostgreSQL); when nothing comes back the voter already has a ballot,
perhaps inserted a moment ago by their other request (PostgreSQL makes the insert wait
for that transaction), and the request locks that row (``SELECT … FOR UPDATE``) and
changes it. On SQLite write transactions are serialised anyway (``BEGIN IMMEDIATE``).

Casting is the hot path: statements built once at import (the inserts, a resident's
reading their building group as ``voters.RESIDENT_GROUP``, ``rounds.load_ballot_round``, which also locks the round and
only then reads the clock: see ``rounds``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.consultations import Consultation, Round
from consult.errors import Conflict, FieldErrors, UserError
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.voting import rules, secrecy
from consult.voting.models import Ballot, BallotChoice, new_ballot_id
from consult.voting.services.rounds import IdeaOnBallot, VoteRound, ballot_ideas, projects_of
from consult.voting.services.voters import RESIDENT_GROUP, group_params, voter_for
from consult.voting.tally import BallotError, Project


class BallotRefused(UserError):
    """The ballot is invalid (too many choices, over budget…); nothing was stored."""

    status = 422
    code = "invalid_ballot"


# -- ballots ------------------------------------------------------------------------------


@dataclass
class MyBallot:
    ballot: Ballot
    choices: list[rules.Choice]

    @property
    def idea_ids(self) -> list[int]:
        return [c.idea_id for c in self.choices]


def ballot_of(db: Session, round_id: int, voter_key: str) -> MyBallot | None:
    """A voter's own ballot with its choices (best first for a ranking)."""
    ballot = db.exec(select(Ballot).where(Ballot.round_id == round_id,
                                          Ballot.voter_key == voter_key)).first()
    if ballot is None:
        return None
    rows = db.exec(select(BallotChoice).where(BallotChoice.ballot_id == ballot.id)
                   .order_by(BallotChoice.rank, BallotChoice.idea_id)).all()
    return MyBallot(ballot, [rules.Choice(c.idea_id, c.points, c.rank) for c in rows])


def raw_of(kind: str, mine: MyBallot | None) -> rules.RawBallot:
    """A stored ballot as the form values that show it."""
    raw = rules.RawBallot()
    if mine is None:
        return raw
    if kind == "cumulative":
        raw.points = [(str(c.idea_id), str(c.points)) for c in mine.choices]
    elif kind == "ordinal":
        raw.ranking = [str(c.idea_id) for c in sorted(mine.choices, key=lambda c: c.rank or 0)]
    else:
        raw.choices = [str(c.idea_id) for c in mine.choices]
    return raw


def open_problem(vr: VoteRound) -> Msg | None:
    if vr.state == "upcoming":
        return Msg(N_("Voting has not opened yet. It opens on %(when)s."),
                   {"when": _local(vr.round.opens_at)})
    if vr.state == "closed":
        return Msg(N_("Voting closed on %(when)s. Ballots are no longer accepted."),
                   {"when": _local(vr.round.closes_at)})
    return None


def _local(when: datetime) -> str:
    from consult.clock import to_local

    return to_local(when).strftime("%Y-%m-%d %H:%M")


@dataclass
class Checked:
    choices: list[rules.Choice]
    running: rules.Running


def check(db: Session, vr: VoteRound, raw: rules.RawBallot,
          ideas: list[IdeaOnBallot] | None = None) -> Checked:
    """Validate a ballot against the round; raise ``BallotRefused`` with a clear message."""
    ideas = ideas if ideas is not None else ballot_ideas(db, vr)
    costs = {str(i.id): i.cost_fen for i in ideas}
    running = rules.running_total(vr.settings.ballot_kind, raw, costs, vr.budget_fen)
    return Checked(_valid_choices(db, vr, raw, projects_of(ideas), ideas), running)


def _valid_choices(db: Session, vr: VoteRound, raw: rules.RawBallot, projects: Sequence[Project],
                   ideas: list[IdeaOnBallot] | None = None) -> list[rules.Choice]:
    try:
        return rules.check_ballot(vr.settings, projects, raw, vr.budget_fen)
    except BallotError as error:
        ideas = ideas if ideas is not None else ballot_ideas(db, vr)
        titles = rules.titles_by_id((i.id, i.title) for i in ideas)
        raise BallotRefused(rules.ballot_message(error, titles)) from None


def _new_receipt() -> str:
    """A random receipt (paper ballots: each entry is keyed once)."""
    return rules.receipt_letters(secrets.token_bytes(rules.RECEIPT_BYTES))


def _set_receipt(ballot: Ballot, code: str | None = None) -> str:
    code = code or _new_receipt()
    ballot.receipt_prefix = code[:rules.RECEIPT_PREFIX]
    ballot.receipt_hash = rules.receipt_hash(code)
    return code


def counted_line(kind: str, choices: list[rules.Choice]) -> str:
    """The ballot's ``Ballot.line``: what counting reads instead of its choices."""
    return rules.counted_line(kind, [(c.idea_id, c.points, c.rank) for c in choices])


def _replace_choices(db: Session, ballot_id: int, choices: list[rules.Choice], kind: str,
                     new: bool = False) -> None:
    """Write a ballot's choices, and its counted line with them (one transaction)."""
    db.execute(update(Ballot).where(Ballot.id == ballot_id).values(line=counted_line(kind, choices)))
    if not new:
        db.exec(delete(BallotChoice).where(BallotChoice.ballot_id == ballot_id))
    if choices:
        db.execute(insert(BallotChoice), [
            {"ballot_id": ballot_id, "idea_id": c.idea_id, "points": c.points, "rank": c.rank}
            for c in choices])


def own_web_ballot(ballot: Ballot, user_id: int | None) -> bool:
    """Is this the web ballot ``user_id`` cast, theirs to change? Told by keys: a ballot
    stores no account (a home's ballot stores the key of the owner who cast it)."""
    return ballot.channel == "web" and user_id is not None and _cast_by(ballot, user_id)


def _cast_by(ballot: Ballot, user_id: int) -> bool:
    return (ballot.cast_by or ballot.voter_key) == secrecy.user_key(ballot.round_id, user_id)


def other_channel_message(existing: Ballot, user_id: int | None) -> Msg:
    if existing.channel == "paper":
        return Msg(N_("A paper ballot (serial %(serial)s) has already been entered for you. You cannot also vote online; ask the committee if this is a mistake."),
                   {"serial": existing.serial or ""})
    if user_id is None or not _cast_by(existing, user_id):
        return Msg(N_("Another owner of this home has already voted. Each home has one ballot."))
    return Msg(N_("This ballot cannot be changed online."))


@dataclass(frozen=True)
class Cast:
    """What casting a web ballot answers: the receipt, shown to the voter, and which stored
    ballot it is. ``changed``: an earlier ballot was changed, its receipt replaced by this
    one; ``repeated``: the same ballot was sent again, nothing changed and its receipt
    stands."""

    receipt: str = field(repr=False)
    changed: bool
    ballot_id: int
    voter_key: str
    repeated: bool = False


_BALLOT, _CHOICE = Ballot.__table__, BallotChoice.__table__
# INSERT … ON CONFLICT (round_id, voter_key) DO NOTHING RETURNING id: no row back means the
# voter already has a ballot (perhaps inserted a moment ago by their other request).
_NEW_BALLOT = {dialect.dialect.name: dialect.insert(_BALLOT)
               .on_conflict_do_nothing(index_elements=[_BALLOT.c.round_id, _BALLOT.c.voter_key])
               .returning(_BALLOT.c.id) for dialect in (sqlite, postgresql)}
# A resident's ballot: the same, its building group read by the insert itself (by dialect
# and "is the voter's area known", see ``voters.RESIDENT_GROUP``).
_NEW_RESIDENT_BALLOT = {(name, known): statement.values(building_group_id=RESIDENT_GROUP[known])
                        for name, statement in _NEW_BALLOT.items() for known in (False, True)}
_NEW_CHOICES = _CHOICE.insert()


def cast(db: Session, actor: Actor, user: User | None, vr: VoteRound, raw: rules.RawBallot,
         now: datetime, home_id: object = None) -> Cast:
    """Cast or change the voter's web ballot: one row per voter, choices replaced in place.

    The ballot is inserted first; when ``UNIQUE(round_id, voter_key)`` says the voter has
    one already, nothing is inserted and that row is locked and changed instead (or
    refused: a paper ballot, another owner's ballot for the home).

    The receipt follows from the ballot and its choices (``rules.receipt_code``): the same
    ballot sent again, even by 50 simultaneous requests, finds the row saying the same and
    changes nothing, so every one of them shows the voter the one stored receipt."""
    if problem := open_problem(vr):
        raise Conflict(problem, code="round_not_open")
    voter = voter_for(db, actor, user, vr, home_id, group=False)
    if vr.projects is not None:
        choices = _valid_choices(db, vr, raw, vr.projects)
    else:
        ideas = ballot_ideas(db, vr)
        choices = _valid_choices(db, vr, raw, projects_of(ideas), ideas)
    new_id, day = new_ballot_id(), rules.ballot_day(now)
    code = secrecy.receipt(vr.id, new_id, choices)
    values = {"id": new_id, "round_id": vr.id, "voter_key": voter.key, "channel": "web",
              "status": "counted", "area_id": voter.area_id,
              "cast_by": secrecy.user_key(vr.id, user.id) if voter.home_id is not None else None,
              "receipt_prefix": code[:rules.RECEIPT_PREFIX], "receipt_hash": rules.receipt_hash(code),
              "created_at": day, "updated_at": day, "assisted": assisted(actor),
              "line": counted_line(vr.settings.ballot_kind, choices)}
    dialect = db.get_bind().dialect.name
    if voter.home_id is not None:  # a home's ballot: the home's building group
        insert_ballot = _NEW_BALLOT[dialect]
        values["building_group_id"] = voter.building_group_id
    else:  # a resident's: the group they gave when verified, read by the insert
        insert_ballot = _NEW_RESIDENT_BALLOT[dialect, voter.area_id is not None]
        values.update(group_params(voter))
    ballot_id = db.execute(insert_ballot, values).scalar()
    if ballot_id is None:
        return _change(db, user.id, vr, voter.key, choices, now, assisted=assisted(actor))
    if choices:
        db.execute(_NEW_CHOICES, [{"ballot_id": ballot_id, "idea_id": c.idea_id,
                                   "points": c.points, "rank": c.rank} for c in choices])
    return Cast(code, False, ballot_id, voter.key)


def assisted(actor: Actor) -> bool:
    """A ballot a family member casts for the person (``VoteSettings.assisted_voting``)."""
    return actor.helper == "family"


def _change(db: Session, user_id: int, vr: VoteRound, voter_key: str,
            choices: list[rules.Choice], now: datetime, *, assisted: bool = False) -> Cast:
    """Change the voter's existing web ballot: new receipt, choices replaced, same row.
    The same ballot again (its receipt already the one these choices give) changes nothing."""
    round_id = vr.id
    existing = _locked_ballot(db, round_id, voter_key)
    if existing is None:
        raise Conflict()
    if not own_web_ballot(existing, user_id):
        raise Conflict(other_channel_message(existing, user_id), code="already_voted")
    code = secrecy.receipt(round_id, existing.id, choices)
    if existing.receipt_hash == rules.receipt_hash(code):
        return Cast(code, False, existing.id, existing.voter_key, repeated=True)
    _set_receipt(existing, code)
    existing.updated_at, existing.assisted = rules.ballot_day(now), assisted
    db.add(existing)
    db.flush()
    _replace_choices(db, existing.id, choices, vr.settings.ballot_kind)
    return Cast(code, True, existing.id, existing.voter_key)


def _locked_ballot(db: Session, round_id: int, voter_key: str) -> Ballot | None:
    return db.exec(select(Ballot).where(Ballot.round_id == round_id, Ballot.voter_key == voter_key)
                   .with_for_update()).first()


@dataclass(frozen=True)
class ReceiptCheck:
    found: bool
    status: str | None = None
    channel: str | None = None
    round_title: str = ""
    consultation_title: str = ""
    round_id: int | None = None
    at: datetime | None = None


def own_receipt(round_id: int, mine: MyBallot | None) -> str | None:
    """The whole receipt code of the voter's own web ballot, for her signed-in receipt
    page: derived again from the ballot and its choices (``rules.receipt_code``), since
    only its hash is kept; None for a paper ballot, whose random code was shown once."""
    if mine is None or mine.ballot.channel != "web":
        return None
    code = secrecy.receipt(round_id, mine.ballot.id, mine.choices)
    return code if mine.ballot.receipt_hash == rules.receipt_hash(code) else None


def check_receipt(db: Session, code: str) -> ReceiptCheck:
    """Is the ballot with this receipt code in the count? Never says what it chose, nor whose."""
    normalized = rules.normalize_receipt(code)
    if len(normalized) != rules.RECEIPT_LENGTH:
        raise FieldErrors({"code": Msg(N_("A receipt code has 16 letters and digits, such as ABCD-EFGH-JKLM-NPQR."))})
    row = db.exec(select(Ballot.status, Ballot.channel, Ballot.updated_at, Round, Consultation.title)
                  .join(Round, Round.id == Ballot.round_id)
                  .join(Consultation, Consultation.id == Round.consultation_id)
                  .where(Ballot.receipt_hash == rules.receipt_hash(normalized))).first()
    if row is None:
        return ReceiptCheck(False)
    status, channel, at, item, title = row
    return ReceiptCheck(True, status, channel, item.title or title, title, item.id, at)
