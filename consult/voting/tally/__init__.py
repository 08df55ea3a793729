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
  ``greedy`` is computed too, and each voter prefers the outcome that funds more of
  the projects she approved (her satisfaction is their number, as equalshares.net's
  comparison step and pabulib's checker count it; the rules themselves still use cost
  utilities); if strictly more voters prefer the greedy outcome than prefer the
  equal-shares one, the greedy outcome is selected, otherwise (a tie included) the
  equal-shares one.  The same as pabutools' ``popularity_comparison(...,
  sat_class=Cardinality_Sat)`` of the two rules, with its tie resolved towards the
  primary rule.
- ``equalshares-comparison``: ``equalshares`` (no completion), then the same
  comparison step.
- ``top-k``: the ``k`` highest scores, whatever they cost.

Without ``min_score`` the greedy rules consider every project, including those with
score 0 (a project nobody voted for is funded if money is left), as pabutools' greedy
does. ``min_score`` (pabulib's META ``min_project_score_threshold``) leaves out, for
every rule, the projects scoring less before the rule runs; ``greedy-threshold`` is
``greedy`` with it required. The platform's vote rounds default to ``min_score=1``.

Tie-breaking, the same for every rule and shown with results: between projects
that are equal for the rule (equal score; for equal shares, equal price per
unit of utility) the one with the HIGHER SCORE wins, then the LOWER COST, then
the one LISTED FIRST (the order of ``projects``, i.e. the order of the
pabulib file's PROJECTS section).  This reproduces the official outcome of
every file in ``tests/data/pabulib/``.

One module per concept, all named here (the package is the surface: ``tally.select``):
``ballots`` (projects, results, checking ballots), ``scores``, ``greedy`` (the greedy
rules, top-k and the tie-breaking), ``equal_shares`` (MES and the comparison step) and
``select`` (a rule by name).
"""

from __future__ import annotations

from consult.voting.tally.ballots import (
    BALLOT_MESSAGES,
    BallotError,
    Project,
    Result,
    validate_approval,
    validate_choose_one,
    validate_cumulative,
    validate_ranking,
)
from consult.voting.tally.equal_shares import (
    Approvals,
    equal_shares,
    more_popular,
)
from consult.voting.tally.greedy import (
    TIE_BREAKING,
    greedy,
    greedy_threshold,
    top_k,
)
from consult.voting.tally.scores import (
    approval_scores,
    ordinal_scores,
    points_scores,
)
from consult.voting.tally.select import (
    RULES,
    select,
)

__all__ = [
    "Project",
    "Result",
    "BALLOT_MESSAGES",
    "BallotError",
    "validate_approval",
    "validate_choose_one",
    "validate_cumulative",
    "validate_ranking",
    "approval_scores",
    "points_scores",
    "ordinal_scores",
    "TIE_BREAKING",
    "greedy",
    "greedy_threshold",
    "top_k",
    "Approvals",
    "equal_shares",
    "more_popular",
    "RULES",
    "select",
]
