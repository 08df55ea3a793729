"""The Method of Equal Shares (cost utilities, approval ballots, exact) and the comparison step."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from consult.voting.tally.ballots import BallotError, Project, _check_ids
from consult.voting.tally.greedy import _by_score


@dataclass(frozen=True, slots=True)
class Approvals:
    """Approval ballots as the Method of Equal Shares reads them: the number of voters
    (every ballot, empty ones included) and, for each project, the voters approving it
    (numbered 0…voters-1, ascending), e.g. ``array('l')`` columns read from the database
    without one Python object per ballot."""

    voters: int
    supporters: Sequence[Sequence[int]]  # by project, in the order of ``projects``

    @classmethod
    def of(cls, projects: Sequence[Project], ballots: Sequence[Collection[str]]) -> Approvals:
        """One collection of project ids per ballot → supporters; unknown or repeated ids
        raise ``BallotError``."""
        index = {p.id: j for j, p in enumerate(projects)}
        supporters: list[list[int]] = [[] for _ in projects]
        for voter, ballot in enumerate(ballots):
            for pid in ballot:
                if pid not in index:
                    raise BallotError("unknown_project", project=pid)
                supporters[index[pid]].append(voter)
            if len(set(ballot)) != len(ballot):
                _check_ids(list(ballot), index)
        return cls(len(ballots), supporters)


def equal_shares(
    projects: Sequence[Project],
    approvals: Sequence[Collection[str]] | Approvals,
    budget: int,
    *,
    add1: bool = True,
) -> list[str]:
    """Method of Equal Shares, cost utilities, approval ballots (see module docstring).

    Every ballot counts as a voter, including empty ones, because each voter
    holds an equal share of the budget whether or not she approved anything.
    ``approvals``: one collection of project ids per ballot, or :class:`Approvals`.
    """
    if not isinstance(approvals, Approvals):
        approvals = Approvals.of(projects, approvals)
    voters, supporters = approvals.voters, approvals.supporters
    if voters == 0:
        return []
    index = {p.id: j for j, p in enumerate(projects)}
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
    approvals: Sequence[Collection[str]] | Approvals,
    primary: list[str],
    other: list[str],
) -> list[str]:
    """The comparison step: ``other`` replaces ``primary`` only if strictly more voters
    prefer it, a voter preferring the outcome that funds more of the projects she approved
    (as equalshares.net's comparison step and pabulib's checker count it: her satisfaction
    is the number of her approved projects selected, whatever they cost)."""
    first, second = set(primary), set(other)
    if first == second:
        return primary
    if not isinstance(approvals, Approvals):
        approvals = Approvals.of(projects, approvals)
    # how many of each voter's approved projects the primary outcome funds, minus the other
    margin = [0] * approvals.voters
    for project, voters in zip(projects, approvals.supporters, strict=True):
        weight = (project.id in first) - (project.id in second)
        if weight:
            for voter in voters:
                margin[voter] += weight
    for_primary = sum(1 for m in margin if m > 0)
    for_other = sum(1 for m in margin if m < 0)
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
        import numpy as np  # counting voters by class: exact integer counts, done in C

        self.costs = costs
        self.supporters = [np.asarray(s, dtype=np.int64) for s in supporters]
        self.candidates = candidates
        self.rank = rank
        self.voters = voters

    def outcome(self, total: int) -> tuple[list[int], int]:
        """Projects selected (in order) and the room, when ``total`` is shared equally."""
        costs, supporters, rank = self.costs, self.supporters, self.rank
        denominator = self.voters
        money = [total]  # per class: money per voter, numerator over `denominator`
        slope = [self.voters]  # per class: d money / d t, same denominator
        import numpy as np

        klass = np.zeros(self.voters, dtype=np.int64)  # each voter's class
        remaining = list(self.candidates)
        selected: list[int] = []
        room = _Room()
        while remaining:
            quotes: list[_Quote] = []
            for j in remaining:
                counts = np.bincount(klass[supporters[j]], minlength=len(money))
                classes = Counter({int(c): int(counts[c]) for c in np.flatnonzero(counts)})
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
            renumber = np.arange(len(money), dtype=np.int64)
            for c, new_class in moved.items():
                renumber[c] = new_class
            paying = supporters[best.project]
            klass[paying] = renumber[klass[paying]]
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
