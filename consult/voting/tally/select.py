"""``select``: a rule by name (``RULES``) applied to the projects and their scores."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from consult.voting.tally.ballots import Project, Result, _is_money
from consult.voting.tally.equal_shares import Approvals, equal_shares, more_popular
from consult.voting.tally.greedy import greedy, greedy_threshold, top_k

RULES = (
    "greedy",
    "greedy-no-skip",
    "greedy-threshold",
    "equalshares",
    "equalshares-comparison",
    "equalshares/add1",
    "equalshares/add1-comparison",
    "top-k",
)
EQUAL_SHARES_RULES = tuple(rule for rule in RULES if rule.startswith("equalshares"))


def select(
    rule: str,
    projects: Sequence[Project],
    scores: Mapping[str, int],
    budget: int,
    *,
    approvals: Sequence[Collection[str]] | Approvals | None = None,
    min_score: int | None = None,
    k: int | None = None,
) -> Result:
    """Apply ``rule`` (one of ``RULES``) and return the result with its scores.

    ``approvals`` (one collection of project ids per ballot, or ``Approvals``) is
    needed by the equal-shares rules, ``min_score`` by ``greedy-threshold``, ``k`` by ``top-k``.
    With ``min_score`` (any rule) only projects scoring at least that much can be selected:
    the others are left out before the rule runs, and keep their scores in the result.
    """
    if not _is_money(budget):
        raise ValueError(f"the budget must be a whole number >= 0: {budget!r}")
    everyone = projects
    if min_score is not None:
        projects = [p for p in everyone if scores[p.id] >= min_score]
        if approvals is not None and rule.startswith("equalshares") and len(projects) < len(everyone):
            if not isinstance(approvals, Approvals):
                approvals = Approvals.of(everyone, approvals)
            kept = {p.id for p in projects}
            approvals = Approvals(approvals.voters, [s for p, s in zip(everyone, approvals.supporters, strict=True)
                                                     if p.id in kept])
    if rule == "greedy":
        chosen = greedy(projects, scores, budget)
    elif rule == "greedy-no-skip":
        chosen = greedy(projects, scores, budget, skip=False)
    elif rule == "greedy-threshold":
        if min_score is None:
            raise ValueError("greedy-threshold needs min_score")
        chosen = greedy_threshold(projects, scores, budget, min_score)
    elif rule in EQUAL_SHARES_RULES:
        if approvals is None:
            raise ValueError(f"{rule} needs approval ballots")
        if not isinstance(approvals, Approvals):
            approvals = Approvals.of(projects, approvals)
        chosen = equal_shares(projects, approvals, budget, add1=rule.startswith("equalshares/add1"))
        if rule.endswith("-comparison"):
            chosen = more_popular(projects, approvals, chosen, greedy(projects, scores, budget))
    elif rule == "top-k":
        if k is None:
            raise ValueError("top-k needs k")
        chosen = top_k(projects, scores, k)
    else:
        raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
    return Result(rule=rule, selected=chosen, scores={p.id: scores[p.id] for p in everyone})
