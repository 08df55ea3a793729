"""How much faster our exact tally is than pabutools, the reference implementation.

Run with ``python -m bench.bench_tally``.  Prints only ``bench: NAME VALUE UNIT``
lines.  Ratios are pabutools' CPU time divided by ours on the same instance
(after checking that both select the same projects): pabutools runs once (it
takes seconds), ours is the best of three.  CPU time rather than wall time,
so that other work on the machine does not skew the ratios.  Seeds are fixed.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
from pabutools.tiebreaking import TieBreakingRule

from consult.voting.pabulib import Election, PbProject, PbVote, dump, load, tally_election
from consult.voting.tally import approval_scores, equal_shares

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "pabulib"
T = TypeVar("T")


def cpu_seconds(run: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """The best CPU time over ``repeat`` runs, and the last result."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        result = run()
        best = min(best, time.process_time() - started)
    return best, result


def generated_approval(voters: int, projects: int, most: int, seed: int) -> Election:
    """A random approval election; popular projects get many more votes, as in real ones."""
    rng = random.Random(seed)
    ids = [str(j) for j in range(1, projects + 1)]
    costs = [rng.randrange(20, 400) * 1000 for _ in ids]
    weights = [rng.random() ** 2 + 0.05 for _ in ids]
    votes = []
    for voter in range(1, voters + 1):
        chosen: set[str] = set()
        size = rng.randint(1, most)
        while len(chosen) < size:
            chosen.update(rng.choices(ids, weights, k=size - len(chosen)))
        votes.append(PbVote(str(voter), tuple(sorted(chosen, key=int))))
    meta = {"budget": str(sum(costs) // 3), "vote_type": "approval", "rule": "greedy"}
    return Election(
        meta, [PbProject(pid, cost) for pid, cost in zip(ids, costs, strict=True)], votes
    )


def our_tie_breaking(election: Election) -> TieBreakingRule:
    """Tell pabutools to break ties as we do, so both must select the same set."""
    projects = election.tally_projects()
    scores = approval_scores(projects, (v.vote for v in election.votes))
    key = {p.id: (-scores[p.id], p.cost, i) for i, p in enumerate(projects)}
    return TieBreakingRule(lambda instance, profile, project: key[project.name])


def mes_ratio(path: Path) -> float:
    """Method of Equal Shares with add-one completion, parsing not timed."""
    ours_election = load(path)
    instance, profile = parse_pabulib(str(path))
    projects = ours_election.tally_projects()
    ballots = [v.vote for v in ours_election.votes]
    ties = our_tie_breaking(ours_election)
    theirs, expected = cpu_seconds(
        lambda: method_of_equal_shares(
            instance, profile, sat_class=Cost_Sat, voter_budget_increment=1, tie_breaking=ties
        )
    )
    ours, selected = cpu_seconds(lambda: equal_shares(projects, ballots, ours_election.counting_budget()), 3)
    assert set(selected) == {p.name for p in expected}, (selected, expected)
    return theirs / ours


def greedy_ratio(path: Path) -> tuple[float, float]:
    """Parse the file and count it with greedy; returns (ratio, our seconds)."""
    ties = our_tie_breaking(load(path))

    def theirs_run() -> set[str]:
        instance, profile = parse_pabulib(str(path))
        chosen = greedy_utilitarian_welfare(
            instance, profile, sat_class=Cost_Sat, tie_breaking=ties
        )
        return {p.name for p in chosen}

    theirs, expected = cpu_seconds(theirs_run)
    ours, result = cpu_seconds(lambda: tally_election(load(path), "greedy"), 3)
    assert set(result.selected) == expected
    return theirs / ours, ours


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        generated = Path(tmp) / "generated_mes.pb"
        generated.write_text(dump(generated_approval(2_500, 22, most=6, seed=7)), encoding="utf-8")
        assen = mes_ratio(DATA / "Netherlands_Assen_2024.pb")
        print(f"bench: mes_vs_pabutools_assen {assen:.1f} ratio", flush=True)
        mes_generated = mes_ratio(generated)
        print(f"bench: mes_vs_pabutools_generated {mes_generated:.1f} ratio", flush=True)
        print(f"bench: mes_vs_pabutools {min(assen, mes_generated):.1f} ratio", flush=True)

        big = Path(tmp) / "generated_greedy.pb"
        big.write_text(dump(generated_approval(60_000, 100, most=10, seed=1)), encoding="utf-8")
        ratio, ours = greedy_ratio(big)
        print(f"bench: greedy_vs_pabutools {ratio:.1f} ratio")
        print(f"bench: parse_and_greedy_60000_ballots {ours:.3f} s")


if __name__ == "__main__":
    main()
