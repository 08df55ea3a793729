"""Open data: pabulib files imported (the exports are ``services.exports``).

An import creates a consultation with one closed vote round, its ideas and the file's
ballots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities.models import Place
from consult.consultations import Category, Consultation, Idea, IdeaRound, Round, clean_text
from consult.voting import pabulib, rules
from consult.voting.models import Ballot, BallotChoice, VoteSettings, new_ballot_id
from consult.voting.services.rounds import VoteRound
from consult.voting.services.voters import _area_id

# -- imports ------------------------------------------------------------------------------


class PbImportError(ValueError):
    """A ``.pb`` file that parses but cannot become a vote round."""


IMPORT_AUTHOR = "pabulib-import"


@dataclass
class Imported:
    consultation: Consultation
    round: Round
    idea_ids: dict[str, int] = field(default_factory=dict)  # pb project id → idea id
    ballots: int = 0


def _import_settings(election: pabulib.Election, rule: str | None = None) -> VoteSettings:
    meta = election.meta
    rule = rule or meta.get("rule")
    try:
        pabulib.check_rule(rule)
    except ValueError as error:
        raise PbImportError(str(error)) from None

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
                    title: str | None = None, rule: str | None = None) -> Imported:
    """Create a consultation with one closed vote round, its ideas and the file's ballots.

    The round counts by the file's META ``rule``, or by ``rule`` when given (a file whose
    rule is ``unknown`` or another the format leaves open needs one).

    Costs become fen (×100); the project order of the file is the ideas' order, which
    the tie-breaking uses. Rows are inserted in bulk: a 4,000-ballot file takes a moment.
    """
    settings = _import_settings(election, rule)
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
    ballot_ids = [row["id"] for row in ballot_rows]
    choice_rows = []
    ordinal = settings.ballot_kind == "ordinal"
    per_rank = settings.points_per_rank or []
    for row, ballot_id, vote in zip(ballot_rows, ballot_ids, election.votes, strict=True):
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
        row["line"] = rules.counted_line(settings.ballot_kind, [
            (c["idea_id"], c["points"], c["rank"]) for c in chosen.values()])
    if ballot_rows:
        db.execute(insert(Ballot), ballot_rows)
    if choice_rows:
        db.execute(insert(BallotChoice), choice_rows)
    audit.record(db, actor_id=None, action="import_pabulib", target_type="round", target_id=item.id,
                 place_id=place.id, ballots=len(ballot_ids))
    db.flush()
    return Imported(consultation, item, idea_ids, len(ballot_ids))


def imported_project_ids(vr: VoteRound) -> dict[int, str]:
    """For an imported round: idea id → the project id of the source file."""
    return {int(k): v for k, v in vr.settings.source.get("project_ids", {}).items()}
