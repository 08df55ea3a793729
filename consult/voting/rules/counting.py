"""Counting a round: the money unit, the canonical ballot and the digest, the count, the method in words."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from consult.i18n import N_, Msg
from consult.voting import tally
from consult.voting.rules.texts import APPROVAL_KINDS, money
from consult.voting.tally import Project


def money_unit(costs_fen: Iterable[int], budget_fen: int | None) -> int:
    """100 (count in yuan) when every amount is whole yuan, else 1 (count in fen)."""
    amounts = [*costs_fen, budget_fen or 0]
    return 100 if all(a % 100 == 0 for a in amounts) else 1


def canonical_ballot(kind: str, choices: Iterable[tuple[int, int, int | None]]) -> str:
    """One ballot as text, independent of the order choices were stored in.

    Approval kinds: idea numbers ascending, comma separated (``3,12,40``);
    cumulative: ``idea:points`` by idea number (``3:2,12:1``); ordinal: idea numbers
    best first, separated by ``>`` (``12>3>40``).
    """
    choices = list(choices)
    if kind == "ordinal":
        return ">".join(str(i) for i, _, _ in sorted(choices, key=lambda c: c[2] or 0))
    if kind == "cumulative":
        return ",".join(f"{i}:{p}" for i, p, _ in sorted(choices))
    return ",".join(str(i) for i, _, _ in sorted(choices))


def counted_line(kind: str, choices: Iterable[tuple[int, int, int | None]]) -> str:
    """What a ballot row keeps to be counted without its choices (``Ballot.line``): its
    canonical line, and for an ordinal ballot a tab and its points in rank order
    (``12>3>40\t3,2,1``). A tab sorts before every character of a line, so sorting these
    sorts the lines in the digest's order (``split_counted_line`` takes them apart)."""
    choices = list(choices)
    line = canonical_ballot(kind, choices)
    if kind != "ordinal":
        return line
    return line + "\t" + ",".join(str(p) for _, p, _ in sorted(choices, key=lambda c: c[2] or 0))


def split_counted_line(stored: str) -> tuple[str, str]:
    """(canonical line, an ordinal ballot's points "p1,p2,…" or "") of ``counted_line``."""
    line, _, points = stored.partition("\t")
    return line, points


def ballot_digest(kind: str, ballots: Iterable[Iterable[tuple[int, int, int | None]]]) -> str:
    """SHA-256 of the counted ballots: their canonical lines sorted, each ending in a newline.

    Anyone can recompute it from the published ballots (the CSV or ``.pb`` export).
    """
    lines = sorted(canonical_ballot(kind, b) for b in ballots)
    return hashlib.sha256("".join(line + "\n" for line in lines).encode()).hexdigest()


@dataclass
class Count:
    """The outcome of counting a round: the tally's result, with what it was computed from."""

    result: tally.Result
    parameters: dict
    digest: str
    ballots: int

    @property
    def selected_ids(self) -> list[int]:
        return [int(pid) for pid in self.result.selected]


def count(values, ideas: Sequence[tuple[int, int | None]],
          ballots: Sequence[Sequence[tuple[int, int, int | None]]], budget_fen: int | None) -> Count:
    """Count a round: ``ideas`` are (id, cost in fen) in listing order, ``ballots`` the counted
    ballots' (idea id, points, rank) choices. An idea without a cost counts as costing nothing.

    The definition of a count, ballot by ballot; the services count the same in the
    database (``services.count_round``: scores by ``GROUP BY``, the digest streamed) and
    finish with :func:`count_scores`, which this calls too."""
    projects = [Project(str(i), 0) for i, _ in ideas]
    kind = values.ballot_kind
    approvals = None
    if kind in APPROVAL_KINDS:
        ballots_ids = [[str(i) for i, _, _ in b] for b in ballots]
        scores = tally.approval_scores(projects, ballots_ids)
        if values.rule.startswith("equalshares"):
            approvals = tally.Approvals.of(projects, ballots_ids)
    elif kind == "ordinal":
        rankings = [[str(i) for i, _, _ in sorted(b, key=lambda c: c[2] or 0)] for b in ballots]
        scores = tally.ordinal_scores(projects, rankings, values.points_per_rank)
    else:
        scores = tally.points_scores(projects, [{str(i): p for i, p, _ in b} for b in ballots])
    return count_scores(values, ideas, scores, budget_fen, digest=ballot_digest(kind, ballots),
                        ballots=len(ballots), approvals=approvals)


