"""Voting services: the only code of the voting domain that touches the session.

Pages, the JSON API and the command line call these; each function that changes
something checks ``permissions.allowed`` itself. Who voted for what never leaves
this module except to the voter (their own ballot): turnout is counted by area
and building group, exports are anonymous and shuffled. Nor is it in the database:
a ballot is stored under its voter's key, an HMAC under a key kept out of the database
(``consult.voting.secrecy``), with a random id and only the day.

Integrity: one ballot per voter per round is ``UNIQUE(round_id, voter_key)``. A web
ballot is written as ``INSERT … ON CONFLICT (round_id, voter_key) DO NOTHING RETURNING
id`` (SQLite and PostgreSQL); when nothing comes back the voter already has a ballot,
perhaps inserted a moment ago by their other request (PostgreSQL makes the insert wait
for that transaction), and the request locks that row (``SELECT … FOR UPDATE``) and
changes it. On SQLite write transactions are serialised anyway (``BEGIN IMMEDIATE``).

Casting a ballot is the hot path: it runs Core statements built once at import
(``load_ballot_round`` with the ideas' costs, ``_building_group``, the inserts) instead
of building ORM queries and loading entities for every ballot.
"""

from __future__ import annotations

import base64
import csv
import io
import random
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from typing import NamedTuple

from sqlalchemy import String, bindparam, delete, func, insert, update
from sqlalchemy import cast as sa_cast
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import consultations, permissions
from consult.accounts import rules as account_rules
from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities import services as communities
from consult.communities.models import (
    Home,
    HomeOwner,
    Place,
    PlaceRef,
    RoleAssignment,
    VerificationRequest,
)
from consult.consultations import (
    Category,
    Consultation,
    Idea,
    IdeaRound,
    Round,
    clean_text,
    round_state,
)
from consult.db import core
from consult.db.ids import find, parse_id
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, NotSignedIn, UserError
from consult.i18n import N_, Msg
from consult.notifications import services as notifications
from consult.permissions import Actor
from consult.voting import pabulib, rules, secrecy, tally
from consult.voting.models import (
    Ballot,
    BallotChoice,
    Objection,
    PaperEntry,
    PaperVoter,
    VoteResult,
    VoteSettings,
    new_ballot_id,
)
from consult.voting.tally import BallotError, Project


class BallotRefused(UserError):
    """The ballot is invalid (too many choices, over budget…); nothing was stored."""

    status = 422
    code = "invalid_ballot"


# -- the round ----------------------------------------------------------------------------


@dataclass
class VoteRound:
    """A vote round with what every voting page needs of it (one query, see ``load_round``;
    ``load_ballot_round`` gives the same parts as plain values, for casting)."""

    round: Round | RoundTimes
    consultation: Consultation | ConsultationRef
    scope: Place | PlaceRef
    settings: VoteSettings | rules.SettingsValues
    state: str  # upcoming | open | closed
    #: the ideas as the tally sees them, when read along with the round (``load_ballot_round``)
    projects: Sequence[Project] | None = field(default=None, repr=False)

    @property
    def id(self) -> int:
        return self.round.id

    @property
    def budget_fen(self) -> int | None:
        return rules.budget_of(self.settings, self.consultation.budget_fen)

    @property
    def title(self) -> str:
        return self.round.title or self.consultation.title


def load_round(db: Session, round_id: int, now: datetime) -> VoteRound:
    row = db.exec(select(Round, Consultation, Place, VoteSettings)
                  .join(Consultation, Consultation.id == Round.consultation_id)
                  .join(Place, Place.id == Consultation.scope_place_id)
                  .outerjoin(VoteSettings, VoteSettings.round_id == Round.id)
                  .where(Round.id == round_id)).first()
    if row is None or row[0].kind != "vote":
        raise NotFound()
    item, consultation, scope, settings = row
    if settings is None:  # defaults until a moderator saves settings
        settings = VoteSettings(round_id=item.id)
    return VoteRound(item, consultation, scope, settings, round_state(item.opens_at, item.closes_at, now))


# What casting needs of a round, in one Core statement built once: the ORM's loading of four
# entities costs more than the rest of a ballot. Every ballot still reads the round's times.
_ROUND, _CONSULTATION, _PLACE, _SETTINGS = (Round.__table__, Consultation.__table__, Place.__table__,
                                            VoteSettings.__table__)
_IDEA, _IDEA_ROUND = Idea.__table__, IdeaRound.__table__
# The round's ideas as "id:cost,id:cost,…" (cost empty when unknown): all that checking a
# ballot needs of them, in the same row (their titles are read only to explain a refusal).
_IDEA_COSTS = (core_select(func.aggregate_strings(
    sa_cast(_IDEA.c.id, String) + ":" + func.coalesce(sa_cast(_IDEA.c.estimated_cost_fen, String), ""), ","))
    .select_from(_IDEA_ROUND.join(_IDEA, _IDEA.c.id == _IDEA_ROUND.c.idea_id))
    .where(_IDEA_ROUND.c.round_id == _ROUND.c.id).scalar_subquery())
_ROUND_COLUMNS = (_ROUND.c.id, _ROUND.c.kind, _ROUND.c.title, _ROUND.c.opens_at, _ROUND.c.closes_at,
                  _CONSULTATION.c.title, _CONSULTATION.c.budget_fen,
                  _PLACE.c.id, _PLACE.c.kind, _PLACE.c.name, _PLACE.c.path, _IDEA_COSTS,
                  _SETTINGS.c.round_id)
_BALLOT_ROUND = (
    core_select(*_ROUND_COLUMNS, *(_SETTINGS.c[name] for name in rules.SETTINGS_FIELDS))
    .select_from(_ROUND.join(_CONSULTATION, _CONSULTATION.c.id == _ROUND.c.consultation_id)
                 .join(_PLACE, _PLACE.c.id == _CONSULTATION.c.scope_place_id)
                 .outerjoin(_SETTINGS, _SETTINGS.c.round_id == _ROUND.c.id))
    .where(_ROUND.c.id == bindparam("round_id"))
)
_SETTINGS_AT = len(_ROUND_COLUMNS)


class RoundTimes(NamedTuple):
    id: int
    title: str
    opens_at: datetime
    closes_at: datetime


class ConsultationRef(NamedTuple):
    title: str
    budget_fen: int | None


def load_ballot_round(db: Session, round_id: int, now: datetime) -> VoteRound:
    """``load_round`` for casting a ballot: the same ``VoteRound`` (state from the stored
    times, settings, scope), its parts plain values instead of ORM rows. Pages that
    render the round use ``load_round``."""
    row = core.execute(db, _BALLOT_ROUND, {"round_id": round_id}).first()
    if row is None or row[1] != "vote":
        raise NotFound()
    (rid, _, title, opens_at, closes_at, c_title, c_budget, p_id, p_kind, p_name, p_path, costs,
     saved) = row[:_SETTINGS_AT]
    settings = (rules.SettingsValues() if saved is None
                else rules.SettingsValues(*row[_SETTINGS_AT:]))
    return VoteRound(RoundTimes(rid, title, opens_at, closes_at), ConsultationRef(c_title, c_budget),
                     PlaceRef(p_id, p_kind, p_name, p_path), settings,
                     round_state(opens_at, closes_at, now), _projects(costs))


@lru_cache(maxsize=64)
def _projects(costs: str | None) -> tuple[Project, ...]:
    """``_IDEA_COSTS`` → the tally's projects, by idea id (as ``projects_of(ballot_ideas())``).
    Kept per distinct text: every ballot of a round reads the same one."""
    pairs = sorted((int(idea_id), cost) for idea_id, _, cost in
                   (item.partition(":") for item in costs.split(","))) if costs else []
    return tuple(Project(str(idea_id), int(cost) if cost else 0) for idea_id, cost in pairs)


@dataclass(frozen=True)
class RoundSummary:
    vr: VoteRound
    published: bool


