"""The greedy rules and top-k, with the tie-breaking every rule shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from consult.voting.tally.ballots import Project

TIE_BREAKING = "higher score, then lower cost, then the project listed first"


def _by_score(projects: Sequence[Project], scores: Mapping[str, int]) -> list[Project]:
    """Projects best first, with the module's tie-breaking."""
    position = {p.id: i for i, p in enumerate(projects)}
    return sorted(projects, key=lambda p: (-scores[p.id], p.cost, position[p.id]))


def greedy(
    projects: Sequence[Project], scores: Mapping[str, int], budget: int, *, skip: bool = True
) -> list[str]:
    """Take projects by score while they fit; ``skip=False`` stops at the first misfit."""
    selected: list[str] = []
    left = budget
    for project in _by_score(projects, scores):
        if project.cost <= left:
            selected.append(project.id)
            left -= project.cost
        elif not skip:
            break
    return selected


def greedy_threshold(
    projects: Sequence[Project], scores: Mapping[str, int], budget: int, min_score: int
) -> list[str]:
    """Greedy (with skipping) among projects whose score reaches ``min_score``."""
    eligible = [p for p in projects if scores[p.id] >= min_score]
    return greedy(eligible, scores, budget)


def top_k(projects: Sequence[Project], scores: Mapping[str, int], k: int) -> list[str]:
    """The ``k`` best-scored projects regardless of cost (e.g. a shortlist round)."""
    return [p.id for p in _by_score(projects, scores)[:k]]
