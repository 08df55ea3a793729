"""Unit tests for consult.voting.tally on small hand-made elections."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from consult.voting.tally import (
    BALLOT_MESSAGES,
    BallotError,
    Project,
    Result,
    approval_scores,
    equal_shares,
    greedy,
    greedy_threshold,
    ordinal_scores,
    points_scores,
    select,
    top_k,
    validate_approval,
    validate_choose_one,
    validate_cumulative,
    validate_ranking,
)

A, B, C, D = Project("A", 50), Project("B", 60), Project("C", 30), Project("D", 20)
ABCD = [A, B, C, D]
SCORES = {"A": 10, "B": 9, "C": 8, "D": 1}


# --------------------------------------------------------------------------- scores


def test_approval_scores_count_ballots_naming_each_project() -> None:
    ballots = [["A", "B"], ["B"], [], ["B", "D"]]
    assert approval_scores(ABCD, ballots) == {"A": 1, "B": 3, "C": 0, "D": 1}


def test_points_scores_sum_points() -> None:
    ballots = [{"A": 3}, {"A": 1, "C": 2}, {}]
    assert points_scores(ABCD, ballots) == {"A": 4, "B": 0, "C": 2, "D": 0}


def test_ordinal_scores_use_points_per_rank() -> None:
    rankings = [["A", "B", "C"], ["C", "A"], ["D"]]
    assert ordinal_scores(ABCD, rankings, [3, 2, 1]) == {"A": 5, "B": 2, "C": 4, "D": 3}


def test_scores_reject_unknown_projects() -> None:
    for count in (
        lambda: approval_scores(ABCD, [["A", "Z"]]),
        lambda: points_scores(ABCD, [{"Z": 1}]),
        lambda: ordinal_scores(ABCD, [["Z"]], [1]),
    ):
        with pytest.raises(BallotError) as caught:
            count()
        assert caught.value.code == "unknown_project"
        assert caught.value.params == {"project": "Z"}


def test_ordinal_scores_reject_rankings_longer_than_the_points_list() -> None:
    with pytest.raises(BallotError) as caught:
        ordinal_scores(ABCD, [["A", "B", "C"]], [2, 1])
    assert caught.value.code == "ranking_too_long"
    assert caught.value.params == {"max": 2, "count": 3}


# --------------------------------------------------------------------------- greedy rules


def test_greedy_skips_what_does_not_fit() -> None:
    # A (50 left), B does not fit, C (20 left), D (0 left)
    assert greedy(ABCD, SCORES, 100) == ["A", "C", "D"]


def test_greedy_no_skip_stops_at_first_misfit() -> None:
    assert greedy(ABCD, SCORES, 100, skip=False) == ["A"]
    assert greedy(ABCD, SCORES, 110, skip=False) == ["A", "B"]


def test_greedy_threshold_ignores_projects_below_the_threshold() -> None:
    assert greedy_threshold(ABCD, SCORES, 100, min_score=5) == ["A", "C"]
    assert greedy_threshold(ABCD, SCORES, 100, min_score=9) == ["A"]


def test_greedy_funds_zero_score_projects_when_money_is_left() -> None:
    projects = [Project("A", 10), Project("B", 10)]
    assert greedy(projects, {"A": 3, "B": 0}, 20) == ["A", "B"]
    assert greedy_threshold(projects, {"A": 3, "B": 0}, 20, min_score=1) == ["A"]


def test_top_k_ignores_cost() -> None:
    assert top_k(ABCD, SCORES, 2) == ["A", "B"]
    assert top_k(ABCD, SCORES, 10) == ["A", "B", "C", "D"]


def test_ties_go_to_lower_cost() -> None:
    dear, cheap = Project("dear", 60), Project("cheap", 50)
    scores = {"dear": 5, "cheap": 5}
    assert greedy([dear, cheap], scores, 60) == ["cheap"]
    assert greedy([dear, cheap], scores, 60, skip=False) == ["cheap"]
    assert top_k([dear, cheap], scores, 1) == ["cheap"]


def test_full_ties_go_to_the_project_listed_first() -> None:
    first, second = Project("10", 60), Project("9", 60)
    scores = {"10": 5, "9": 5}
    assert greedy([first, second], scores, 60) == ["10"]
    assert greedy([second, first], scores, 60) == ["9"]
    assert top_k([second, first], scores, 1) == ["9"]


def test_higher_score_beats_lower_cost() -> None:
    projects = [Project("cheap", 10), Project("popular", 90)]
    assert greedy(projects, {"cheap": 4, "popular": 5}, 90) == ["popular"]


# --------------------------------------------------------------------------- equal shares

# Six voters: four like X and Y, two like Z.  Budget 100, so 100/6 each.
X, Y, Z = Project("X", 60), Project("Y", 40), Project("Z", 40)
XYZ_BALLOTS = [["X", "Y"]] * 4 + [["Z"]] * 2


def test_greedy_gives_everything_to_the_majority() -> None:
    scores = approval_scores([X, Y, Z], XYZ_BALLOTS)
    assert greedy([X, Y, Z], scores, 100) == ["Y", "X"]  # tie: Y is cheaper


def test_equal_shares_without_completion() -> None:
    # X and Y both cost their supporters 1/4 per unit of utility: tie, Y is
    # cheaper.  Then the four have 4 x 6.67 left, less than X costs; the two
    # have 33.33, less than Z costs.
    assert equal_shares([X, Y, Z], XYZ_BALLOTS, 100, add1=False) == ["Y"]


def test_equal_shares_add1_raises_shares_until_exhaustive() -> None:
    # From 4 extra units each, the two can afford Z: {Y, Z} costs 80, and X no
    # longer fits, so the outcome is exhaustive.
    assert equal_shares([X, Y, Z], XYZ_BALLOTS, 100) == ["Y", "Z"]


def test_equal_shares_add1_keeps_the_last_outcome_that_fits() -> None:
    # Each voter alone wants a project costing 6; with 5 each nothing is
    # affordable, with 6 each both are, which costs 12 > 10.
    projects = [Project("A", 6), Project("B", 6)]
    assert equal_shares(projects, [["A"], ["B"]], 10) == []


def test_equal_shares_counts_empty_ballots_as_voters() -> None:
    only_a = [Project("A", 10)]
    assert equal_shares(only_a, [["A"]], 10, add1=False) == ["A"]
    assert equal_shares(only_a, [["A"], []], 10, add1=False) == []
    assert equal_shares(only_a, [["A"], []], 10) == ["A"]


def test_equal_shares_is_exact() -> None:
    # Ten shares of 1/10 add up to exactly 1; in floating point they do not.
    assert equal_shares([Project("A", 1)], [["A"]] * 10, 1, add1=False) == ["A"]


def test_equal_shares_poor_voters_pay_all_they_have() -> None:
    # Four voters with 4 each.  C costs the first three 3 each (1/3 per unit
    # of utility); then voter 0 has 1 left: for D she pays that 1 and voter 3
    # pays the other 4.  Equal payments of 2.5 would make D unaffordable.
    projects = [Project("C", 9), Project("D", 5)]
    ballots = [["C", "D"], ["C"], ["C"], ["D"]]
    assert equal_shares(projects, ballots, 16, add1=False) == ["C", "D"]


def test_equal_shares_ties_go_to_lower_cost() -> None:
    # Both cost their two supporters 1/2 per unit of utility.
    projects = [Project("A", 8), Project("B", 2)]
    assert equal_shares(projects, [["A", "B"], ["A", "B"]], 10, add1=False) == ["B", "A"]
    assert equal_shares(projects, [["A", "B"], ["A", "B"]], 8, add1=False) == ["B"]


def test_equal_shares_free_projects() -> None:
    projects = [Project("free", 0), Project("unwanted", 0), Project("A", 10)]
    assert equal_shares(projects, [["free", "A"]], 10) == ["free", "A"]


def test_equal_shares_no_ballots() -> None:
    assert equal_shares([X], [], 100) == []


def test_equal_shares_rejects_bad_ballots() -> None:
    with pytest.raises(BallotError) as caught:
        equal_shares([X], [["X", "nope"]], 100)
    assert caught.value.code == "unknown_project"
    with pytest.raises(BallotError) as caught:
        equal_shares([X], [["X", "X"]], 100)
    assert caught.value.code == "duplicate_project"


# --------------------------------------------------------------------------- select


def test_select_dispatches_and_reports_scores() -> None:
    result = select("greedy", ABCD, SCORES, 100)
    assert result == Result("greedy", ["A", "C", "D"], SCORES)
    assert result.as_json() == {"rule": "greedy", "selected": ["A", "C", "D"], "scores": SCORES}
    assert select("greedy-no-skip", ABCD, SCORES, 100).selected == ["A"]
    assert select("greedy-threshold", ABCD, SCORES, 100, min_score=5).selected == ["A", "C"]
    assert select("top-k", ABCD, SCORES, 0, k=3).selected == ["A", "B", "C"]
    scores = approval_scores([X, Y, Z], XYZ_BALLOTS)
    mes = select("equalshares/add1", [X, Y, Z], scores, 100, approvals=XYZ_BALLOTS)
    assert mes.selected == ["Y", "Z"]
    assert mes.scores == {"X": 4, "Y": 4, "Z": 2}
    plain = select("equalshares", [X, Y, Z], scores, 100, approvals=XYZ_BALLOTS)
    assert plain.selected == ["Y"]


@pytest.mark.parametrize(
    ("rule", "missing"),
    [("greedy-threshold", "min_score"), ("top-k", "k"), ("equalshares/add1", "approval")],
)
def test_select_says_what_a_rule_needs(rule: str, missing: str) -> None:
    with pytest.raises(ValueError, match=missing):
        select(rule, ABCD, SCORES, 100)


@pytest.mark.parametrize("money", [10.0, -1, True, "10"])
def test_money_must_be_whole_numbers(money: object) -> None:
    with pytest.raises(ValueError, match="whole number"):
        Project("A", money)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole number"):
        select("greedy", ABCD, SCORES, money)  # type: ignore[arg-type]


def test_select_rejects_unknown_rules() -> None:
    with pytest.raises(ValueError, match="unknown rule"):
        select("borda", ABCD, SCORES, 100)


# --------------------------------------------------------------------------- ballot validation


def expect_error(code: str, params: dict[str, object], check: Callable[[], object]) -> None:
    with pytest.raises(BallotError) as caught:
        check()
    assert caught.value.code == code
    assert caught.value.params == params
    assert caught.value.message == BALLOT_MESSAGES[code].format(**params)


def test_valid_ballots_pass() -> None:
    assert validate_approval(["A", "C"], ABCD, min_choices=1, max_choices=2, budget=80) == [
        "A",
        "C",
    ]
    assert validate_choose_one("B", ABCD) == ["B"]
    assert validate_cumulative({"A": "3", "B": 0, "C": 2}, ABCD, max_sum_points=5) == {
        "A": 3,
        "C": 2,
    }
    assert validate_ranking(["D", "A"], ABCD, max_length=3) == ["D", "A"]


def test_approval_choice_counts() -> None:
    expect_error(
        "too_few_choices",
        {"min": 2, "count": 1},
        lambda: validate_approval(["A"], ABCD, min_choices=2),
    )
    expect_error(
        "too_many_choices",
        {"max": 2, "count": 3},
        lambda: validate_approval(["A", "B", "C"], ABCD, max_choices=2),
    )
    expect_error(
        "too_many_choices",
        {"max": 1, "count": 2},
        lambda: validate_approval(["A", "B"], ABCD, min_choices=1, max_choices=1),
    )


def test_approval_within_budget() -> None:
    expect_error(
        "over_budget",
        {"budget": 100, "total": 110},
        lambda: validate_approval(["A", "B"], ABCD, budget=100),
    )
    assert validate_approval(["A", "D", "C"], ABCD, budget=100) == ["A", "D", "C"]


def test_unknown_and_duplicate_projects() -> None:
    expect_error("unknown_project", {"project": "Q"}, lambda: validate_approval(["A", "Q"], ABCD))
    expect_error("duplicate_project", {"project": "A"}, lambda: validate_approval(["A", "A"], ABCD))
    expect_error("unknown_project", {"project": "Q"}, lambda: validate_choose_one("Q", ABCD))
    expect_error(
        "duplicate_project",
        {"project": "A"},
        lambda: validate_cumulative([("A", 1), ("A", 2)], ABCD, max_sum_points=5),
    )
    expect_error(
        "unknown_project",
        {"project": "Q"},
        lambda: validate_cumulative({"Q": 1}, ABCD, max_sum_points=5),
    )
    expect_error(
        "duplicate_project",
        {"project": "B"},
        lambda: validate_ranking(["B", "A", "B"], ABCD, max_length=4),
    )
    expect_error(
        "unknown_project", {"project": "Q"}, lambda: validate_ranking(["Q"], ABCD, max_length=4)
    )


def test_cumulative_points_limits() -> None:
    expect_error(
        "points_over_limit",
        {"max": 5, "total": 6},
        lambda: validate_cumulative({"A": 4, "B": "2"}, ABCD, max_sum_points=5),
    )
    expect_error(
        "points_under_limit",
        {"min": 1, "total": 0},
        lambda: validate_cumulative({"A": 0}, ABCD, max_sum_points=5, min_sum_points=1),
    )
    expect_error(
        "points_over_project_limit",
        {"project": "A", "max": 2, "points": 3},
        lambda: validate_cumulative({"A": 3}, ABCD, max_sum_points=5, max_points=2),
    )


@pytest.mark.parametrize("value", ["two", "2.5", 2.0, "", None, True, "1e3"])
def test_cumulative_points_must_be_whole_numbers(value: object) -> None:
    expect_error(
        "points_not_integer",
        {"project": "A", "value": value},
        lambda: validate_cumulative({"A": value}, ABCD, max_sum_points=5),
    )


@pytest.mark.parametrize(("value", "points"), [(-1, -1), ("-3", -3)])
def test_cumulative_points_cannot_be_negative(value: object, points: int) -> None:
    expect_error(
        "points_negative",
        {"project": "A", "points": points},
        lambda: validate_cumulative({"A": value, "B": 3}, ABCD, max_sum_points=5),
    )


def test_ranking_length() -> None:
    expect_error(
        "ranking_too_long",
        {"max": 2, "count": 3},
        lambda: validate_ranking(["A", "B", "C"], ABCD, max_length=2),
    )
    expect_error(
        "ranking_too_short",
        {"min": 2, "count": 1},
        lambda: validate_ranking(["A"], ABCD, max_length=3, min_length=2),
    )


def test_every_message_template_is_filled_by_its_params() -> None:
    # Guards the web layer's translations: each code's English template only
    # uses names the code raises with.
    assert all("{" in template for template in BALLOT_MESSAGES.values())
    error = BallotError("over_budget", budget=10, total=12)
    assert str(error) == "Your choices cost 12, more than the budget of 10."


def test_a_minimum_score_applies_to_every_rule() -> None:
    projects = [Project("A", 10), Project("B", 10), Project("C", 10)]
    scores, approvals = {"A": 2, "B": 1, "C": 0}, [["A", "B"], ["A"]]
    assert select("greedy", projects, scores, 30).selected == ["A", "B", "C"]  # none: as before
    for rule in ("greedy", "greedy-no-skip", "greedy-threshold", "top-k"):
        assert select(rule, projects, scores, 30, min_score=1, k=3).selected == ["A", "B"], rule
    assert select("equalshares/add1", projects, scores, 30, approvals=approvals,
                  min_score=2).selected == ["A"]
    assert select("equalshares/add1-comparison", projects, scores, 30, approvals=approvals,
                  min_score=2).selected == ["A"]
    assert select("top-k", projects, scores, 30, min_score=1, k=3).scores == scores


def test_the_comparison_step_counts_approved_projects_not_their_cost() -> None:
    """equalshares.net's comparison step (and pabulib's checker): a voter prefers the outcome
    that selects more of her approved projects.  Here the one voter whose outcomes differ
    gets one dear project from equal shares and two cheap ones from greedy: by cost she
    would keep equal shares, by count she prefers greedy, and greedy is taken."""
    from consult.voting.tally import more_popular

    projects = [Project("big", 50), Project("s1", 10), Project("s2", 10)]
    assert more_popular(projects, [["big", "s1", "s2"]], ["big"], ["s1", "s2"]) == ["s1", "s2"]
    # a tie in the count (one each) keeps the primary outcome
    assert more_popular(projects, [["big", "s1"]], ["big"], ["s1"]) == ["big"]