def vote_rounds(db: Session, now: datetime) -> list[RoundSummary]:
    """Every vote round, open ones first, then upcoming, then closed (two queries)."""
    rows = db.exec(select(Round, Consultation, Place, VoteSettings)
                   .join(Consultation, Consultation.id == Round.consultation_id)
                   .join(Place, Place.id == Consultation.scope_place_id)
                   .outerjoin(VoteSettings, VoteSettings.round_id == Round.id)
                   .where(Round.kind == "vote").order_by(Round.closes_at.desc())).all()
    ids = [r.id for r, *_ in rows]
    published = set(db.exec(select(VoteResult.round_id).where(VoteResult.round_id.in_(ids))).all()) if ids else set()
    order = {"open": 0, "upcoming": 1, "closed": 2}
    summaries = [RoundSummary(VoteRound(r, c, p, s or VoteSettings(round_id=r.id),
                                        round_state(r.opens_at, r.closes_at, now)), r.id in published)
                 for r, c, p, s in rows]
    return sorted(summaries, key=lambda s: order[s.vr.state])


@dataclass(frozen=True)
class IdeaOnBallot:
    id: int
    title: str
    cost_fen: int | None
    thumbnail_url: str | None
    category_name: str
    place_name: str


def ideas_on_ballot(db: Session, vr: VoteRound) -> list[IdeaOnBallot]:
    return [IdeaOnBallot(i.id, i.title, i.estimated_cost_fen, i.thumbnail_url, i.category_name,
                         i.place_name)
            for i in consultations.ideas_in_round(db, vr.round)]


_BALLOT_IDEAS = (core_select(_IDEA.c.id, _IDEA.c.title, _IDEA.c.estimated_cost_fen)
                 .select_from(_IDEA.join(_IDEA_ROUND, _IDEA_ROUND.c.idea_id == _IDEA.c.id))
                 .where(_IDEA_ROUND.c.round_id == bindparam("round_id")).order_by(_IDEA.c.id))


def ballot_ideas(db: Session, vr: VoteRound) -> list[IdeaOnBallot]:
    """The round's ideas with only what checking a ballot and explaining a refusal need (one query)."""
    rows = core.execute(db, _BALLOT_IDEAS, {"round_id": vr.id}).all()
    return [IdeaOnBallot(i, title, cost, None, "", "") for i, title, cost in rows]


def projects_of(ideas: list[IdeaOnBallot]) -> tuple[Project, ...]:
    """The tally's view of the ideas: ids as text, costs in fen (none given: 0)."""
    return tuple(Project(str(i.id), i.cost_fen or 0) for i in ideas)


def _scope_path(vr: VoteRound) -> tuple[int, ...]:
    return vr.scope.ids_from_root


# -- the round's lifecycle ----------------------------------------------------------------


def round_lifecycle(db: Session, vr: VoteRound) -> str:
    """The round's state (``rules.ROUND_STATES``): its times, then its published result."""
    result = published_result(db, vr.id)
    return rules.lifecycle_state(vr.state, result is not None,
                                 result is not None and result.finalized_at is not None)


def require_round_action(db: Session, vr: VoteRound, action: str) -> str:
    """Refuse (``Conflict``, nothing changed) an action the round's state does not allow
    (``rules.ROUND_ACTIONS``); return the state."""
    state = round_lifecycle(db, vr)
    if problem := rules.round_action_problem(action, state):
        raise Conflict(problem, code=rules.REFUSAL_CODES[state])
    return state


def _round_guard(db: Session, item: Round, action: str, now: datetime) -> None:
    """The lifecycle of vote rounds, for what consultations do to any round (its times,
    carrying ideas, the consultation's budget): see ``consultations.services.ROUND_GUARDS``."""
    vr = load_round(db, item.id, now)
    if action == "change_budget":  # the consultation's budget is this round's only when it has none
        if vr.settings.budget_fen is None:
            require_round_action(db, vr, "change_count_settings")
        return
    require_round_action(db, vr, action)
    if action == "carry_into" and has_ballots(db, vr.id):
        raise Conflict(N_("Ballots have been cast in this vote round: ideas can no longer be added to its ballot."),
                       code="round_has_ballots")


consultations.ROUND_GUARDS["vote"] = _round_guard


# -- settings -----------------------------------------------------------------------------


def has_ballots(db: Session, round_id: int) -> bool:
    return db.exec(select(Ballot.id).where(Ballot.round_id == round_id).limit(1)).first() is not None


def save_settings(db: Session, actor: Actor, vr: VoteRound, form, now: datetime) -> VoteSettings:
    """Save a round's settings. Once voting has opened, what a ballot says and how ballots
    are counted (``rules.COUNT_FIELDS``) can no longer change; once results are published,
    nothing can."""
    if not permissions.allowed("manage_consultation", actor, _scope_path(vr)):
        raise Forbidden()
    state = require_round_action(db, vr, "change_settings")
    values, errors = rules.parse_settings(form, vr.consultation.budget_fen)
    if errors:
        raise FieldErrors(errors)
    current = vr.settings
    changed = rules.changed_count_fields(current, values)
    if changed and (problem := rules.round_action_problem("change_count_settings", state)):
        field_name = "budget" if changed[0] == "budget_fen" else changed[0]
        raise FieldErrors({field_name: problem})
    if current.double_key and not values.double_key and db.exec(
            select(Ballot.id).where(Ballot.round_id == vr.id, UNCOUNTED,
                                    Ballot.status == "pending").limit(1)).first() is not None:
        raise FieldErrors({"double_key": Msg(N_("Some paper ballots still wait for their second entry; double entry can be switched off once they are entered."))})
    settings = db.get(VoteSettings, vr.id) or VoteSettings(round_id=vr.id)
    for name in rules.SETTINGS_FIELDS:
        setattr(settings, name, getattr(values, name))
    settings.updated_at, settings.updated_by = now, actor.user_id
    db.add(settings)
    audit.record(db, actor_id=actor.user_id, action="vote_settings", target_type="round",
                 target_id=vr.id, place_id=vr.scope.id, rule=values.rule, ballot_kind=values.ballot_kind)
    db.flush()
    vr.settings = settings
    return settings


# -- who votes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Voter:
    """Who a ballot belongs to; ``label`` is for the voter or staff, never shown with choices."""

    key: str
    user_id: int | None
    area_id: int | None
    building_group_id: int | None
    label: str = ""
    home_id: int | None = None


def _area_id(place: Place) -> int | None:
    ids = place.ids_from_root
    if place.kind == "area":
        return place.id
    return ids[1] if len(ids) > 1 else None


def resident_place(db: Session, actor: Actor, scope: Place, action: str) -> Place | None:
    """A place where the actor is a resident that lies in (or contains) ``scope``, if allowed."""
    ids = [place for role, place in actor.roles if role == "resident"]
    if not ids:
        return None
    if scope.id in ids and permissions.allowed(action, actor, scope.ids_from_root):
        return scope  # the usual case, a resident of the round's own area: no query
    for place in db.exec(select(Place).where(Place.id.in_(ids)).order_by(Place.path)).all():
        related = place.path.startswith(scope.path) or scope.path.startswith(place.path)
        if related and permissions.allowed(action, actor, place.ids_from_root):
            return place
    return None


_VERIFICATION = VerificationRequest.__table__
_APPROVED_GROUP = (core_select(_VERIFICATION.c.building_group_id)
                   .where(_VERIFICATION.c.user_id == bindparam("user_id"),
                          _VERIFICATION.c.status == "approved",
                          _VERIFICATION.c.building_group_id.is_not(None))
                   .order_by(_VERIFICATION.c.id.desc()).limit(1))
_APPROVED_GROUP_IN_AREA = _APPROVED_GROUP.where(_VERIFICATION.c.area_id == bindparam("area_id"))


