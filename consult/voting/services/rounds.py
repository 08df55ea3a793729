"""Vote rounds: loading a round with what its pages need, its lifecycle, its settings.

A vote round is a consultation round of kind "vote"; this module adds what voting
knows of it: the settings, the state a round's times and published result give it
(``rules.ROUND_STATES``), and the guard consultations ask before changing a vote
round (``_round_guard``, registered in ``consultations.services.ROUND_GUARDS``).

Casting a ballot is the hot path: ``load_ballot_round`` reads the round with the ideas'
costs in one Core statement built once at import, instead of loading four ORM entities
for every ballot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import String, bindparam, func
from sqlalchemy import cast as sa_cast
from sqlalchemy import select as core_select
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import consultations, permissions
from consult.audit import services as audit
from consult.communities.models import Place, PlaceRef
from consult.consultations import Consultation, Idea, IdeaRound, Round, round_state
from consult.db import core
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.voting import rules
from consult.voting.models import Ballot, VoteResult, VoteSettings
from consult.voting.tally import Project

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
