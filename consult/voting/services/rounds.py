"""Vote rounds: loading a round with what its pages need, its lifecycle, its settings.

A vote round is a consultation round of kind "vote"; this module adds what voting
knows of it: the settings, the state a round's times and published result give it
(``rules.ROUND_STATES``), and the guard consultations ask before changing a vote
round (``_round_guard``, registered in ``consultations.services.ROUND_GUARDS``).

Casting a ballot is the hot path: ``load_ballot_round`` reads the round with the ideas'
costs in one statement built once at import, locked: ballots and the end of voting
serialise on the round. A ballot reads its round under a share lock (``SELECT … FOR
SHARE`` on PostgreSQL; on SQLite the write transaction's ``BEGIN IMMEDIATE``) and only
then reads the clock, while closing a round early and publishing its result lock its
row exclusively first (``lock_round``). So a ballot either commits before the close and
publication that follow it, and is counted, or waits for them and is refused as late;
none is acknowledged and left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import String, bindparam, func, literal_column
from sqlalchemy import cast as sa_cast
from sqlalchemy import select as core_select
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock, consultations, permissions
from consult.audit import services as audit
from consult.communities.models import Place
from consult.consultations import Consultation, Idea, IdeaRound, Round, round_state
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.voting import rules
from consult.voting.models import Ballot, VoteResult, VoteSettings
from consult.voting.tally import Project

# -- the round ----------------------------------------------------------------------------


@dataclass
class VoteRound:
    """A vote round with what every voting page needs of it, read in one statement
    (``load_round``; ``load_ballot_round`` for casting)."""

    round: Round
    consultation: Consultation
    scope: Place
    settings: VoteSettings  # a new, unsaved one (the defaults) until a moderator saves them
    state: str  # upcoming | open | closed
    at: datetime  # the time the state was judged at
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


_ROUND, _IDEA, _IDEA_ROUND = Round.__table__, Idea.__table__, IdeaRound.__table__
#: a vote round with its consultation, scope and settings (None until saved)
_ROUND_PARTS = (select(Round, Consultation, Place, VoteSettings)
                .join(Consultation, Consultation.id == Round.consultation_id)
                .join(Place, Place.id == Consultation.scope_place_id)
                .outerjoin(VoteSettings, VoteSettings.round_id == Round.id))
_ONE_ROUND = _ROUND_PARTS.where(Round.id == bindparam("round_id"))

def _idea_costs(aggregate: str):
    """The round's ideas as "id:cost,id:cost,…" (cost empty when unknown): all that checking
    a ballot needs of them, in the same row (their titles are read only to explain a
    refusal). The separator is written in the SQL (``aggregate_strings`` would make it a
    parameter rendered anew at every execution)."""
    item = sa_cast(_IDEA.c.id, String) + ":" + func.coalesce(sa_cast(_IDEA.c.estimated_cost_fen, String), "")
    return (core_select(getattr(func, aggregate)(item, literal_column("','")))
            .select_from(_IDEA_ROUND.join(_IDEA, _IDEA.c.id == _IDEA_ROUND.c.idea_id))
            .where(_IDEA_ROUND.c.round_id == _ROUND.c.id).scalar_subquery())


# The round's row is share-locked (PostgreSQL) until the ballot commits, so that a close or
# a publication waits for it, and it for them.
_BALLOT_ROUND = {dialect: _ONE_ROUND.add_columns(_idea_costs(aggregate)).with_for_update(read=True, of=Round)
                 for dialect, aggregate in (("sqlite", "group_concat"), ("postgresql", "string_agg"))}
_LOCK_ROUND = (core_select(_ROUND.c.id).where(_ROUND.c.id == bindparam("round_id"))
               .with_for_update())


def _vote_round(item: Round, consultation: Consultation, scope: Place,
                settings: VoteSettings | None, now: datetime) -> VoteRound:
    if settings is None:  # defaults until a moderator saves settings
        settings = VoteSettings(round_id=item.id)
    return VoteRound(item, consultation, scope, settings,
                     round_state(item.opens_at, item.closes_at, now), now)


def load_round(db: Session, round_id: int, now: datetime) -> VoteRound:
    row = db.execute(_ONE_ROUND, {"round_id": round_id}).first()
    if row is None or row[0].kind != "vote":
        raise NotFound()
    return _vote_round(*row, now)


def load_ballot_round(db: Session, round_id: int, now: datetime | None = None) -> VoteRound:
    """``load_round`` for casting a ballot, with the ideas as the tally sees them.

    The round is read under a share lock, and its state judged at ``now``: when not
    given, the clock is read after the lock is held (see the module's docstring), which
    is how a web ballot calls it, then casting at ``vr.at``.
    """
    row = db.execute(_BALLOT_ROUND[db.get_bind().dialect.name], {"round_id": round_id}).first()
    if row is None or row[0].kind != "vote":
        raise NotFound()
    *parts, costs = row
    vr = _vote_round(*parts, clock.utcnow() if now is None else now)
    vr.projects = _projects(costs)
    return vr


def lock_round(db: Session, round_id: int) -> None:
    """Lock the round's row until the transaction ends (``SELECT … FOR UPDATE`` on
    PostgreSQL; on SQLite a write transaction holds the database's write lock from its
    ``BEGIN IMMEDIATE``): closing it and publishing its result wait for the ballots in
    flight, and ballots cast after wait for them. Read the clock after this."""
    db.execute(_LOCK_ROUND, {"round_id": round_id})


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
    rows = db.execute(_ROUND_PARTS.where(Round.kind == "vote").order_by(Round.closes_at.desc())).all()
    ids = [r.id for r, *_ in rows]
    published = set(db.exec(select(VoteResult.round_id).where(VoteResult.round_id.in_(ids))).all()) if ids else set()
    order = {"open": 0, "upcoming": 1, "closed": 2}
    summaries = [RoundSummary(_vote_round(*row, now), row[0].id in published) for row in rows]
    return sorted(summaries, key=lambda s: order[s.vr.state])


@dataclass(frozen=True)
class IdeaOnBallot:
    id: int
    title: str
    cost_fen: int | None
    thumbnail_url: str | None
    category_name: str
    place_name: str
    area_id: int | None = None


def ideas_on_ballot(db: Session, vr: VoteRound) -> list[IdeaOnBallot]:
    return [IdeaOnBallot(i.id, i.title, i.estimated_cost_fen, i.thumbnail_url, i.category_name,
                         i.place_name, i.area_id)
            for i in consultations.ideas_in_round(db, vr.round)]


def ballot_groups(db: Session, ideas: list[IdeaOnBallot], own_area: int | None) -> list[rules.BallotGroup]:
    """The ballot's ideas by residential area, the voter's own first (``rules.ballot_groups``);
    the ideas of no area are in a group without a name (``""``)."""
    ids = {i.area_id for i in ideas if i.area_id is not None}
    names = dict(db.exec(select(Place.id, Place.name).where(Place.id.in_(ids))).all()) if ids else {}
    return rules.ballot_groups(ideas, area_of=lambda i: i.area_id, names=names, own_area=own_area,
                               other_name="")


_BALLOT_IDEAS = (core_select(_IDEA.c.id, _IDEA.c.title, _IDEA.c.estimated_cost_fen)
                 .select_from(_IDEA.join(_IDEA_ROUND, _IDEA_ROUND.c.idea_id == _IDEA.c.id))
                 .where(_IDEA_ROUND.c.round_id == bindparam("round_id")).order_by(_IDEA.c.id))


def ballot_ideas(db: Session, vr: VoteRound) -> list[IdeaOnBallot]:
    """The round's ideas with only what checking a ballot and explaining a refusal need (one query)."""
    rows = db.execute(_BALLOT_IDEAS, {"round_id": vr.id}).all()
    return [IdeaOnBallot(i, title, cost, None, "", "") for i, title, cost in rows]


