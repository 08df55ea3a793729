"""Exact vote counting and project selection for participatory budgeting.

Why this module exists: the platform's own ballots and any imported pabulib
``.pb`` file are counted by the same code, so that anyone can recount a
published result with independent tools (DESIGN.md §5).  Everything here is
pure: plain values in, plain values out, no database and no HTTP.

Exactness: money and points are ``int``, never ``float``.  The Method of
Equal Shares splits money between voters; those shares are integer numerators
over one common denominator and prices are compared by cross-multiplying
(see ``_EqualSharesRun``).

Scores (``approval_scores``, ``points_scores``, ``ordinal_scores``):
approval and choose-one count the ballots naming a project; cumulative sums
the points given; ordinal sums points-per-rank taken from a list.

Selection rules (``select``), ``RULES``:

- ``greedy``: by score, take each project that still fits the remaining
  budget, skip those that do not.
- ``greedy-no-skip``: the same, but stop at the first project that does not fit.
- ``greedy-threshold``: only projects with score >= ``min_score`` are
  eligible, then ``greedy``.
- ``equalshares``: Method of Equal Shares for approval ballots with cost
  utilities (a voter's utility for a project she approves is its cost).
- ``equalshares/add1``: the same with the add-one completion used by real
  cities: every voter's share starts at ``budget / voters`` and is raised by
  one money unit at a time; stop at the first share whose outcome costs more
  than the budget (keep the previous outcome) or whose outcome is exhaustive
  (no further supported project fits; keep it).  This is exactly what
  pabutools' ``method_of_equal_shares(..., sat_class=Cost_Sat,
  voter_budget_increment=1)`` computes (tests/voting/test_against_pabutools.py).
- ``equalshares/add1-comparison``: ``equalshares/add1``, then the comparison step
  (equalshares.net, "comparison with the utilitarian method"): the outcome of
  ``greedy`` is computed too, and each voter prefers the outcome that spends more
  on projects she approved (cost satisfaction); if strictly more voters prefer the
  greedy outcome than prefer the equal-shares one, the greedy outcome is selected,
  otherwise (a tie included) the equal-shares one.  The same as pabutools'
  ``popularity_comparison(..., sat_class=Cost_Sat)`` of the two rules, with its
  tie resolved towards the primary rule.
- ``top-k``: the ``k`` highest scores, whatever they cost.

Greedy rules consider every project, including those with score 0 (a project
nobody voted for is funded if money is left), as pabutools' greedy does;
use ``greedy-threshold`` with ``min_score=1`` to exclude them.

Tie-breaking, the same for every rule and shown with results: between projects
that are equal for the rule (equal score; for equal shares, equal price per
unit of utility) the one with the HIGHER SCORE wins, then the LOWER COST, then
the one LISTED FIRST (the order of ``projects``, i.e. the order of the
pabulib file's PROJECTS section).  This reproduces the official outcome of
every file in ``tests/data/pabulib/``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

RULES = (
    "greedy",
    "greedy-no-skip",
    "greedy-threshold",
    "equalshares",
    "equalshares/add1",
    "equalshares/add1-comparison",
    "top-k",
)

TIE_BREAKING = "higher score, then lower cost, then the project listed first"


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


# --------------------------------------------------------------------------- ballot errors

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


# --------------------------------------------------------------------------- scores


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


# --------------------------------------------------------------------------- rules


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


def equal_shares(
    projects: Sequence[Project],
    approvals: Sequence[Collection[str]],
    budget: int,
    *,
    add1: bool = True,
) -> list[str]:
    """Method of Equal Shares, cost utilities, approval ballots (see module docstring).

    Every ballot counts as a voter, including empty ones, because each voter
    holds an equal share of the budget whether or not she approved anything.
    """
    voters = len(approvals)
    if voters == 0:
        return []
    index = {p.id: j for j, p in enumerate(projects)}
    supporters: list[list[int]] = [[] for _ in projects]
    for voter, ballot in enumerate(approvals):
        for pid in ballot:
            if pid not in index:
                raise BallotError("unknown_project", project=pid)
            supporters[index[pid]].append(voter)
        if len(set(ballot)) != len(ballot):
            _check_ids(list(ballot), index)
    costs = [p.cost for p in projects]
    # Supported projects that cost nothing are bought for free, up front.
    free = [j for j, p in enumerate(projects) if p.cost == 0 and supporters[j]]
    candidates = [j for j, p in enumerate(projects) if p.cost > 0 and supporters[j]]
    by_rank = _by_score(projects, {p.id: len(s) for p, s in zip(projects, supporters, strict=True)})
    rank = {index[p.id]: r for r, p in enumerate(by_rank)}
    run = _EqualSharesRun(costs, supporters, candidates, rank, voters)

    extra = 0  # money units added to every voter's share
    previous = free
    while True:
        chosen, room = run.outcome(budget + extra * voters)
        outcome = free + chosen
        if not add1:
            break
        spent = sum(costs[j] for j in outcome)
        if spent > budget:
            outcome = previous
            break
        taken = set(outcome)
        if all(spent + costs[j] > budget for j in candidates if j not in taken):
            break
        previous = outcome
        # The next `room` increments give this same outcome: skip them.
        extra += 1 + room
    return [projects[j].id for j in outcome]


def more_popular(
    projects: Sequence[Project],
    approvals: Sequence[Collection[str]],
    primary: list[str],
    other: list[str],
) -> list[str]:
    """The comparison step: ``other`` replaces ``primary`` only if strictly more voters
    prefer it, a voter preferring the outcome that spends more on projects she approved."""
    cost = {p.id: p.cost for p in projects}
    first, second = set(primary), set(other)
    if first == second:
        return primary
    for_primary = for_other = 0
    for ballot in approvals:
        approved = set(ballot)
        mine = sum(cost[pid] for pid in approved & first)
        theirs = sum(cost[pid] for pid in approved & second)
        for_primary += mine > theirs
        for_other += theirs > mine
    return other if for_other > for_primary else primary


@dataclass(slots=True)
class _Quote:
    """What project ``project`` would cost its supporters in the current round.

    The price per unit of utility is ``due / (payers * cost * denominator)``:
    the ``payers`` richest supporters each pay ``due / payers`` (money over the
    common denominator), the others pay all they have.  ``due_slope`` is how
    ``due`` changes per money unit added to every voter's initial share.
    """

    project: int
    due: int
    due_slope: int
    payers: int
    per: int  # payers * cost: the price's denominator, up to the round's common factor
    classes: Counter[int]


class _EqualSharesRun:
    """One run of MES with every voter starting from ``total / voters``.

    Speed matters because the add-one completion repeats the run for each
    increment.  Two ideas keep it fast while exact:

    - Voters with the same money left form a class; a project's price is
      computed from the few classes among its supporters.  Money is kept as
      integer numerators over one common denominator, scaled up when a payment
      needs it.
    - Everything in a run is an affine function of the increment ``t`` as long
      as the run makes the same decisions.  Alongside each amount we keep its
      slope in ``t``; each decision (who is too poor to pay a full share,
      which project is cheapest, which cannot be afforded) stays the same while
      some affine ``f(t)`` keeps its sign.  ``outcome`` also returns ``room``:
      how many further increments keep every decision, hence the outcome.
      Prices of projects not chosen are lower bounds whatever the decisions,
      so only the chosen project's poor/rich split needs checking.
    """

    def __init__(
        self,
        costs: list[int],
        supporters: list[list[int]],
        candidates: list[int],
        rank: dict[int, int],
        voters: int,
    ) -> None:
        self.costs = costs
        self.supporters = supporters
        self.candidates = candidates
        self.rank = rank
        self.voters = voters

    def outcome(self, total: int) -> tuple[list[int], int]:
        """Projects selected (in order) and the room, when ``total`` is shared equally."""
        costs, supporters, rank = self.costs, self.supporters, self.rank
        denominator = self.voters
        money = [total]  # per class: money per voter, numerator over `denominator`
        slope = [self.voters]  # per class: d money / d t, same denominator
        klass = [0] * self.voters
        remaining = list(self.candidates)
        selected: list[int] = []
        room = _Room()
        while remaining:
            quotes: list[_Quote] = []
            for j in remaining:
                classes = Counter(map(klass.__getitem__, supporters[j]))
                due = costs[j] * denominator
                have = sum(money[c] * n for c, n in classes.items())
                if have < due:  # never affordable again in this run
                    room.keep_positive(due - have, -sum(slope[c] * n for c, n in classes.items()))
                    continue
                due_slope = 0
                payers = len(supporters[j])
                for c in sorted(classes, key=money.__getitem__):
                    if money[c] * payers >= due:
                        break
                    due -= money[c] * classes[c]
                    due_slope -= slope[c] * classes[c]
                    payers -= classes[c]
                quotes.append(_Quote(j, due, due_slope, payers, payers * costs[j], classes))
            if not quotes:
                break
            best = quotes[0]
            for q in quotes[1:]:
                left, right = q.due * best.per, best.due * q.per
                if left < right or (left == right and rank[q.project] < rank[best.project]):
                    best = q
            for q in quotes:
                if q is not best:
                    room.keep_order(q, best, ties_to_best=rank[best.project] < rank[q.project])
            selected.append(best.project)
            remaining = [q.project for q in quotes if q is not best]
            # Pay: each supporter pays due/payers, or all she has if that is less.
            divisor = math.gcd(best.due, best.due_slope, best.payers)
            due, due_slope, scale = (
                best.due // divisor,
                best.due_slope // divisor,
                best.payers // divisor,
            )
            money = [m * scale for m in money]
            slope = [s * scale for s in slope]
            denominator *= scale
            moved: dict[int, int] = {}
            for c in best.classes:
                moved[c] = len(money)
                if money[c] < due:  # poor: stays poor while money < due/payers
                    room.keep_positive(due - money[c], due_slope - slope[c])
                    money.append(0)
                    slope.append(0)
                else:  # rich stays rich: money never shrinks with t, the share never grows
                    money.append(money[c] - due)
                    slope.append(slope[c] - due_slope)
            for voter in supporters[best.project]:
                klass[voter] = moved[klass[voter]]
        return selected, room.steps


class _Room:
    """The number of further increments of ``t`` for which every recorded
    condition ``f(t) > 0`` or ``f(t) >= 0`` still holds (``f`` affine, true now)."""

    UNBOUNDED = 1 << 62

    def __init__(self) -> None:
        self.steps = self.UNBOUNDED

    def keep_nonnegative(self, value: int, slope: int) -> None:
        if slope < 0:
            self.steps = min(self.steps, value // -slope)

    def keep_positive(self, value: int, slope: int) -> None:
        if slope < 0:
            self.steps = min(self.steps, (value - 1) // -slope)

    def keep_order(self, other: _Quote, best: _Quote, ties_to_best: bool) -> None:
        """``other`` stays dearer than ``best`` (or tied, if ties go to ``best``)."""
        value = other.due * best.per - best.due * other.per
        slope = other.due_slope * best.per - best.due_slope * other.per
        if ties_to_best:
            self.keep_nonnegative(value, slope)
        else:
            self.keep_positive(value, slope)


# --------------------------------------------------------------------------- dispatch


def select(
    rule: str,
    projects: Sequence[Project],
    scores: Mapping[str, int],
    budget: int,
    *,
    approvals: Sequence[Collection[str]] | None = None,
    min_score: int | None = None,
    k: int | None = None,
) -> Result:
    """Apply ``rule`` (one of ``RULES``) and return the result with its scores.

    ``approvals`` (one collection of project ids per ballot) is needed by the
    equal-shares rules, ``min_score`` by ``greedy-threshold``, ``k`` by ``top-k``.
    """
    if not _is_money(budget):
        raise ValueError(f"the budget must be a whole number >= 0: {budget!r}")
    if rule == "greedy":
        chosen = greedy(projects, scores, budget)
    elif rule == "greedy-no-skip":
        chosen = greedy(projects, scores, budget, skip=False)
    elif rule == "greedy-threshold":
        if min_score is None:
            raise ValueError("greedy-threshold needs min_score")
        chosen = greedy_threshold(projects, scores, budget, min_score)
    elif rule in ("equalshares", "equalshares/add1", "equalshares/add1-comparison"):
        if approvals is None:
            raise ValueError(f"{rule} needs approval ballots")
        chosen = equal_shares(projects, approvals, budget, add1=rule != "equalshares")
        if rule == "equalshares/add1-comparison":
            chosen = more_popular(projects, approvals, chosen, greedy(projects, scores, budget))
    elif rule == "top-k":
        if k is None:
            raise ValueError("top-k needs k")
        chosen = top_k(projects, scores, k)
    else:
        raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
    return Result(rule=rule, selected=chosen, scores={p.id: scores[p.id] for p in projects})
