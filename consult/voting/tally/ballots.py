"""Projects, results, and checking a ballot: the errors a ballot can have and their messages."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Project:
    """A project on the ballot; ``cost`` in whole money units."""

    id: str
    cost: int

    def __post_init__(self) -> None:
        if not _is_money(self.cost):
            raise ValueError(
                f"cost of project {self.id} must be a whole number >= 0: {self.cost!r}"
            )


def _is_money(value: object) -> bool:
    """Money is a non-negative int: a float here would make results inexact."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass(slots=True)
class Result:
    """The outcome of a rule: ``selected`` in the order the rule picked them."""

    rule: str
    selected: list[str]
    scores: dict[str, int]

    def as_json(self) -> dict[str, object]:
        """Plain dict for JSON output (the CLI and the results page)."""
        return {"rule": self.rule, "selected": list(self.selected), "scores": dict(self.scores)}


BALLOT_MESSAGES: dict[str, str] = {
    "too_few_choices": "Choose at least {min} projects (you chose {count}).",
    "too_many_choices": "Choose at most {max} projects (you chose {count}).",
    "over_budget": "Your choices cost {total}, more than the budget of {budget}.",
    "unknown_project": "There is no project {project} on this ballot.",
    "duplicate_project": "Project {project} appears more than once.",
    "points_not_integer": "Points for project {project} must be a whole number, not {value}.",
    "points_negative": "Points for project {project} cannot be negative ({points}).",
    "points_over_project_limit": "At most {max} points per project ({project} has {points}).",
    "points_over_limit": "You gave {total} points; at most {max} may be given.",
    "points_under_limit": "You gave {total} points; give at least {min}.",
    "ranking_too_long": "Rank at most {max} projects (you ranked {count}).",
    "ranking_too_short": "Rank at least {min} projects (you ranked {count}).",
}


class BallotError(ValueError):
    """An invalid ballot.

    ``code`` and ``params`` are for the web layer, which translates
    ``BALLOT_MESSAGES[code]`` (an English template) and formats it with ``params``.
    """

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        self.message = BALLOT_MESSAGES[code].format(**params)
        super().__init__(self.message)


def _known_ids(projects: Sequence[Project]) -> dict[str, int]:
    return {p.id: p.cost for p in projects}


def _check_ids(ids: Sequence[str], known: Collection[str]) -> None:
    seen: set[str] = set()
    for pid in ids:
        if pid not in known:
            raise BallotError("unknown_project", project=pid)
        if pid in seen:
            raise BallotError("duplicate_project", project=pid)
        seen.add(pid)


def validate_approval(
    choices: Sequence[str],
    projects: Sequence[Project],
    *,
    min_choices: int = 0,
    max_choices: int | None = None,
    budget: int | None = None,
) -> list[str]:
    """Check an approval ballot (or approval within ``budget``); return its ids."""
    costs = _known_ids(projects)
    _check_ids(choices, costs)
    if len(choices) < min_choices:
        raise BallotError("too_few_choices", min=min_choices, count=len(choices))
    if max_choices is not None and len(choices) > max_choices:
        raise BallotError("too_many_choices", max=max_choices, count=len(choices))
    if budget is not None:
        total = sum(costs[pid] for pid in choices)
        if total > budget:
            raise BallotError("over_budget", budget=budget, total=total)
    return list(choices)


def validate_choose_one(choice: str, projects: Sequence[Project]) -> list[str]:
    """A choose-one ballot is an approval ballot naming exactly one project."""
    return validate_approval([choice], projects, min_choices=1, max_choices=1)


def _as_points(pid: str, value: object) -> int:
    """Accept ints and strings of digits (form input); anything else is an error."""
    if isinstance(value, bool):
        raise BallotError("points_not_integer", project=pid, value=value)
    if isinstance(value, int):
        points = value
    elif isinstance(value, str) and value.strip().lstrip("+-").isdecimal():
        points = int(value.strip())
    else:
        raise BallotError("points_not_integer", project=pid, value=value)
    if points < 0:
        raise BallotError("points_negative", project=pid, points=points)
    return points


def validate_cumulative(
    points: Mapping[str, object] | Iterable[tuple[str, object]],
    projects: Sequence[Project],
    *,
    max_sum_points: int,
    min_sum_points: int = 0,
    max_points: int | None = None,
) -> dict[str, int]:
    """Check a cumulative ballot; return ``{project id: points}`` without zeros.

    Accepts a mapping or (id, value) pairs, so that a form posting the same
    project twice is reported as a duplicate rather than silently merged.
    """
    pairs = list(points.items()) if isinstance(points, Mapping) else list(points)
    known = _known_ids(projects)
    _check_ids([pid for pid, _ in pairs], known)
    ballot: dict[str, int] = {}
    for pid, raw in pairs:
        value = _as_points(pid, raw)
        if max_points is not None and value > max_points:
            raise BallotError(
                "points_over_project_limit", project=pid, max=max_points, points=value
            )
        if value:
            ballot[pid] = value
    total = sum(ballot.values())
    if total > max_sum_points:
        raise BallotError("points_over_limit", max=max_sum_points, total=total)
    if total < min_sum_points:
        raise BallotError("points_under_limit", min=min_sum_points, total=total)
    return ballot


def validate_ranking(
    ranking: Sequence[str],
    projects: Sequence[Project],
    *,
    max_length: int,
    min_length: int = 0,
) -> list[str]:
    """Check an ordinal ballot (best first, at most ``max_length`` = k entries)."""
    _check_ids(ranking, _known_ids(projects))
    if len(ranking) > max_length:
        raise BallotError("ranking_too_long", max=max_length, count=len(ranking))
    if len(ranking) < min_length:
        raise BallotError("ranking_too_short", min=min_length, count=len(ranking))
    return list(ranking)