def _building_group(db: Session, user_id: int, area_id: int | None) -> int | None:
    """The building group a resident gave when verified (the latest approved request)."""
    if area_id is None:
        return core.execute(db, _APPROVED_GROUP, {"user_id": user_id}).scalar()
    return core.execute(db, _APPROVED_GROUP_IN_AREA, {"user_id": user_id, "area_id": area_id}).scalar()


def voter_homes(db: Session, actor: Actor, user_id: int, scope: Place) -> list[tuple[Home, Place]]:
    """Homes in ``scope`` of which the user is an owner of record and may vote for."""
    rows = db.exec(select(Home, Place).join(HomeOwner, HomeOwner.home_id == Home.id)
                   .join(Place, Place.id == Home.estate_id)
                   .where(HomeOwner.user_id == user_id, Place.path.startswith(scope.path))
                   .order_by(Home.id)).all()
    return [(home, estate) for home, estate in rows
            if permissions.allowed("vote_for_home", actor, estate.ids_from_root)]


def not_eligible_message(vr: VoteRound) -> Msg:
    if vr.settings.eligibility == "owners":
        return Msg(N_("Only owners of record of a home in %(place)s can vote in this round, one ballot per home."),
                   {"place": vr.scope.name})
    return Msg(N_("Only verified residents of %(place)s can vote in this round. Ask to be verified first."),
               {"place": vr.scope.name})


def voter_for(db: Session, actor: Actor, user: User | None, vr: VoteRound,
              home_id: object = None) -> Voter:
    """The voter this account votes as in this round, or a clear refusal."""
    if user is None or not actor.authenticated:
        raise NotSignedIn()
    if vr.settings.eligibility == "owners":
        homes = voter_homes(db, actor, user.id, vr.scope)
        if not homes:
            raise Forbidden(not_eligible_message(vr), code="not_eligible")
        chosen = homes[0]
        if home_id not in (None, ""):
            chosen = next((h for h in homes if str(h[0].id) == str(home_id)), None)
            if chosen is None:
                raise FieldErrors({"home": Msg(N_("Please choose one of your homes."))})
        home, estate = chosen
        return Voter(secrecy.home_key(vr.id, home.id), user.id, _area_id(estate), home.building_group_id,
                     f"{estate.name} {home.code}", home.id)
    place = resident_place(db, actor, vr.scope, "vote")
    if place is None:
        raise Forbidden(not_eligible_message(vr), code="not_eligible")
    area = _area_id(place)
    return Voter(secrecy.user_key(vr.id, user.id), user.id, area, _building_group(db, user.id, area),
                 user.display_name)


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


# A receipt is RECEIPT_LENGTH letters of a 32-letter alphabet: 5 random bits each, which is
# exactly the base32 encoding of RECEIPT_LENGTH * 5 random bits, its letters renamed.
_RECEIPT_BYTES = rules.RECEIPT_LENGTH * 5 // 8
_BASE32_TO_RECEIPT = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", rules.RECEIPT_ALPHABET.encode())
assert len(rules.RECEIPT_ALPHABET) == 32 and _RECEIPT_BYTES * 8 == rules.RECEIPT_LENGTH * 5


def _new_receipt() -> str:
    return base64.b32encode(secrets.token_bytes(_RECEIPT_BYTES)).translate(_BASE32_TO_RECEIPT).decode()


def _set_receipt(ballot: Ballot) -> str:
    code = _new_receipt()
    ballot.receipt_prefix = code[:rules.RECEIPT_PREFIX]
    ballot.receipt_hash = rules.receipt_hash(code)
    return code


def _replace_choices(db: Session, ballot_id: int, choices: list[rules.Choice], new: bool = False) -> None:
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


@dataclass
class Cast:
    """A web ballot cast. ``receipt`` is shown to the voter once; ``ballot`` is the stored row
    (a new one is inserted without the ORM, so it is built only when asked for)."""

    receipt: str
    changed: bool
    stored: Ballot | dict = field(repr=False)

    @cached_property
    def ballot(self) -> Ballot:
        return self.stored if isinstance(self.stored, Ballot) else Ballot(**self.stored)


_BALLOT, _CHOICE = Ballot.__table__, BallotChoice.__table__
# INSERT … ON CONFLICT (round_id, voter_key) DO NOTHING RETURNING id: no row back means the
# voter already has a ballot (perhaps inserted a moment ago by their other request).
_NEW_BALLOT = {dialect.dialect.name: dialect.insert(_BALLOT)
               .on_conflict_do_nothing(index_elements=[_BALLOT.c.round_id, _BALLOT.c.voter_key])
               .returning(_BALLOT.c.id) for dialect in (sqlite, postgresql)}
_NEW_CHOICES = _CHOICE.insert()


def cast(db: Session, actor: Actor, user: User | None, vr: VoteRound, raw: rules.RawBallot,
         now: datetime, home_id: object = None) -> Cast:
    """Cast or change the voter's web ballot: one row per voter, choices replaced in place.

    The ballot is inserted first; when ``UNIQUE(round_id, voter_key)`` says the voter has
    one already, nothing is inserted and that row is locked and changed instead (or
    refused: a paper ballot, another owner's ballot for the home)."""
    if problem := open_problem(vr):
        raise Conflict(problem, code="round_not_open")
    voter = voter_for(db, actor, user, vr, home_id)
    if vr.projects is not None:
        choices = _valid_choices(db, vr, raw, vr.projects)
    else:
        ideas = ballot_ideas(db, vr)
        choices = _valid_choices(db, vr, raw, projects_of(ideas), ideas)
    code, day = _new_receipt(), rules.ballot_day(now)
    values = {"id": new_ballot_id(), "round_id": vr.id, "voter_key": voter.key, "channel": "web",
              "status": "counted", "area_id": voter.area_id, "building_group_id": voter.building_group_id,
              "cast_by": secrecy.user_key(vr.id, user.id) if voter.home_id is not None else None,
              "receipt_prefix": code[:rules.RECEIPT_PREFIX], "receipt_hash": rules.receipt_hash(code),
              "created_at": day, "updated_at": day}
    ballot_id = core.execute(db, _NEW_BALLOT[core.dialect_name(db)], values).scalar()
    if ballot_id is None:
        return _change(db, user.id, vr.id, voter.key, choices, now)
    if choices:
        core.execute(db, _NEW_CHOICES, [{"ballot_id": ballot_id, "idea_id": c.idea_id,
                                     "points": c.points, "rank": c.rank} for c in choices])
    return Cast(code, False, {**values, "id": ballot_id})


def _change(db: Session, user_id: int, round_id: int, voter_key: str,
            choices: list[rules.Choice], now: datetime) -> Cast:
    """Change the voter's existing web ballot: new receipt, choices replaced, same row."""
    existing = _locked_ballot(db, round_id, voter_key)
    if existing is None:
        raise Conflict()
    if not own_web_ballot(existing, user_id):
        raise Conflict(other_channel_message(existing, user_id), code="already_voted")
    code = _set_receipt(existing)
    existing.updated_at = rules.ballot_day(now)
    db.add(existing)
    db.flush()
    _replace_choices(db, existing.id, choices)
    return Cast(code, True, existing)


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


def paper_voters(db: Session, actor: Actor, vr: VoteRound) -> list[tuple[PaperVoter, Place]]:
    """Paper-only residents registered in the round's scope, with their area: only those
    of the places where the actor enters paper ballots (a sub-district's staff see all of
    them, an area's committee its own residents)."""
    _may_enter_paper(actor, vr, db)
    rows = db.exec(select(PaperVoter, Place).join(Place, Place.id == PaperVoter.area_id)
                   .where(Place.path.startswith(vr.scope.path))
                   .order_by(Place.position, PaperVoter.name, PaperVoter.id)).all()
    if permissions.allowed("enter_paper_ballot", actor, _scope_path(vr)):
        return list(rows)
    groups = _groups_by_id(db, {pv.building_group_id for pv, _ in rows})
    return [(pv, area) for pv, area in rows if paper_voter_visible(actor, pv, area, groups)]


