"""The count of an election at every boundary, and against a plain reference.

The reference shares no code with :mod:`consult.elections.rules`: it compares ratios
as Fractions and ranks with ``sorted`` over tuples, in plain loops.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.elections.rules import (
    CountError,
    ElectionState,
    allows,
    candidate_order,
    count_committee,
    count_residents,
    election_state,
)


def committee(areas, ballots, seats=1, rank="headcount", candidates=()):
    return count_committee(areas, ballots, seats, rank, candidates)


def by_id(outcome):
    return {c.id: c for c in outcome.candidates}


# --- owners' committee: the quorum ------------------------------------------------------

def test_exactly_two_thirds_of_area_and_heads_is_a_quorum():
    areas = {"a": 100, "b": 100, "c": 100}
    outcome = committee(areas, {"a": ["x"], "b": ["x"]})
    assert (outcome.area_voted_cents, outcome.owners_voted, outcome.quorum_met) == (200, 2, True)
    assert outcome.elected == ("x",)


def test_one_hundredth_of_a_square_metre_under_two_thirds_is_no_quorum():
    # total 30000: two thirds is 20000; the voters hold 19999
    areas = {"a": 9999, "b": 10000, "c": 10001}
    outcome = committee(areas, {"a": ["x"], "b": ["x"]})
    assert not outcome.quorum_met
    assert outcome.elected == () and outcome.unfilled == 1
    assert not by_id(outcome)["x"].passed
    assert committee(areas, {"c": ["x"], "b": ["x"]}).quorum_met  # 20001


def test_area_without_headcount_is_no_quorum():
    # one big owner holds nearly everything: area 2/3 met, heads 1/3 not
    outcome = committee({"big": 1000, "s1": 1, "s2": 1}, {"big": ["x"]})
    assert not outcome.quorum_met and outcome.elected == ()


# --- owners' committee: passing ---------------------------------------------------------

def test_exactly_half_of_area_fails_and_one_hundredth_more_passes():
    # 4 owners take part; x approved by 3 (heads > 1/2) holding exactly half the area
    areas = {"a": 100, "b": 100, "c": 100, "d": 300}
    ballots = {"a": ["x"], "b": ["x"], "c": ["x"], "d": []}
    assert not by_id(committee(areas, ballots))["x"].passed
    areas["a"] = 101
    assert by_id(committee(areas, ballots))["x"].passed


def test_exactly_half_of_heads_fails_and_one_more_head_passes():
    areas = {"a": 500, "b": 500, "c": 1, "d": 1}
    ballots = {"a": ["x"], "b": ["x"], "c": [], "d": []}
    assert not by_id(committee(areas, ballots))["x"].passed  # 2 of 4 heads
    ballots["c"] = ["x"]
    assert by_id(committee(areas, ballots))["x"].passed  # 3 of 4


def test_a_blank_ballot_takes_part_without_approving():
    outcome = committee({"a": 100, "b": 100, "c": 100}, {"a": ["x"], "b": [], "c": []})
    assert outcome.quorum_met and not by_id(outcome)["x"].passed
    assert outcome.owners_voted == 3


# --- owners' committee: ranking, ties, unfilled -----------------------------------------

def test_headcount_first_and_area_first_elect_different_candidates():
    # half of 1350 is 675; x 5 heads 1050, y 5 heads 750, z 4 heads 900: all pass, two seats
    areas = {"a": 150, "b": 150, "c": 150, "d": 150, "e": 150, "f": 300, "g": 300}
    ballots = {"a": ["z", "y"], "b": ["z", "y"], "c": ["x", "y"], "d": ["x", "y"],
               "e": ["x", "y"], "f": ["z", "x"], "g": ["z", "x"]}
    heads_first = committee(areas, ballots, 2, "headcount")
    area_first = committee(areas, ballots, 2, "area")
    assert all(c.passed for c in heads_first.candidates)
    assert heads_first.elected == ("x", "y")
    assert area_first.elected == ("x", "z")
    assert heads_first.tied == area_first.tied == ()


def test_equal_on_both_measures_at_the_last_seat_is_a_tie():
    six = {k: 100 for k in "abcdef"}
    # x, y and z: 4 heads and 400 each, for two seats: all tied, nobody elected
    ballots = {"a": ["z", "x"], "b": ["z", "x"], "c": ["z", "y"], "d": ["z", "y"],
               "e": ["x", "y"], "f": ["x", "y"]}
    outcome = committee(six, ballots, 2)
    assert all(c.passed for c in outcome.candidates)
    assert outcome.elected == () and outcome.tied == ("x", "y", "z") and outcome.unfilled == 2
    # with three seats they all fit: elected, no tie
    outcome = committee(six, ballots | {}, 3)
    assert outcome.elected == ("x", "y", "z") and outcome.tied == () and outcome.unfilled == 0


def test_equal_heads_different_area_is_no_tie():
    areas = {k: 100 for k in "abcdef"} | {"d": 101}
    ballots = {"a": ["z", "x"], "b": ["z", "x"], "c": ["z", "y"], "d": ["z", "y"],
               "e": ["x", "y"], "f": ["x", "y"]}
    # 4 heads each; y and z hold 401, x 400: y and z take the two seats
    outcome = committee(areas, ballots, 2)
    assert outcome.elected == ("y", "z") and outcome.tied == ()
    # area first: the same here, as every candidate has 4 heads
    assert committee(areas, ballots, 2, "area").elected == ("y", "z")


def test_a_tie_below_the_cut_keeps_the_seats_above_it():
    areas = {k: 100 for k in "abcdefg"}
    ballots = {"a": ["w", "x"], "b": ["w", "x"], "c": ["w", "x"], "d": ["w", "y"],
               "e": ["w", "y"], "f": ["w", "y"], "g": ["x", "y"]}
    # w 6 heads; x and y 4 heads and 400 each; two seats: w elected, x/y tied for the second
    outcome = committee(areas, ballots, 2)
    assert outcome.elected == ("w",) and outcome.tied == ("x", "y") and outcome.unfilled == 1


def test_too_few_passing_leaves_seats_unfilled():
    outcome = committee({"a": 1, "b": 1, "c": 1}, {"a": ["x"], "b": ["x"], "c": ["y"]}, 7)
    assert outcome.elected == ("x",) and outcome.unfilled == 6


def test_candidates_nobody_named_are_listed_with_zero():
    outcome = committee({"a": 1}, {"a": []}, 3, candidates=["10", "9"])
    assert [c.id for c in outcome.candidates] == ["9", "10"]
    assert all(c.owners_agree == 0 and not c.passed for c in outcome.candidates)


@pytest.mark.parametrize("ballot", [["x", "x"], ["x", "y", "z"]])
def test_a_ballot_naming_someone_twice_or_too_many_is_refused(ballot):
    with pytest.raises(CountError):
        committee({"a": 1}, {"a": ballot}, 2)


def test_a_ballot_from_outside_the_register_is_refused():
    with pytest.raises(CountError):
        committee({"a": 1}, {"b": []}, 1)


@pytest.mark.parametrize("seats", [0, 100, True, "3"])
def test_seats_must_be_a_whole_number_in_range(seats):
    with pytest.raises(CountError):
        committee({"a": 1}, {}, seats)


def test_areas_must_be_positive_integers():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(CountError):
            committee({"a": bad}, {}, 1)


def test_candidate_ids_sort_numbers_by_value():
    assert sorted(["10", "b", "9", "a", "１"], key=candidate_order) == ["9", "10", "a", "b", "１"]


# --- residents' committee ---------------------------------------------------------------

def test_turnout_of_exactly_half_is_not_valid():
    outcome = count_residents(4, [["x"], ["x"]], 1)
    assert not outcome.valid and outcome.elected == () and outcome.unfilled == 1
    assert count_residents(4, [["x"], ["x"], []], 1).valid


def test_more_than_half_of_ballots_cast_elects():
    assert count_residents(5, [["x"], ["x"], [], []], 1).elected == ()  # 2 of 4: not more
    assert count_residents(5, [["x"], ["x"], ["x"], []], 1).elected == ("x",)


def test_residents_tie_at_the_last_seat():
    outcome = count_residents(4, [["x", "y"], ["y", "z"], ["x", "z"]], 2)
    assert outcome.elected == () and outcome.tied == ("x", "y", "z") and outcome.unfilled == 2
    outcome = count_residents(4, [["x", "y"], ["y", "z"], ["x", "y"]], 2)
    assert outcome.elected == ("y", "x") and outcome.tied == ()


def test_further_round_needs_a_third_and_the_most_votes():
    ballots = [["x"], ["x"], ["y"], ["z"], ["z"], []]  # 6 cast: x 2 (=1/3), z 2, y 1
    outcome = count_residents(10, ballots, 1, further_round=True)
    assert outcome.tied == ("x", "z") and outcome.elected == ()
    outcome = count_residents(10, ballots, 2, further_round=True)
    assert outcome.elected == ("x", "z") and not {c.id: c for c in outcome.candidates}["y"].passed
    ballots[-1] = ["x"]  # x 3 of 6: elected alone with one seat
    assert count_residents(10, ballots, 1, further_round=True).elected == ("x",)
    assert count_residents(10, ballots, 1, further_round=True,
                           threshold=Fraction(1, 2)).elected == ("x",)
    assert count_residents(10, ballots, 2, further_round=True,
                           threshold=Fraction(1, 2)).elected == ("x",)


def test_more_ballots_than_voters_is_refused():
    with pytest.raises(CountError):
        count_residents(1, [[], []], 1)


# --- lifecycle ---------------------------------------------------------------------------

def test_the_period_decides_the_state(now=None):
    from datetime import UTC, datetime, timedelta

    opens = datetime(2026, 12, 1, tzinfo=UTC)
    closes = opens + timedelta(days=7)
    assert election_state(opens, closes, opens - timedelta(microseconds=1)) is ElectionState.SCHEDULED
    assert election_state(opens, closes, opens) is ElectionState.OPEN
    assert election_state(opens, closes, closes) is ElectionState.CLOSED
    assert allows("edit_candidates", ElectionState.SCHEDULED)
    assert not allows("edit_candidates", ElectionState.OPEN)
    assert not allows("view_result", ElectionState.OPEN)


# --- property tests against a plain reference --------------------------------------------

def reference_committee(areas, ballots, seats, rank):
    total_area = sum(areas.values())
    voted = [o for o in ballots]
    area_voted = sum(areas[o] for o in voted)
    quorum = (Fraction(area_voted, total_area) >= Fraction(2, 3)
              and Fraction(len(voted), len(areas)) >= Fraction(2, 3))
    names = sorted({c for b in ballots.values() for c in b})
    figures = {}
    for name in names:
        approvers = [o for o in voted if name in ballots[o]]
        area = sum(areas[o] for o in approvers)
        ok = (quorum and len(voted) > 0 and Fraction(area, area_voted) > Fraction(1, 2)
              and Fraction(len(approvers), len(voted)) > Fraction(1, 2))
        figures[name] = (len(approvers), area, ok)
    passed = [n for n in names if figures[n][2]]

    def score(n):
        heads, area, _ = figures[n]
        return (heads, area) if rank == "headcount" else (area, heads)

    elected, tied = [], []
    groups = sorted({score(n) for n in passed}, reverse=True)
    for group in groups:
        members = sorted(n for n in passed if score(n) == group)
        if len(elected) + len(members) <= seats:
            elected += members
        else:
            if len(elected) < seats:
                tied = members
            break
    return figures, set(elected), tied


@st.composite
def committee_elections(draw):
    owners = draw(st.integers(1, 9))
    areas = {f"o{i}": draw(st.integers(1, 300)) for i in range(owners)}
    seats = draw(st.integers(1, 4))
    pool = [f"c{i}" for i in range(draw(st.integers(1, 6)))]
    voters = draw(st.lists(st.sampled_from(sorted(areas)), unique=True))
    ballots = {v: draw(st.lists(st.sampled_from(pool), unique=True, max_size=seats)) for v in voters}
    return areas, ballots, seats, draw(st.sampled_from(["headcount", "area"]))


@settings(max_examples=400, deadline=None)
@given(committee_elections())
def test_committee_count_agrees_with_the_reference(election):
    areas, ballots, seats, rank = election
    outcome = count_committee(areas, ballots, seats, rank)
    figures, elected, tied = reference_committee(areas, ballots, seats, rank)
    assert {c.id: (c.owners_agree, c.area_agree_cents, c.passed) for c in outcome.candidates} == figures
    assert set(outcome.elected) == elected
    assert list(outcome.tied) == tied
    assert outcome.unfilled == seats - len(elected)
    assert len(outcome.elected) <= seats


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 12), st.integers(1, 4), st.data())
def test_residents_count_agrees_with_the_reference(registered, seats, data):
    pool = ["a", "b", "c", "d", "e"]
    ballots = data.draw(st.lists(st.lists(st.sampled_from(pool), unique=True, max_size=seats),
                                 max_size=registered))
    further = data.draw(st.booleans())
    outcome = count_residents(registered, ballots, seats, further_round=further)
    voted = len(ballots)
    valid = Fraction(voted, registered) > Fraction(1, 2)
    votes = {n: sum(n in b for b in ballots) for n in sorted({c for b in ballots for c in b})}
    if further:
        passed = {n for n, v in votes.items() if valid and Fraction(v, voted) >= Fraction(1, 3)}
    else:
        passed = {n for n, v in votes.items() if valid and Fraction(v, voted) > Fraction(1, 2)}
    assert outcome.valid == valid
    assert {c.id: (c.votes, c.passed) for c in outcome.candidates} == {
        n: (v, n in passed) for n, v in votes.items()}
    ranked = sorted(passed, key=lambda n: -votes[n])
    if len(ranked) > seats and votes[ranked[seats]] == votes[ranked[seats - 1]]:
        cut = votes[ranked[seats - 1]]
        assert set(outcome.tied) == {n for n in passed if votes[n] == cut}
        assert set(outcome.elected) == {n for n in passed if votes[n] > cut}
    else:
        assert set(outcome.elected) == set(ranked[:seats]) and outcome.tied == ()
