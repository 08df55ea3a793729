"""Our rules against pabutools, the reference implementation, on many small
random approval elections and on the real approval files.

pabutools is told to break ties as our module docstring says (higher score,
then lower cost, then the project listed first), so outcomes must be equal,
in the same order.  pabutools has no greedy-without-skipping or threshold
rule: we take its greedy ranking (all projects, unlimited budget) and its
greedy on the eligible projects, which is what those rules mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pabutools.election import (
    ApprovalBallot,
    ApprovalProfile,
    Cardinality_Sat,
    Cost_Sat,
    Instance,
    parse_pabulib,
)
from pabutools.election import Project as PabuProject
from pabutools.rules import (
    greedy_utilitarian_welfare,
    method_of_equal_shares,
    popularity_comparison,
)
from pabutools.tiebreaking import TieBreakingRule

from consult.voting.pabulib import load, tally_election
from consult.voting.tally import (
    Project,
    approval_scores,
    equal_shares,
    greedy,
    greedy_threshold,
    select,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"

Ballots = list[list[str]]


class Pabu:
    """The same election in pabutools' terms, with our tie-breaking."""

    def __init__(self, projects: Sequence[Project], ballots: Ballots, budget: int) -> None:
        self.by_id = {p.id: PabuProject(p.id, p.cost) for p in projects}
        self.budget = budget
        self.profile = ApprovalProfile(
            [ApprovalBallot([self.by_id[i] for i in b]) for b in ballots]
        )
        scores = approval_scores(projects, ballots)
        key = {p.id: (-scores[p.id], p.cost, position) for position, p in enumerate(projects)}
        self.ties = TieBreakingRule(lambda instance, profile, project: key[project.name])

    def instance(self, ids: Sequence[str] | None = None, budget: int | None = None) -> Instance:
        instance = Instance(budget_limit=self.budget if budget is None else budget)
        for pid in self.by_id if ids is None else ids:
            instance.add(self.by_id[pid])
        return instance

    def greedy(self, ids: Sequence[str] | None = None, budget: int | None = None) -> list[str]:
        chosen = greedy_utilitarian_welfare(
            self.instance(ids, budget), self.profile, sat_class=Cost_Sat, tie_breaking=self.ties
        )
        return [p.name for p in chosen]

    def equal_shares(self, add1: bool) -> list[str]:
        chosen = method_of_equal_shares(
            self.instance(),
            self.profile,
            sat_class=Cost_Sat,
            tie_breaking=self.ties,
            voter_budget_increment=1 if add1 else None,
        )
        return [p.name for p in chosen]


@st.composite
def elections(
    draw: st.DrawFn, max_cost: int = 30, max_budget: int = 100
) -> tuple[list[Project], Ballots, int]:
    """Small approval elections; costs from a short list half the time, to make ties."""
    count = draw(st.integers(1, 6))
    ids = [str(j) for j in draw(st.permutations(range(1, 12)))[:count]]
    cost = st.one_of(st.sampled_from([5, 10, 20]), st.integers(1, max_cost))
    projects = [Project(pid, draw(cost)) for pid in ids]
    ballots = draw(st.lists(st.lists(st.sampled_from(ids), unique=True), max_size=10))
    return projects, ballots, draw(st.integers(0, max_budget))


@settings(max_examples=200, deadline=None)
@given(elections())
def test_greedy(election: tuple[list[Project], Ballots, int]) -> None:
    projects, ballots, budget = election
    scores = approval_scores(projects, ballots)
    assert greedy(projects, scores, budget) == Pabu(projects, ballots, budget).greedy()


@settings(max_examples=200, deadline=None)
@given(elections())
def test_greedy_no_skip(election: tuple[list[Project], Ballots, int]) -> None:
    projects, ballots, budget = election
    ranking = Pabu(projects, ballots, budget).greedy(budget=sum(p.cost for p in projects))
    cost = {p.id: p.cost for p in projects}
    expected, spent = [], 0
    for pid in ranking:
        if spent + cost[pid] > budget:
            break
        expected.append(pid)
        spent += cost[pid]
    scores = approval_scores(projects, ballots)
    assert greedy(projects, scores, budget, skip=False) == expected


@settings(max_examples=200, deadline=None)
@given(elections(), st.integers(0, 11))
def test_greedy_threshold(election: tuple[list[Project], Ballots, int], threshold: int) -> None:
    projects, ballots, budget = election
    scores = approval_scores(projects, ballots)
    eligible = [p.id for p in projects if scores[p.id] >= threshold]
    expected = Pabu(projects, ballots, budget).greedy(eligible)
    assert greedy_threshold(projects, scores, budget, threshold) == expected


@settings(max_examples=300, deadline=None)
@given(elections())
def test_equal_shares(election: tuple[list[Project], Ballots, int]) -> None:
    projects, ballots, budget = election
    expected = Pabu(projects, ballots, budget).equal_shares(add1=False)
    assert equal_shares(projects, ballots, budget, add1=False) == expected


def hand_made(
    costs: list[int], budget: int, ballots: Ballots
) -> tuple[list[Project], Ballots, int]:
    return [Project(str(j), cost) for j, cost in enumerate(costs, start=1)], ballots, budget