def _groups_by_id(db: Session, ids: set[int | None]) -> dict[int, Place]:
    ids.discard(None)
    return {p.id: p for p in db.exec(select(Place).where(Place.id.in_(ids))).all()} if ids else {}


def paper_voter_visible(actor: Actor, person: PaperVoter, area: Place,
                        groups: dict[int, Place]) -> bool:
    """May ``actor`` see this paper-only resident (name, last four of the identity card)?
    Staff of their area or above; or of their own building group."""
    if permissions.allowed("enter_paper_ballot", actor, area.ids_from_root):
        return True
    group = groups.get(person.building_group_id)
    return group is not None and permissions.allowed("enter_paper_ballot", actor, group.ids_from_root)


def register_paper_voter(db: Session, actor: Actor, vr: VoteRound, *, area_id, building_group_id,
                         name: str, id_last4: str, note: str = "", now: datetime) -> PaperVoter:
    """Register a resident without an account who votes on paper."""
    _may_enter_paper(actor, vr, db)
    require_round_action(db, vr, "register_paper_voter")
    errors: dict[str, Msg] = {}
    area = _place_of_kind(db, area_id, "area")
    if area is None or not area.path.startswith(vr.scope.path) and not vr.scope.path.startswith(area.path):
        errors["area_id"] = Msg(N_("Please choose the resident's residential area."))
    elif not permissions.allowed("enter_paper_ballot", actor, area.ids_from_root):
        errors["area_id"] = Msg(N_("You can only register residents of the areas you serve."))
    group = None
    if building_group_id not in (None, ""):
        group = _place_of_kind(db, building_group_id, "building_group")
        if group is None or area is None or not group.path.startswith(area.path):
            errors["building_group_id"] = Msg(N_("This building group is not in that area."))
    name, id_last4, note = clean_text(name), clean_text(id_last4).upper(), clean_text(note)
    if not name or len(name) > 40:
        errors["name"] = Msg(N_("Please enter the resident's name (at most %(max)s characters)."), {"max": 40})
    elif problem := account_rules.person_name_problem(name):
        errors["name"] = problem
    if len(id_last4) != 4 or not (id_last4.isascii() and id_last4.isalnum()):
        errors["id_last4"] = Msg(N_("Please enter the last four characters of the identity card."))
    if len(note) > 100:
        errors["note"] = Msg(N_("This can have at most %(max)s characters."), {"max": 100})
    if errors:
        raise FieldErrors(errors)
    voter = PaperVoter(area_id=area.id, building_group_id=group.id if group else None, name=name,
                       id_last4=id_last4, note=note, created_at=now, created_by=actor.user_id)
    try:
        with db.begin_nested():
            db.add(voter)
            db.flush()
    except IntegrityError:
        raise FieldErrors({"name": Msg(N_("%(name)s (…%(last4)s) is already registered in this area."),
                                       {"name": name, "last4": id_last4})}) from None
    audit.record(db, actor_id=actor.user_id, action="register_paper_voter", target_type="paper_voter",
                 target_id=voter.id, place_id=area.id)
    return voter


@dataclass(frozen=True)
class Linked:
    person: PaperVoter
    user: User
    #: rounds not yet published where the person had voted both ways: the later ballot
    #: was removed, the first one stands (as it would have, had they been linked before)
    removed: int
    #: published rounds where both were counted: their results stand as published
    published_both: int


def link_paper_voter(db: Session, actor: Actor, vr: VoteRound, *, paper_voter_id, phone: str,
                     now: datetime) -> Linked:
    """A paper-only resident has opened an account: from now on they vote as that account.

    Their paper ballots move to the account's key, so the database's one ballot per voter
    and round covers both channels again. Where they have already voted both ways in a
    round not yet published, the first ballot stands and the later one is removed, as the
    second would have been refused had the two been known as one person."""
    _may_enter_paper(actor, vr, db)
    require_round_action(db, vr, "link_paper_voter")
    row = _paper_voter_row(db, paper_voter_id)
    if row is None or not row[1].path.startswith(vr.scope.path):
        raise FieldErrors({"link_voter": Msg(N_("Please choose a registered paper-only resident."))})
    person, area = row
    if not permissions.allowed("enter_paper_ballot", actor, area.ids_from_root):
        raise FieldErrors({"link_voter": Msg(N_("You can only register residents of the areas you serve."))})
    if person.user_id is not None:
        raise FieldErrors({"link_voter": Msg(N_("%(name)s is already linked to an account."),
                                             {"name": person.name})})
    user = accounts.find_by_login(db, clean_text(phone))
    if user is None:
        raise FieldErrors({"link_phone": Msg(N_("No account has this mobile number."))})
    if resident_place(db, communities.actor_for(db, user), area, "vote") is None:
        raise FieldErrors({"link_phone": Msg(N_("This account is not a verified resident of %(place)s yet. Verify it first, then link it."),
                                             {"place": area.name})})
    taken = db.exec(select(PaperVoter.name).where(PaperVoter.user_id == user.id)).first()
    if taken is not None:
        raise FieldErrors({"link_phone": Msg(N_("This account is already linked to the paper-only resident %(name)s."),
                                             {"name": taken})})
    # The person's paper keys, one per vote round: a key names its round (``secrecy``).
    rounds = db.exec(select(Round.id).where(Round.kind == "vote")).all()
    paper_keys = {secrecy.paper_key(round_id, person.id): round_id for round_id in rounds}
    removed = published_both = 0
    for paper in db.exec(select(Ballot).where(Ballot.voter_key.in_(paper_keys))
                         .order_by(Ballot.round_id).with_for_update()).all():
        if paper_keys[paper.voter_key] != paper.round_id:
            continue
        old_key, new_key = paper.voter_key, secrecy.user_key(paper.round_id, user.id)
        online = db.exec(select(Ballot).where(Ballot.round_id == paper.round_id,
                                              Ballot.voter_key == new_key).with_for_update()).first()
        if published_result(db, paper.round_id) is not None:  # its ballots stand as published
            published_both += online is not None
            continue
        if online is not None:
            # Ballots keep only their day: cast on the same day, the paper ballot stands.
            later = online if online.created_at >= paper.created_at else paper
            _remove_ballot(db, later)
            removed += 1
            if later is paper:
                continue
            db.flush()  # the account's key is free now
        paper.voter_key, paper.updated_at = new_key, rules.ballot_day(now)
        db.add(paper)
        db.execute(update(PaperEntry).where(PaperEntry.round_id == paper.round_id,
                                            PaperEntry.voter_key == old_key)
                   .values(voter_key=new_key))
    person.user_id = user.id
    db.add(person)
    audit.record(db, actor_id=actor.user_id, action="link_paper_voter", target_type="paper_voter",
                 target_id=person.id, place_id=area.id, user_id=user.id, removed=removed,
                 published_both=published_both)
    db.flush()
    return Linked(person, user, removed, published_both)


def _remove_ballot(db: Session, ballot: Ballot) -> None:
    """A ballot and everything keyed to it: its choices, its paper entries."""
    db.execute(delete(BallotChoice).where(BallotChoice.ballot_id == ballot.id))
    if ballot.serial is not None:
        db.execute(delete(PaperEntry).where(PaperEntry.round_id == ballot.round_id,
                                            PaperEntry.serial == ballot.serial))
    db.delete(ballot)


def _place_of_kind(db: Session, place_id, kind: str) -> Place | None:
    place = find(db, Place, place_id)
    return place if place is not None and place.kind == kind else None


def _paper_voter_row(db: Session, paper_voter_id) -> tuple[PaperVoter, Place] | None:
    """A registered paper-only resident and their area, by an id typed or picked on a form."""
    number = parse_id(paper_voter_id)
    if number is None:
        return None
    return db.exec(select(PaperVoter, Place).join(Place, Place.id == PaperVoter.area_id)
                   .where(PaperVoter.id == number)).first()


