"""Turnout, publishing and the published results of a vote round.

Turnout is counted by area and building group, never with choices. Publishing counts
the closed round (``counting``) and stores the result with its turnout, and writes the
exports from the same pass over the ballots (``exports``): after publication neither the
results nor the turnout page reads a ballot. Before, the turnout is kept per process
while neither the round's ballots nor the register change (``turnout``). A recount
repeats the count from the stored ballots and compares it with what was published.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, inspect
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import consultations, permissions
from consult.audit import services as audit
from consult.cache import Cache
from consult.communities.models import Home, Place, RoleAssignment
from consult.consultations import Idea, IdeaRound
from consult.db.engine import reads_only
from consult.errors import Conflict, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.notifications import services as notifications
from consult.permissions import Actor
from consult.voting import rules, tally
from consult.voting.models import (
    Ballot,
    Objection,
    PaperVoter,
    RegisterVersion,
    VoteResult,
)
from consult.voting.services import exports
from consult.voting.services.counting import count_round
from consult.voting.services.paper import areas_in_scope, staff_within
from consult.voting.services.rounds import (
    UNCOUNTED,
    IdeaOnBallot,
    VoteRound,
    _scope_path,
    ideas_on_ballot,
    lock_round,
    published_result,
    require_round_action,
)
from consult.voting.services.voters import _area_id

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
    #: counted ballots a family member cast for the voter (代办, ``Ballot.assisted``): one
    #: figure for the round, never by area or building group
    assisted: int = 0


#: the turnout of the rounds last shown before publication, as plain values (``_snapshot``:
#: no ORM object outlives its request), by ``_turnout_key``; shared by requests, read-only
_TURNOUT = Cache(64)
_REGISTER = RegisterVersion.__table__
_REGISTER_VERSIONS = core_select(_REGISTER.c.name, _REGISTER.c.version).order_by(_REGISTER.c.name)


def clear_turnout_cache() -> None:
    _TURNOUT.clear()


def turnout(db: Session, actor: Actor | None, vr: VoteRound, *, check: bool = True) -> Turnout:
    """Ballots by residential area and building group: counts only, never choices.

    Published: as kept with the result (two queries). Before: counted from the ballots and
    the register (six to eight queries, a GROUP BY over every ballot of the round), which
    a read request keeps under ``_turnout_key``: the next view while nothing changed reads
    no ballot (three queries: the result, the register's versions, the places, whose
    names are read anew).
    """
    if check and not staff_within(db, actor, vr, "view_turnout"):
        raise Forbidden()
    result = published_result(db, vr.id)
    if result is not None and result.turnout is not None:
        return _from_snapshot(db, result.turnout)
    key = _turnout_key(db, vr)
    if key is None:
        return _count_turnout(db, vr)
    kept = _TURNOUT.get(key)
    if kept is not None:
        return _from_snapshot(db, kept)
    seen = _count_turnout(db, vr)
    _TURNOUT.put(key, _snapshot(seen))
    return seen


def _turnout_key(db: Session, vr: VoteRound) -> tuple | None:
    """Everything the round's turnout depends on, or None when it is not to be kept.

    The database raises the numbers in the key in every writer's transaction (triggers,
    migration voting_0013): the round's ``ballots_version``, read with the round, and one
    ``RegisterVersion`` per table the eligible are counted from, read here, before
    counting, so that what is counted is never older than its key (on PostgreSQL it may
    be newer: a ballot committed in between, whose own number the next request reads).
    The settings' time tells a round's settings from those of a deleted round whose id
    SQLite gave again (a new row starts at version 0 too).

    Not kept: a round whose settings were never saved (no row, no version), and what a
    write session counts (``reads_only``: its own writes may yet be rolled back, and a
    publication counts afresh anyway)."""
    settings = vr.settings
    if not reads_only(db) or not inspect(settings).has_identity:
        return None
    register = tuple((name, version) for name, version in db.execute(_REGISTER_VERSIONS).all())
    return (vr.id, settings.updated_at, settings.ballots_version, settings.eligibility,
            settings.assisted_voting, vr.scope.id, vr.scope.path, register)


def _count_turnout(db: Session, vr: VoteRound) -> Turnout:
    """Turnout counted from the ballots and the register (four to six queries)."""
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
    assisted = db.exec(select(func.count()).select_from(Ballot).where(
        Ballot.round_id == vr.id, Ballot.status == "counted", Ballot.assisted)).one() \
        if vr.settings.assisted_voting else 0
    return Turnout(counted, dict(by_channel), dict(by_status), areas, groups,
                   area_votes.get(None, 0), group_votes.get(None, 0), eligible_total, assisted)


def _snapshot(seen: Turnout) -> dict:
    """Turnout as plain values, kept with a published result (``VoteResult.turnout``) and,
    before publication, in the per-process cache (``_TURNOUT``)."""
    return {"total": seen.total, "by_channel": dict(seen.by_channel), "by_status": dict(seen.by_status),
            "areas": [[row.place.id, row.voted, row.eligible] for row in seen.areas],
            "groups": [[area.id if area is not None else None, row.place.id, row.voted, row.eligible]
                       for area, row in seen.groups],
            "unknown_area": seen.unknown_area, "unknown_group": seen.unknown_group,
            "eligible_total": seen.eligible_total, "assisted": seen.assisted}


def _from_snapshot(db: Session, kept: dict) -> Turnout:
    """A turnout as kept (one query: its places). ``kept`` is only read: a cached one is
    shared by requests."""
    ids = {row[0] for row in kept["areas"]} | {i for row in kept["groups"] for i in row[:2] if i is not None}
    places = {p.id: p for p in db.exec(select(Place).where(Place.id.in_(ids))).all()} if ids else {}
    areas = [TurnoutRow(places[i], voted, eligible) for i, voted, eligible in kept["areas"] if i in places]
    groups = [(places.get(area_id), TurnoutRow(places[group_id], voted, eligible))
              for area_id, group_id, voted, eligible in kept["groups"] if group_id in places]
    return Turnout(kept["total"], dict(kept["by_channel"]), dict(kept["by_status"]), areas, groups,
                   kept["unknown_area"], kept["unknown_group"], kept["eligible_total"],
                   kept.get("assisted", 0))


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


def check_publishable(db: Session, actor: Actor | None, vr: VoteRound) -> int:
    """Lock the round and refuse (nothing changed) a publication its state does not allow:
    not closed yet, published already, paper ballots waiting. Returns the counted ballots.

    Both the request that asks for a publication (``services.jobs.request_publish``) and
    the publication itself check it, so a job asked for in time still refuses a round that
    changed before it ran."""
    if actor is not None and not permissions.allowed("publish_results", actor, _scope_path(vr)):
        raise Forbidden()
    lock_round(db, vr.id)
    if vr.state != "closed":
        raise Conflict(N_("Results can be published only after the vote has closed."),
                       code="round_not_closed")
    require_round_action(db, vr, "publish")
    waiting = db.exec(select(func.count()).select_from(Ballot).where(
        Ballot.round_id == vr.id, UNCOUNTED, Ballot.status.in_(("pending", "disputed")))).one()
    if waiting:
        raise Conflict(N_("%(n)s paper ballots wait for a second entry or a moderator's decision. Finish them before publishing."),
                       n=waiting, code="paper_waiting")
    return db.exec(select(func.count()).select_from(Ballot).where(
        Ballot.round_id == vr.id, Ballot.status == "counted")).one()


def publish(db: Session, actor: Actor | None, vr: VoteRound, now: datetime) -> VoteResult:
    """Count the closed round and publish the result; the notice period starts now.

    ``actor`` None is the command line (an import published at once). The round is
    locked first (``lock_round``): ballots in flight are stored before they are counted.
    A caller that judged ``vr.state`` and read ``now`` after locking it already (the
    page) only repeats the lock.
    """
    total = check_publishable(db, actor, vr)
    ideas = ideas_on_ballot(db, vr)
    with exports.Builder(vr.settings.ballot_kind, total) as files:
        counted = count_round(db, vr, ideas, sink=files.add)
        result = VoteResult(round_id=vr.id, rule=counted.result.rule, parameters=counted.parameters,
                            scores=counted.result.scores, selected=counted.selected_ids,
                            ballot_digest=counted.digest, ballots=counted.ballots,
                            tie_breaking=tally.TIE_BREAKING, published_at=now,
                            published_by=actor.user_id if actor else None,
                            notice_until=rules.notice_until(now, vr.settings.notice_days),
                            turnout=_snapshot(turnout(db, None, vr, check=False)))
        db.add(result)
        try:
            with db.begin_nested():
                db.flush()
        except IntegrityError:
            raise Conflict(N_("The results of this round are already published."), code="published") from None
        exports.record(db, files.write(vr.id, *exports.head(vr, result, ideas)))
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
    """Count again from the stored ballots' choices (not their counted lines, which this
    checks) and compare with the published result."""
    counted = count_round(db, vr, stored=False)
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


def idea_outcome(db: Session, idea_id: int, now: datetime) -> consultations.VoteOutcome | None:
    """What the latest published vote carrying the idea said of it (for the idea page)."""
    result = db.exec(select(VoteResult).join(IdeaRound, IdeaRound.round_id == VoteResult.round_id)
                     .where(IdeaRound.idea_id == idea_id)
                     .order_by(VoteResult.published_at.desc(), VoteResult.id.desc())).first()
    if result is None or str(idea_id) not in result.scores:
        return None
    running = rules.notice_open(result.notice_until, result.finalized_at, now)
    return consultations.VoteOutcome(
        round_id=result.round_id, selected=idea_id in {int(i) for i in result.selected},
        score=int(result.scores[str(idea_id)]), notice_until=result.notice_until if running else None)


consultations.IDEA_OUTCOMES.append(idea_outcome)