def count_scores(values, ideas: Sequence[tuple[int, int | None]], scores: Mapping[str, int],
                 budget_fen: int | None, *, digest: str, ballots: int,
                 approvals: tally.Approvals | None = None) -> Count:
    """Finish a count from the ideas' scores (by idea id as text, every idea present), the
    ballots' digest and number, and for the equal-shares rules the approvals
    (``tally.Approvals``, projects in the order of ``ideas``): select and record the parameters."""
    costs = [cost or 0 for _, cost in ideas]
    unit = money_unit(costs, budget_fen)
    projects = [Project(str(i), (cost or 0) // unit) for i, cost in ideas]
    kind = values.ballot_kind
    budget_units = (budget_fen or 0) // unit
    result = tally.select(values.rule, projects, dict(scores), budget_units, approvals=approvals,
                          min_score=values.min_score, k=values.k)
    parameters = {
        "ballot_kind": kind, "rule": values.rule, "budget_fen": budget_fen, "money_unit_fen": unit,
        "min_choices": values.min_choices, "max_choices": values.max_choices,
        "max_points": values.max_points, "max_points_per_idea": values.max_points_per_idea,
        "ranking_length": values.ranking_length, "points_per_rank": list(values.points_per_rank),
        "min_score": values.min_score, "k": values.k,
    }
    return Count(result, parameters, digest, ballots)


def method_description(parameters: Mapping[str, object]) -> list[Msg]:
    """The method and its parameters in plain words, for the results page."""
    p = parameters
    kind, rule = p.get("ballot_kind"), p.get("rule")
    budget = money(p.get("budget_fen")) if p.get("budget_fen") is not None else ""
    lines: list[Msg] = []
    if kind in ("approval", "approval_budget"):
        if p.get("max_choices"):
            lines.append(Msg(N_("Each voter chose between %(min)s and %(max)s ideas."),
                             {"min": p.get("min_choices") or 0, "max": p["max_choices"]}))
        else:
            lines.append(Msg(N_("Each voter chose as many ideas as they liked (at least %(min)s)."),
                             {"min": p.get("min_choices") or 0}))
        if kind == "approval_budget":
            lines.append(Msg(N_("The chosen ideas together had to cost no more than the budget of %(budget)s."),
                             {"budget": budget}))
        lines.append(Msg(N_("An idea's score is the number of ballots that chose it.")))
    elif kind == "choose_one":
        lines.append(Msg(N_("Each voter chose one idea; an idea's score is the number of ballots that chose it.")))
    elif kind == "cumulative":
        lines.append(Msg(N_("Each voter distributed up to %(points)s points among the ideas; an idea's score is the sum of its points."),
                         {"points": p.get("max_points")}))
        if p.get("max_points_per_idea"):
            lines.append(Msg(N_("At most %(points)s points could go to one idea."),
                             {"points": p["max_points_per_idea"]}))
    elif kind == "ordinal":
        lines.append(Msg(N_("Each voter ranked up to %(k)s ideas; the points per rank were %(points)s (first rank first); an idea's score is the sum of its points."),
                         {"k": p.get("ranking_length"),
                          "points": ", ".join(str(x) for x in p.get("points_per_rank") or [])}))
    rule_lines = {
        "greedy": N_("Ideas were taken from the highest score down; each idea that still fitted in what was left of the budget of %(budget)s was selected, the others were skipped."),
        "greedy-no-skip": N_("Ideas were taken from the highest score down and selected until the first idea that no longer fitted in the budget of %(budget)s; the count stopped there."),
        "greedy-threshold": N_("Only ideas with a score of at least %(min)s could be selected; among them, ideas were taken from the highest score down and selected while they fitted in the budget of %(budget)s."),
        "equalshares": N_("Method of Equal Shares: the budget of %(budget)s was shared equally among the voters, and each idea was paid for by its supporters from their shares, choosing at each step the idea that cost its supporters least per unit of satisfaction."),
        "equalshares-comparison": N_("Method of Equal Shares without a completion: the budget of %(budget)s was shared equally among the voters and each idea was paid for by its supporters from their shares; its outcome was then compared with the greedy outcome (ideas by votes while the budget of %(budget)s lasts), and the greedy outcome would have been taken only if more voters preferred it, a voter preferring the outcome that selects more of the ideas she chose."),
        "equalshares/add1": N_("Method of Equal Shares: the budget of %(budget)s was shared equally among the voters, and each idea was paid for by its supporters from their shares, choosing at each step the idea that cost its supporters least per unit of satisfaction. Each voter's share was then raised by one unit at a time while the selected ideas still fitted in the budget (the add-one completion)."),
        "equalshares/add1-comparison": N_("Method of Equal Shares with the add-one completion, as above; its outcome was then compared with the greedy outcome (ideas by votes while the budget of %(budget)s lasts), and the greedy outcome would have been taken only if more voters preferred it, a voter preferring the outcome that selects more of the ideas she chose."),
        "top-k": N_("The %(k)s ideas with the highest scores were selected, whatever they cost."),
    }
    if rule in rule_lines:
        lines.append(Msg(rule_lines[rule], {"budget": budget, "min": p.get("min_score"), "k": p.get("k")}))
    if rule != "greedy-threshold" and p.get("min_score"):
        lines.append(Msg(N_("Only ideas with a score of at least %(min)s could be selected (for approval and choose-one ballots, the score is the number of votes)."),
                         {"min": p["min_score"]}))
    if p.get("money_unit_fen") == 1 and rule.startswith("equalshares"):
        lines.append(Msg(N_("Amounts were counted in fen, because some costs are not whole yuan.")))
    return lines