def paper_voter_of(db: Session, actor: Actor, vr: VoteRound, *, phone: str = "", paper_voter_id="",
                   home_id="") -> Voter:
    """The voter a paper ballot is for: an account holder (by mobile number), a registered
    paper-only resident, or (owner votes) a home. Exactly one must be given."""
    phone, paper_voter_id, home_id = (clean_text(phone), clean_text(paper_voter_id),
                                      clean_text(home_id))
    given = [name for name, value in (("phone", phone), ("paper_voter_id", paper_voter_id),
                                      ("home_id", home_id)) if value]
    if len(given) != 1:
        raise FieldErrors({"voter": Msg(N_("Say who the ballot is for: a mobile number, a paper-only resident or a home — exactly one."))})
    if vr.settings.eligibility == "owners":
        if not home_id:
            raise FieldErrors({"voter": Msg(N_("In this round each home has one ballot: choose the home."))})
        number = parse_id(home_id)
        row = None if number is None else db.exec(
            select(Home, Place).join(Place, Place.id == Home.estate_id).where(Home.id == number)).first()
        if row is None or not row[1].path.startswith(vr.scope.path):
            raise FieldErrors({"voter": Msg(N_("There is no such home in %(place)s."), {"place": vr.scope.name})})
        home, estate = row
        return Voter(secrecy.home_key(vr.id, home.id), None, _area_id(estate), home.building_group_id,
                     f"{estate.name} {home.code}", home.id)
    if phone:
        user = accounts.find_by_login(db, phone)
        if user is None:
            raise FieldErrors({"voter": Msg(N_("No account has this mobile number. Register the resident as a paper-only voter instead."))})
        resident = communities.actor_for(db, user)
        place = resident_place(db, resident, vr.scope, "vote")
        if place is None:
            raise FieldErrors({"voter": Msg(N_("%(name)s is not a verified resident of %(place)s and cannot vote in this round."),
                                            {"name": user.display_name, "place": vr.scope.name})})
        area = _area_id(place)
        return Voter(secrecy.user_key(vr.id, user.id), user.id, area, _building_group(db, user.id, area),
                     user.display_name)
    if home_id:
        raise FieldErrors({"voter": Msg(N_("In this round residents vote, not homes."))})
    row = _paper_voter_row(db, paper_voter_id)
    if row is None or not row[1].path.startswith(vr.scope.path):
        raise FieldErrors({"voter": Msg(N_("Please choose a registered paper-only resident."))})
    pv, _area = row
    if pv.user_id is not None:  # linked to the account they opened: one voter, one key
        return Voter(secrecy.user_key(vr.id, pv.user_id), pv.user_id, pv.area_id, pv.building_group_id,
                     pv.name)
    return Voter(secrecy.paper_key(vr.id, pv.id), None, pv.area_id, pv.building_group_id, pv.name)


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
    _replace_choices(db, ballot.id, checked.choices, new=True)
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


# Written out so that the database uses the index of uncounted ballots
# (``ix_ballot_round_uncounted``, partial on exactly this condition).
UNCOUNTED = Ballot.status != "counted"


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
    _replace_choices(db, ballot.id, [rules.Choice(i, p, r) for i, p, r in entry.choices])
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


# -- turnout ------------------------------------------------------------------------------


@dataclass
class TurnoutRow:
    place: Place
    voted: int
    eligible: int | None

    @property
    def share(self) -> str:
        return rules.turnout_share(self.voted, self.eligible)


@dataclass
class Turnout:
    total: int
    by_channel: dict[str, int]
    by_status: dict[str, int]
    areas: list[TurnoutRow]
    groups: list[tuple[Place, TurnoutRow]]
    unknown_area: int
    unknown_group: int
    eligible_total: int | None


def turnout(db: Session, actor: Actor | None, vr: VoteRound, *, check: bool = True) -> Turnout:
    """Ballots by residential area and building group: counts only, never choices (four queries)."""
    if check and not staff_within(db, actor, vr, "view_turnout"):
        raise Forbidden()
    rows = db.exec(select(Ballot.area_id, Ballot.building_group_id, Ballot.channel, Ballot.status,
                          func.count()).where(Ballot.round_id == vr.id)
                   .group_by(Ballot.area_id, Ballot.building_group_id, Ballot.channel,
                             Ballot.status)).all()
    by_channel: dict[str, int] = defaultdict(int)
    by_status: dict[str, int] = defaultdict(int)
    area_votes: dict[int | None, int] = defaultdict(int)
    group_votes: dict[int | None, int] = defaultdict(int)
    for area_id, group_id, channel, status, n in rows:
        by_status[status] += n
        if status != "counted":
            continue
        by_channel[channel] += n
        area_votes[area_id] += n
        group_votes[group_id] += n
    eligible = _eligible_by_place(db, vr)
    places = {p.id: p for p in db.exec(select(Place).where(
        Place.id.in_([i for i in (*area_votes, *group_votes, *eligible) if i is not None]))).all()}
    scope_areas = [p for p in areas_in_scope(db, vr) if p.kind == "area"]
    for area in scope_areas:
        places.setdefault(area.id, area)
    area_ids = sorted({a.id for a in scope_areas} | {i for i in area_votes if i is not None},
                      key=lambda i: (places[i].position, i))
    areas = [TurnoutRow(places[i], area_votes.get(i, 0), eligible.get(i)) for i in area_ids]
    groups = []
    for group_id in sorted((i for i in group_votes if i is not None and i in places),
                           key=lambda i: places[i].path):
        group = places[group_id]
        area = places.get(_area_id(group))
        groups.append((area, TurnoutRow(group, group_votes[group_id], eligible.get(group_id))))
    counted = by_status.get("counted", 0)
    eligible_total = sum(v for k, v in eligible.items() if places.get(k) and places[k].kind == "area") or None
    return Turnout(counted, dict(by_channel), dict(by_status), areas, groups,
                   area_votes.get(None, 0), group_votes.get(None, 0), eligible_total)


def _eligible_by_place(db: Session, vr: VoteRound) -> dict[int, int]:
    """How many could vote, by area (and by building group for homes)."""
    scope = vr.scope
    if vr.settings.eligibility == "owners":
        estate = Place.__table__.alias("estate")
        rows = db.exec(select(Home.building_group_id, estate.c.path, func.count())
                       .select_from(Home).join(estate, estate.c.id == Home.estate_id)
                       .where(estate.c.path.startswith(scope.path))
                       .group_by(Home.building_group_id, estate.c.path)).all()
        counts: dict[int, int] = defaultdict(int)
        for group_id, path, n in rows:
            ids = [int(x) for x in path.strip("/").split("/")]
            if len(ids) > 1:
                counts[ids[1]] += n
            if group_id is not None:
                counts[group_id] += n
        return dict(counts)
    residents = db.exec(select(RoleAssignment.place_id, func.count(RoleAssignment.user_id.distinct()))
                        .join(Place, Place.id == RoleAssignment.place_id)
                        .where(RoleAssignment.role == "resident", Place.kind == "area",
                               Place.path.startswith(scope.path))
                        .group_by(RoleAssignment.place_id)).all()
    paper = db.exec(select(PaperVoter.area_id, func.count()).join(Place, Place.id == PaperVoter.area_id)
                    .where(Place.path.startswith(scope.path), PaperVoter.user_id.is_(None))
                    .group_by(PaperVoter.area_id)).all()
    counts = defaultdict(int)
    for place_id, n in [*residents, *paper]:
        counts[place_id] += n
    return dict(counts)


# -- counting and publishing --------------------------------------------------------------