def projects_of(ideas: list[IdeaOnBallot]) -> tuple[Project, ...]:
    """The tally's view of the ideas: ids as text, costs in fen (none given: 0)."""
    return tuple(Project(str(i.id), i.cost_fen or 0) for i in ideas)


def _scope_path(vr: VoteRound) -> tuple[int, ...]:
    return vr.scope.ids_from_root


# -- the round's lifecycle ----------------------------------------------------------------


def published_result(db: Session, round_id: int) -> VoteResult | None:
    return db.exec(select(VoteResult).where(VoteResult.round_id == round_id)).first()


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


# Written out so that the database uses the index of uncounted ballots
# (``ix_ballot_round_uncounted``, partial on exactly this condition).
UNCOUNTED = Ballot.status != "counted"


def has_ballots(db: Session, round_id: int) -> bool:
    return db.exec(select(Ballot.id).where(Ballot.round_id == round_id).limit(1)).first() is not None


def save_settings(db: Session, actor: Actor, vr: VoteRound, form, now: datetime) -> VoteSettings:
    """Save a round's settings. Once voting has opened, what a ballot says and how ballots
    are counted (``rules.COUNT_FIELDS``) can no longer change; once results are published,
    nothing can."""
    if not permissions.allowed("manage_consultation", actor, _scope_path(vr)):
        raise Forbidden()
    state = require_round_action(db, vr, "change_settings")
    values, errors = rules.parse_settings(form, vr.consultation.budget_fen, VoteSettings(round_id=vr.id))
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
