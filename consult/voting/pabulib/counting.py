"""Counting a ``.pb`` file: the scores its votes give and the rule applied (``pb tally``)."""

from __future__ import annotations

from collections.abc import Sequence

from consult.voting.pabulib.files import OPEN_RULES, Election
from consult.voting.tally import (
    RULES,
    Project,
    Result,
    approval_scores,
    ordinal_scores,
    points_scores,
    select,
)


def tally_election(
    election: Election,
    rule: str | None = None,
    *,
    points_per_rank: Sequence[int] | None = None,
    k: int | None = None,
) -> Result:
    """Count an election with its own META ``rule`` unless ``rule`` is given.

    Ordinal ballots score with the file's ``points`` column, or with
    ``points_per_rank`` when given, or else as the format says for a file without
    points: ``max_length`` points for the first rank (META ``max_length``, or the
    longest vote), one less for each rank after.  ``greedy-threshold`` takes its
    threshold from META ``min_project_score_threshold``.  Money is counted in the
    file's smallest unit (``Election.money_scale``); selection does not depend on
    the unit.  A vote naming a project twice counts it once, or once per mention
    when that is how the file's own ``votes``/``score`` column counted.  Raises
    ``ValueError`` when the file lacks what the rule needs.
    """
    rule = rule or election.meta.get("rule")
    check_rule(rule)
    projects = election.tally_projects()
    kind = election.vote_type
    approvals = None
    if kind in ("approval", "choose-1"):
        approvals = [_once(v.vote) for v in election.votes]
    scores = _scores(election, projects, points_per_rank, each=False)
    if any(len(set(v.vote)) != len(v.vote) for v in election.votes):
        published = _published_scores(election)
        if published is not None and scores != published:
            each = _scores(election, projects, points_per_rank, each=True)
            if each == published:
                scores = each
    threshold = election.meta.get("min_project_score_threshold")
    return select(
        rule,
        projects,
        scores,
        election.counting_budget(),
        approvals=approvals,
        min_score=int(threshold) if threshold is not None else None,
        k=k,
    )


def check_rule(rule: str | None, *, option: str = "--rule") -> None:
    """ValueError unless ``rule`` is one we count; a rule the format leaves open says so."""
    if rule in OPEN_RULES:
        raise ValueError(f"the file's rule is {rule!r} ({OPEN_RULES[rule]}), so it cannot be "
                         f"recounted by its own rule; name one with {option} "
                         f"({', '.join(RULES)})")
    if rule not in RULES:
        raise ValueError(f"unknown or missing rule {rule!r}; expected one of {', '.join(RULES)}")


def _once(ids: Sequence[str]) -> tuple[str, ...]:
    """The ids without repeats, first mention kept."""
    return tuple(dict.fromkeys(ids))


def _scores(
    election: Election,
    projects: list[Project],
    points_per_rank: Sequence[int] | None,
    *,
    each: bool,
) -> dict[str, int]:
    """Scores of the file's votes; ``each``: a repeated project counts at every mention."""
    kind = election.vote_type
    if kind in ("approval", "choose-1"):
        return approval_scores(projects, (v.vote if each else _once(v.vote) for v in election.votes))
    if kind == "ordinal" and (points_per_rank is not None
                              or all(v.points is None for v in election.votes)):
        per_rank = points_per_rank
        if per_rank is None:
            length = election.meta.get("max_length", "").strip()
            longest = int(length) if length.isascii() and length.isdecimal() else max(
                (len(v.vote) for v in election.votes), default=0)
            per_rank = list(range(longest, 0, -1))
        rankings = (v.vote if each else _once(v.vote) for v in election.votes)
        return ordinal_scores(projects, rankings, per_rank)
    ballots = []
    for vote in election.votes:
        if vote.points is None:
            raise ValueError(f"{kind} votes need a points column (or points per rank)")
        ballot: dict[str, int] = {}
        for pid, points in zip(vote.vote, vote.points, strict=True):
            if pid not in ballot:
                ballot[pid] = points
            elif each:
                ballot[pid] += points
        ballots.append(ballot)
    return points_scores(projects, ballots)


def _published_scores(election: Election) -> dict[str, int] | None:
    """The file's own count per project (``votes`` for approval, else ``score``), if it has one."""
    column = "votes" if election.vote_type in ("approval", "choose-1") else "score"
    if election.vote_type in ("approval", "choose-1") and not all(
            column in p.fields for p in election.projects):
        column = "score"
    values = {p.id: p.fields.get(column, "").strip() for p in election.projects}
    if not values or not all(v.isascii() and v.isdecimal() for v in values.values()):
        return None
    return {pid: int(v) for pid, v in values.items()}