def counted_ballots(db: Session, round_id: int) -> list[list[tuple[int, int, int | None]]]:
    """The choices of every counted ballot (empty ballots included), in ballot order (one query)."""
    rows = db.exec(select(Ballot.id, BallotChoice.idea_id, BallotChoice.points, BallotChoice.rank)
                   .outerjoin(BallotChoice, BallotChoice.ballot_id == Ballot.id)
                   .where(Ballot.round_id == round_id, Ballot.status == "counted")
                   .order_by(Ballot.id, BallotChoice.rank, BallotChoice.idea_id)).all()
    ballots: dict[int, list[tuple[int, int, int | None]]] = {}
    for ballot_id, idea_id, points, rank in rows:
        choices = ballots.setdefault(ballot_id, [])
        if idea_id is not None:
            choices.append((idea_id, points, rank))
    return list(ballots.values())


def count_round(db: Session, vr: VoteRound, ideas: list[IdeaOnBallot] | None = None) -> rules.Count:
    """Count the round's ballots now (publication stores this; a recount repeats it)."""
    ideas = ideas if ideas is not None else ideas_on_ballot(db, vr)
    problems = rules.settings_problems(rules.SettingsValues(**{
        name: getattr(vr.settings, name) for name in rules.SETTINGS_FIELDS}), vr.consultation.budget_fen)
    if problems:
        raise Conflict(N_("The vote's settings are incomplete; complete them before counting."),
                       code="settings_incomplete")
    try:
        return rules.count(vr.settings, [(i.id, i.cost_fen) for i in ideas],
                           counted_ballots(db, vr.id), vr.budget_fen)
    except BallotError:
        raise Conflict(N_("A ballot names an idea that is no longer in this round; the round cannot be counted."),
                       code="uncountable") from None


def published_result(db: Session, round_id: int) -> VoteResult | None:
    return db.exec(select(VoteResult).where(VoteResult.round_id == round_id)).first()


def publish(db: Session, actor: Actor | None, vr: VoteRound, now: datetime) -> VoteResult:
    """Count the closed round and publish the result; the notice period starts now.

    ``actor`` None is the command line (an import published at once).
    """
    if actor is not None and not permissions.allowed("publish_results", actor, _scope_path(vr)):
        raise Forbidden()
    if vr.state != "closed":
        raise Conflict(N_("Results can be published only after the vote has closed."),
                       code="round_not_closed")
    require_round_action(db, vr, "publish")
    waiting = db.exec(select(func.count()).select_from(Ballot).where(
        Ballot.round_id == vr.id, UNCOUNTED, Ballot.status.in_(("pending", "disputed")))).one()
    if waiting:
        raise Conflict(N_("%(n)s paper ballots wait for a second entry or a moderator's decision. Finish them before publishing."),
                       n=waiting, code="paper_waiting")
    ideas = ideas_on_ballot(db, vr)
    counted = count_round(db, vr, ideas)
    result = VoteResult(round_id=vr.id, rule=counted.result.rule, parameters=counted.parameters,
                        scores=counted.result.scores, selected=counted.selected_ids,
                        ballot_digest=counted.digest, ballots=counted.ballots,
                        tie_breaking=tally.TIE_BREAKING, published_at=now,
                        published_by=actor.user_id if actor else None,
                        notice_until=rules.notice_until(now, vr.settings.notice_days))
    db.add(result)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        raise Conflict(N_("The results of this round are already published."), code="published") from None
    authors = db.exec(select(Idea.id, Idea.author_id).join(IdeaRound, IdeaRound.idea_id == Idea.id)
                      .where(IdeaRound.round_id == vr.id)).all()
    for user_id in sorted({a for _, a in authors}):
        notifications.notify(db, user_id=user_id, kind="vote_results_published",
                             params={"title": vr.consultation.title}, link=f"/rounds/{vr.id}/results")
    audit.record(db, actor_id=actor.user_id if actor else None, action="publish_results",
                 target_type="round", target_id=vr.id, place_id=vr.scope.id,
                 digest=counted.digest, ballots=counted.ballots)
    db.flush()
    return result


@dataclass
class Recount:
    count: rules.Count
    matches: bool


def recount(db: Session, vr: VoteRound, result: VoteResult) -> Recount:
    """Count again from the stored ballots and compare with the published result."""
    counted = count_round(db, vr)
    matches = (counted.selected_ids == list(result.selected)
               and counted.result.scores == dict(result.scores)
               and counted.digest == result.ballot_digest)
    return Recount(counted, matches)


@dataclass
class ResultRow:
    idea: IdeaOnBallot
    score: int
    selected: bool
    position: int | None  # the order the rule selected it in (1-based)


@dataclass
class Results:
    vr: VoteRound
    result: VoteResult
    rows: list[ResultRow]
    method: list[Msg]
    selected_cost_fen: int
    objections: list[Objection]
    notice_open: bool


def results(db: Session, vr: VoteRound, now: datetime) -> Results:
    """The published results, ideas best first (four queries)."""
    result = published_result(db, vr.id)
    if result is None:
        raise NotFound(N_("The results of this vote are not published yet. They are published after the vote closes."))
    ideas = ideas_on_ballot(db, vr)
    by_id = {i.id: i for i in ideas}
    order = {idea_id: n for n, idea_id in enumerate(result.selected, start=1)}
    bars = rules.bar_items([(i.id, i.title, i.cost_fen) for i in ideas], result.scores,
                          result.selected)
    rows = [ResultRow(by_id[i], score, chosen, order.get(i)) for i, _, score, chosen in bars]
    objections = list(db.exec(select(Objection).where(Objection.round_id == vr.id)
                              .order_by(Objection.id)).all())
    return Results(vr, result, rows, rules.method_description(result.parameters),
                   sum(by_id[i].cost_fen or 0 for i in result.selected if i in by_id), objections,
                   rules.notice_open(result.notice_until, result.finalized_at, now))


# -- objections and the outcome -----------------------------------------------------------


def file_objection(db: Session, actor: Actor, user: User | None, vr: VoteRound, body: str,
                   now: datetime) -> Objection:
    if user is None:
        raise NotSignedIn()
    """One open objection per resident and result: while it waits for its answer, they
    change or lengthen it (``edit_objection``) instead of raising another."""
    _may_object(db, actor, user, vr, now)
    body = clean_text(body)
    if problem := rules.objection_problem(body):
        raise FieldErrors({"body": problem})
    if open_objection(db, vr.id, user.id) is not None:
        raise Conflict(N_("Your objection still waits for its answer. You can change or add to it instead of raising another."),
                       code="objection_open")
    objection = Objection(round_id=vr.id, user_id=user.id, body=body, created_at=now)
    try:
        with db.begin_nested():
            db.add(objection)
            db.flush()
    except IntegrityError:  # the same resident's other request, a moment ago
        raise Conflict(N_("Your objection still waits for its answer. You can change or add to it instead of raising another."),
                       code="objection_open") from None
    return objection


def _may_object(db: Session, actor: Actor, user: User | None, vr: VoteRound, now: datetime) -> None:
    if user is None:
        raise NotSignedIn()
    if resident_place(db, actor, vr.scope, "file_objection") is None:
        raise Forbidden(Msg(N_("Only verified residents of %(place)s can raise an objection."),
                            {"place": vr.scope.name}))
    require_round_action(db, vr, "file_objection")
    result = published_result(db, vr.id)
    if not rules.notice_open(result.notice_until, result.finalized_at, now):
        raise Conflict(N_("Objections can be raised only during the notice period after publication."),
                       code="notice_closed")


def open_objection(db: Session, round_id: int, user_id: int) -> Objection | None:
    """The resident's objection on this result still waiting for its answer, if any."""
    return db.exec(select(Objection).where(Objection.round_id == round_id, Objection.user_id == user_id,
                                           Objection.answered_at.is_(None))).first()


def objection_round_id(db: Session, objection_id) -> int:
    objection = find(db, Objection, objection_id)
    if objection is None:
        raise NotFound()
    return objection.round_id