# Found by random search: each breaks a plausible shortcut when skipping increments
# (an off-by-one in the last increment that keeps a decision; ignoring that a
# project not chosen may become cheaper than the chosen one; ignoring that a
# voter too poor to pay a full share may become rich enough).
@example(hand_made([7, 13, 6, 7], 6, [["2", "3"], ["4"]]))
@example(hand_made([26, 14, 29, 31], 26, [["2", "3"], ["1", "3"]]))
@example(hand_made([11, 20, 12, 22], 51, [["2", "4"], ["1", "2"], ["1", "3"], ["4"]]))
@example(hand_made([13, 2, 36, 37], 66, [["3", "4"], ["2"], ["2", "3"], ["1", "4"]]))
@example(hand_made([7, 23, 12, 7, 32], 66, [["5"], ["2"], ["1", "2", "3", "5"]]))
@settings(max_examples=300, deadline=None)
@given(elections())
def test_equal_shares_add1(election: tuple[list[Project], Ballots, int]) -> None:
    projects, ballots, budget = election
    expected = Pabu(projects, ballots, budget).equal_shares(add1=True)
    assert equal_shares(projects, ballots, budget) == expected


@settings(max_examples=60, deadline=None)
@given(elections(max_cost=400, max_budget=1200))
def test_equal_shares_add1_with_many_increments(
    election: tuple[list[Project], Ballots, int],
) -> None:
    # Larger costs mean hundreds of increments: exercises skipping the
    # increments that cannot change the outcome.
    projects, ballots, budget = election
    expected = Pabu(projects, ballots, budget).equal_shares(add1=True)
    assert equal_shares(projects, ballots, budget) == expected


@pytest.mark.parametrize("rule", ["equalshares/add1-comparison", "equalshares-comparison"])
@settings(max_examples=300, deadline=None)
@given(elections())
def test_equal_shares_add1_comparison(rule: str, election: tuple[list[Project], Ballots, int]) -> None:
    """The comparison step is pabutools' popularity comparison of MES (with the add-one
    completion or without one) and greedy, each under cost utilities, a voter's preference
    between the two outcomes counted as the number of her approved projects each selects
    (equalshares.net's "satisfaction"); where pabutools finds a tie (both returned) MES
    stands."""
    projects, ballots, budget = election
    add1 = rule == "equalshares/add1-comparison"
    pabu = Pabu(projects, ballots, budget)
    rules = [
        lambda i, p, **kw: method_of_equal_shares(i, p, sat_class=Cost_Sat, tie_breaking=pabu.ties,
                                                  voter_budget_increment=1 if add1 else None, **kw),
        lambda i, p, **kw: greedy_utilitarian_welfare(i, p, sat_class=Cost_Sat,
                                                      tie_breaking=pabu.ties, **kw),
    ]
    winners = [sorted(p.name for p in w)
               for w in popularity_comparison(pabu.instance(), pabu.profile, Cardinality_Sat, rules)]
    ours = select(rule, projects, approval_scores(projects, ballots), budget,
                  approvals=ballots).selected
    mes = pabu.equal_shares(add1=add1)
    if len(winners) > 1:
        assert ours == mes
    else:
        assert sorted(ours) == winners[0]


# --------------------------------------------------------------------------- real files

APPROVAL_FILES = [
    "Netherlands_Assen_2024.pb",
    "Netherlands_Assen_2025.pb",
    "Poland_Warszawa_2019_RudaMarymontLas_Bielanski.pb",
    "Poland_Gdynia_2025_Karwiny__small.pb",
    "Poland_Warszawa_2018_rejon_4.pb",
    "Poland_Wroclaw_2018_Rejon_nr_7_750.pb",
]


@pytest.mark.parametrize("name", APPROVAL_FILES)
def test_real_files_with_pabutools_own_parser_and_tie_breaking(name: str) -> None:
    """pabutools, left to its defaults, agrees with us and with the city."""
    election = load(DATA / name)
    instance, profile = parse_pabulib(str(DATA / name))
    rule = election.meta["rule"]
    if rule == "equalshares/add1":
        chosen = method_of_equal_shares(
            instance, profile, sat_class=Cost_Sat, voter_budget_increment=1
        )
        expected = {p.name for p in chosen}
    else:
        threshold = (
            int(election.meta.get("min_project_score_threshold", 0))
            if rule == "greedy-threshold"
            else 0
        )
        eligible = Instance(
            (p for p in instance if profile.approval_score(p) >= threshold),
            budget_limit=instance.budget_limit,
        )
        ranking = greedy_utilitarian_welfare(
            Instance(eligible, budget_limit=sum(p.cost for p in eligible)),
            profile,
            sat_class=Cost_Sat,
        )
        expected, spent = set(), 0
        for project in ranking:
            if spent + project.cost <= instance.budget_limit:
                expected.add(project.name)
                spent += project.cost
            elif rule == "greedy-no-skip":
                break
    assert set(tally_election(election).selected) == expected
    assert expected == {p.id for p in election.projects if p.fields["selected"] == "1"}
