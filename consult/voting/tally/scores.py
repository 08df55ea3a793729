"""Scores: approval and choose-one count ballots, cumulative sums points, ordinal sums points per rank."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain

from consult.voting.tally.ballots import BallotError, Project


def _zero_scores(projects: Sequence[Project]) -> dict[str, int]:
    return {p.id: 0 for p in projects}


def approval_scores(
    projects: Sequence[Project], ballots: Iterable[Iterable[str]]
) -> dict[str, int]:
    """Approval and choose-one: the number of ballots naming each project."""
    scores = _zero_scores(projects)
    for pid, count in Counter(chain.from_iterable(ballots)).items():
        if pid not in scores:
            raise BallotError("unknown_project", project=pid)
        scores[pid] = count
    return scores


def points_scores(
    projects: Sequence[Project], ballots: Iterable[Mapping[str, int]]
) -> dict[str, int]:
    """Cumulative (or any points ballot): the sum of points each project received."""
    scores = _zero_scores(projects)
    for ballot in ballots:
        for pid, points in ballot.items():
            if pid not in scores:
                raise BallotError("unknown_project", project=pid)
            scores[pid] += points
    return scores


def ordinal_scores(
    projects: Sequence[Project],
    rankings: Iterable[Sequence[str]],
    points_per_rank: Sequence[int],
) -> dict[str, int]:
    """Ordinal: the project ranked r-th (0-based) gets ``points_per_rank[r]``."""
    scores = _zero_scores(projects)
    for ranking in rankings:
        if len(ranking) > len(points_per_rank):
            raise BallotError("ranking_too_long", max=len(points_per_rank), count=len(ranking))
        for pid, points in zip(ranking, points_per_rank, strict=False):
            if pid not in scores:
                raise BallotError("unknown_project", project=pid)
            scores[pid] += points
    return scores