def edit_objection(db: Session, actor: Actor, user: User | None, objection_id, body: str,
                   now: datetime) -> tuple[Objection, VoteRound]:
    """A resident changes or lengthens their own objection while it waits for its answer."""
    objection = find(db, Objection, objection_id)
    if objection is None:
        raise NotFound()
    vr = load_round(db, objection.round_id, now)
    _may_object(db, actor, user, vr, now)
    if problem := rules.objection_edit_problem(objection.user_id, user.id, objection.answered_at is not None):
        raise (Forbidden if objection.user_id != user.id else Conflict)(problem)
    body = clean_text(body)
    if problem := rules.objection_problem(body):
        raise FieldErrors({"body": problem})
    objection.body, objection.edited_at = body, now
    db.add(objection)
    db.flush()
    return objection, vr


def answer_objection(db: Session, actor: Actor, objection_id: int, answer: str,
                     now: datetime) -> tuple[Objection, VoteRound]:
    objection = db.get(Objection, objection_id)
    if objection is None:
        raise NotFound()
    vr = load_round(db, objection.round_id, now)
    if not permissions.allowed("answer_objection", actor, _scope_path(vr)):
        raise Forbidden()
    if permissions.acting_on_own_request(actor, (objection.user_id,)):
        raise Forbidden(N_("This is your own objection, so another moderator answers it. Ask a colleague of the area or of the sub-district."),
                        code="own_request")
    if objection.answered_at is not None:
        raise Conflict(N_("This objection has already been answered."))
    require_round_action(db, vr, "answer_objection")
    answer = clean_text(answer)
    if problem := rules.objection_problem(answer, rules.MAX_ANSWER):
        raise FieldErrors({"answer": Msg(N_("Please write the answer; it is shown publicly."))
                           if not answer else problem})
    objection.answer, objection.answered_at, objection.answered_by = answer, now, actor.user_id
    db.add(objection)
    notifications.notify(db, user_id=objection.user_id, kind="objection_answered",
                         params={"title": vr.consultation.title}, link=f"/rounds/{vr.id}/results")
    audit.record(db, actor_id=actor.user_id, action="answer_objection", target_type="round",
                 target_id=vr.id, place_id=vr.scope.id)
    db.flush()
    return objection, vr


def finalize(db: Session, actor: Actor | None, vr: VoteRound, now: datetime) -> VoteResult:
    """After the notice period, the selected ideas become projects (state "selected").

    ``actor`` None is the scheduled command (``finalize_due``)."""
    if actor is not None and not permissions.allowed("publish_results", actor, _scope_path(vr)):
        raise Forbidden()
    require_round_action(db, vr, "finalize")
    result = published_result(db, vr.id)
    unanswered = db.exec(select(func.count()).select_from(Objection).where(
        Objection.round_id == vr.id, Objection.answered_at.is_(None))).one()
    if problem := rules.finalize_problem(result.notice_until, result.finalized_at, unanswered, now):
        raise Conflict(problem)
    consultations.record_outcome(db, actor, vr.round, list(result.selected), now)
    by = actor.user_id if actor else None
    result.finalized_at, result.finalized_by = now, by
    db.add(result)
    audit.record(db, actor_id=by, action="confirm_vote_outcome",
                 target_type="round", target_id=vr.id, place_id=vr.scope.id,
                 selected=len(result.selected))
    db.flush()
    return result


@dataclass(frozen=True)
class DueOutcome:
    round_id: int
    title: str
    selected: int | None  # None: not confirmed
    problem: Msg | None = None


def finalize_due(db: Session, now: datetime) -> list[DueOutcome]:
    """Confirm every published outcome whose notice period has ended: what a committee
    would otherwise do by hand. A round with an objection still unanswered waits for
    its answer, and is listed with the reason."""
    due = db.exec(select(VoteResult.round_id).where(VoteResult.finalized_at.is_(None),
                                                    VoteResult.notice_until <= now)
                  .order_by(VoteResult.round_id)).all()
    done = []
    for round_id in due:
        vr = load_round(db, round_id, now)
        title = vr.round.title or vr.consultation.title
        try:
            with db.begin_nested():
                result = finalize(db, None, vr, now)
        except Conflict as refused:
            done.append(DueOutcome(round_id, title, None, refused.msg))
            continue
        done.append(DueOutcome(round_id, title, len(result.selected)))
    return done


# -- open data: exports and imports -------------------------------------------------------

VOTE_TYPES = {"approval": "approval", "approval_budget": "approval", "choose_one": "choose-1",
              "cumulative": "cumulative", "ordinal": "ordinal"}


def export_election(db: Session, vr: VoteRound) -> pabulib.Election:
    """The published round as an anonymous pabulib election: ballots shuffled, voter ids
    1…N handed out after shuffling, so neither order nor id tells who voted."""
    result = published_result(db, vr.id)
    if result is None:
        raise NotFound(N_("The results of this vote are not published yet. They are published after the vote closes."))
    p = result.parameters
    unit = int(p.get("money_unit_fen") or 100)
    ideas = ideas_on_ballot(db, vr)
    kind = p.get("ballot_kind", vr.settings.ballot_kind)
    meta = {
        "description": vr.consultation.title, "country": "China", "unit": vr.scope.name,
        "instance": str(vr.consultation.year), "num_projects": str(len(ideas)),
        "num_votes": "0", "budget": str((p.get("budget_fen") or 0) // unit),
        "vote_type": VOTE_TYPES[kind], "rule": result.rule,
        "currency": "CNY" if unit == 100 else "CNY fen",
    }
    if kind in ("approval", "approval_budget", "ordinal") and p.get("min_choices"):
        meta["min_length"] = str(p["min_choices"])
    if kind in ("approval", "approval_budget") and p.get("max_choices"):
        meta["max_length"] = str(p["max_choices"])
    if kind == "choose_one":
        meta["min_length"] = meta["max_length"] = "1"
    if kind == "ordinal":
        meta["max_length"] = str(p.get("ranking_length"))
    if kind == "approval_budget":
        meta["max_sum_cost"] = meta["budget"]
    if kind == "cumulative":
        meta["max_sum_points"] = str(p.get("max_points"))
        if p.get("max_points_per_idea"):
            meta["max_points"] = str(p["max_points_per_idea"])
    if p.get("min_score") is not None and result.rule == "greedy-threshold":
        meta["min_project_score_threshold"] = str(p["min_score"])
    if p.get("k") is not None and result.rule == "top-k":
        meta["k"] = str(p["k"])
    meta["ballot_digest"] = result.ballot_digest
    chosen = set(result.selected)
    score_column = "votes" if kind in rules.APPROVAL_KINDS else "score"
    projects = [pabulib.PbProject(str(i.id), (i.cost_fen or 0) // unit, {
        score_column: str(result.scores.get(str(i.id), 0)), "name": i.title,
        "category": i.category_name, "selected": "1" if i.id in chosen else "0"}) for i in ideas]
    ballots = counted_ballots(db, vr.id)
    random.SystemRandom().shuffle(ballots)
    votes = []
    for n, choices in enumerate(ballots, start=1):
        if kind == "ordinal":
            ordered = sorted(choices, key=lambda c: c[2] or 0)
        else:
            ordered = sorted(choices)
        ids = tuple(str(i) for i, _, _ in ordered)
        points = tuple(pt for _, pt, _ in ordered) if kind in ("cumulative", "ordinal") else None
        votes.append(pabulib.PbVote(str(n), ids, points))
    meta["num_votes"] = str(len(votes))
    return pabulib.Election(meta, projects, votes)


def export_pb(db: Session, vr: VoteRound) -> str:
    return pabulib.dump(export_election(db, vr))


def export_csv(db: Session, vr: VoteRound) -> str:
    """The anonymous ballots as CSV text (voter, ideas, points); downloads add the BOM
    Excel needs (``consult.web.downloads.excel_csv``)."""
    election = export_election(db, vr)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["voter_id", "ideas", "points"])
    for vote in election.votes:
        writer.writerow([vote.voter_id, ",".join(vote.vote),
                         ",".join(map(str, vote.points)) if vote.points is not None else ""])
    return out.getvalue()


class PbImportError(ValueError):
    """A ``.pb`` file that parses but cannot become a vote round."""


IMPORT_AUTHOR = "pabulib-import"


@dataclass
class Imported:
    consultation: Consultation
    round: Round
    idea_ids: dict[str, int] = field(default_factory=dict)  # pb project id → idea id
    ballots: int = 0


def _import_settings(election: pabulib.Election) -> VoteSettings:
    meta = election.meta
    rule = meta.get("rule")
    if rule not in tally.RULES:
        raise PbImportError(f"unknown or missing rule {rule!r}; expected one of {', '.join(tally.RULES)}")

    def number(key: str) -> int | None:
        value = meta.get(key, "").strip()
        return int(value) if value.isdigit() else None

    vote_type = election.vote_type
    settings = VoteSettings(rule=rule, min_score=number("min_project_score_threshold"),
                            k=number("k"), min_choices=number("min_length") or 0,
                            max_choices=number("max_length"), notice_days=0)
    if vote_type == "approval":
        budget_ballot = number("max_sum_cost") is not None and number("max_sum_cost") == election.budget
        settings.ballot_kind = "approval_budget" if budget_ballot else "approval"
    elif vote_type == "choose-1":
        settings.ballot_kind, settings.min_choices, settings.max_choices = "choose_one", 1, 1
    elif vote_type in pabulib.POINTS_TYPES:
        settings.ballot_kind = "cumulative"
        settings.max_points = number("max_sum_points") or max(
            (sum(v.points or ()) for v in election.votes), default=1)
        settings.max_points_per_idea = number("max_points")
    else:
        settings.ballot_kind = "ordinal"
        longest = max(election.votes, key=lambda v: len(v.vote), default=None)
        per_rank = list(longest.points) if longest is not None and longest.points else []
        if longest is not None and not per_rank:  # the format's default: L, L-1, …, 1
            length = number("max_length") or len(longest.vote)
            per_rank = list(range(length, 0, -1))
        for vote in election.votes:
            if vote.points is not None and list(vote.points) != per_rank[:len(vote.vote)]:
                raise PbImportError(f"voter {vote.voter_id}: ordinal points differ from the "
                                    f"points per rank {per_rank}; they cannot be imported")
        settings.points_per_rank = per_rank
        settings.ranking_length = max(len(per_rank), number("max_length") or 0) or 1
        if settings.ranking_length > len(per_rank):
            settings.points_per_rank = per_rank + [0] * (settings.ranking_length - len(per_rank))
    if rule.startswith("equalshares") and settings.ballot_kind not in rules.APPROVAL_KINDS:
        raise PbImportError(f"{rule} needs approval ballots")
    if rule == "greedy-threshold" and settings.min_score is None:
        raise PbImportError("greedy-threshold needs min_project_score_threshold in META")
    if rule == "top-k" and settings.k is None:
        raise PbImportError("top-k needs k in META")
    return settings


def _fen(amount, what: str) -> int:
    """An amount of the file's money as fen; the platform keeps no finer unit."""
    try:
        return pabulib.Election.fen(amount)
    except ValueError:
        raise PbImportError(f"{what} ({amount}) has more than two decimals: the platform "
                            "keeps money in fen") from None


def _import_author(db: Session) -> User:
    user = db.exec(select(User).where(User.login == IMPORT_AUTHOR)).first()
    if user is None:
        user = User(login=IMPORT_AUTHOR, display_name="Open data import", password_hash=None)
        db.add(user)
        db.flush()
    return user


def import_election(db: Session, election: pabulib.Election, *, place: Place, now: datetime,
                    title: str | None = None) -> Imported:
    """Create a consultation with one closed vote round, its ideas and the file's ballots.

    Costs become fen (×100); the project order of the file is the ideas' order, which
    the tie-breaking uses. Rows are inserted in bulk: a 4,000-ballot file takes a moment.
    """
    settings = _import_settings(election)
    meta = election.meta
    name = clean_text(title or meta.get("description") or "pabulib")[:120]
    year = int(meta["instance"]) if meta.get("instance", "").isdigit() and 2000 <= int(meta["instance"]) <= 2100 else now.year
    consultation = Consultation(title=name, year=year, scope_place_id=place.id,
                                budget_fen=_fen(election.budget, "the budget"), created_at=now,
                                description=clean_text(meta.get("comment", ""))[:4000])
    db.add(consultation)
    db.flush()
    category = Category(consultation_id=consultation.id, name="导入项目", position=0)
    item = Round(consultation_id=consultation.id, position=1, kind="vote", title=name[:80],
                 opens_at=now - timedelta(days=14), closes_at=now, settings={})
    db.add_all([category, item])
    db.flush()
    author = _import_author(db)
    area_id = _area_id(place)
    idea_rows = [{
        "consultation_id": consultation.id, "author_id": author.id,
        "title": (p.fields.get("name") or f"Project {p.id}")[:60] or f"Project {p.id}",
        "description": f"pabulib project {p.id}"[:2000], "category_id": category.id,
        "place_id": place.id, "area_id": area_id, "estimated_cost_fen": _fen(p.cost, f"the cost of project {p.id}"),
        "state": "shortlisted", "current_round_id": item.id, "support_count": 0, "version": 0,
        "created_at": now, "updated_at": now, "submitted_at": now,
    } for p in election.projects]
    ids = [row.id for row in db.execute(insert(Idea).returning(Idea.id, sort_by_parameter_order=True),
                                        idea_rows)]
    idea_ids = {p.id: i for p, i in zip(election.projects, ids, strict=True)}
    db.execute(insert(IdeaRound), [{"idea_id": i, "round_id": item.id, "at": now} for i in ids])
    settings.round_id = item.id
    settings.source = {"meta": dict(meta), "project_ids": {str(i): pid for pid, i in idea_ids.items()}}
    settings.updated_at = now
    db.add(settings)
    day = rules.ballot_day(now)
    ballot_rows = [{"id": new_ballot_id(), "round_id": item.id, "voter_key": f"import:{n}",
                    "channel": "import", "status": "counted", "created_at": day, "updated_at": day}
                   for n in range(1, len(election.votes) + 1)]
    if ballot_rows:
        db.execute(insert(Ballot), ballot_rows)
    ballot_ids = [row["id"] for row in ballot_rows]
    choice_rows = []
    ordinal = settings.ballot_kind == "ordinal"
    per_rank = settings.points_per_rank or []
    for ballot_id, vote in zip(ballot_ids, election.votes, strict=True):
        # A project named twice (accepted with a warning): its first rank, its points summed.
        chosen: dict[str, dict] = {}
        for r, pid in enumerate(vote.vote):
            points = vote.points[r] if vote.points is not None else (per_rank[r] if ordinal else 1)
            if pid in chosen:
                if not ordinal and vote.points is not None:
                    chosen[pid]["points"] += points
                continue
            chosen[pid] = {"ballot_id": ballot_id, "idea_id": idea_ids[pid], "points": points,
                           "rank": r + 1 if ordinal else None}
        choice_rows.extend(chosen.values())
    if choice_rows:
        db.execute(insert(BallotChoice), choice_rows)
    audit.record(db, actor_id=None, action="import_pabulib", target_type="round", target_id=item.id,
                 place_id=place.id, ballots=len(ballot_ids))
    db.flush()
    return Imported(consultation, item, idea_ids, len(ballot_ids))


def imported_project_ids(vr: VoteRound) -> dict[int, str]:
    """For an imported round: idea id → the project id of the source file."""
    return {int(k): v for k, v in vr.settings.source.get("project_ids", {}).items()}
