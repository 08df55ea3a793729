"""Pure star-rating rules: weights, thresholds, mappings to 0–100, totals, notice period, grid."""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from consult.ratings import rules
from consult.ratings.rules import CriterionDraft

NOW = datetime(2026, 12, 3, tzinfo=UTC)


@pytest.mark.parametrize("weights", [[30, 30, 40], [100], [1] * 100])
def test_weights_summing_to_100_are_accepted(weights):
    assert rules.weights_problem(weights) is None


@pytest.mark.parametrize("weights,total", [([30, 30, 30], 90), ([50, 51], 101), ([], 0)])
def test_weights_not_summing_to_100_are_refused_with_the_sum(weights, total):
    problem = rules.weights_problem(weights)
    assert problem is not None and problem.params == {"total": total}


def test_criteria_problems_report_each_row_and_the_sum():
    drafts = [CriterionDraft("台账检查", 30, "staff"), CriterionDraft("", 0, "staff"),
              CriterionDraft("满意度", 30, "survey", survey_measure="median"),
              CriterionDraft("大众评选", 20, "contest", contest_id=9)]
    problems = rules.criteria_problems(drafts, contest_ids=[3])
    assert set(problems) == {"c1_name", "c1_weight", "c2_source", "c3_source", "weights"}
    good = [CriterionDraft("台账检查", 40, "staff"), CriterionDraft("座谈会", 30, "forum"),
            CriterionDraft("满意度", 20, "survey", survey_measure="rate"),
            CriterionDraft("大众评选", 10, "contest", contest_id=3)]
    assert rules.criteria_problems(good, contest_ids=[3]) == {}
    assert "c1_name" in rules.criteria_problems([CriterionDraft("a", 50, "staff"),
                                                 CriterionDraft("a", 50, "staff")])


@pytest.mark.parametrize("thresholds", [
    [60, 70, 80, 90, 95], [0, 1, 2, 3, 100],
])
def test_increasing_thresholds_are_accepted(thresholds):
    assert rules.thresholds_problem(thresholds) is None


@pytest.mark.parametrize("thresholds", [
    [60, 70, 70, 90, 95],  # equal
    [60, 80, 70, 90, 95],  # out of order
    [60, 70, 80, 90],  # four levels
    [60, 70, 80, 90, 101],  # above 100
    [None, 70, 80, 90, 95],
])
def test_thresholds_out_of_order_are_refused(thresholds):
    assert rules.thresholds_problem(thresholds) is not None


def test_mappings_to_100_are_exact():
    assert rules.five_to_100(Fraction(5)) == 100
    assert rules.five_to_100(Fraction(1)) == 0
    assert rules.five_to_100(Fraction(13, 3)) == Fraction(250, 3)  # mean 4.33… → 83.33…
    assert rules.rate_to_100(Fraction(2, 3)) == Fraction(200, 3)


def test_weighted_total_and_stars():
    weights = {1: 30, 2: 30, 3: 40}
    scores = {1: Fraction(90), 2: Fraction(250, 3), 3: Fraction(200, 3)}
    total = rules.weighted_total(weights, scores)
    assert total == Fraction(27) + Fraction(25) + Fraction(80, 3)  # 78.666…
    thresholds = [60, 70, 80, 90, 95]
    assert rules.stars_for(total, thresholds) == 2
    assert rules.stars_for(Fraction(80), thresholds) == 3  # reaching a threshold is enough
    assert rules.stars_for(Fraction(5999, 100), thresholds) == 0
    assert rules.weighted_total(weights, {1: Fraction(100)}) == 30  # missing scores count 0


def test_fraction_text_round_trip():
    value = Fraction(236, 3)
    assert rules.parse_fraction(rules.fraction_text(value)) == value
    assert rules.parse_fraction(None) is None


def test_campaign_state():
    assert rules.campaign_state(None, None, NOW) == "draft"
    assert rules.campaign_state(NOW, NOW + timedelta(days=7), NOW) == "notice"
    assert rules.campaign_state(NOW, NOW + timedelta(days=7), NOW + timedelta(days=7)) == "final"


def test_staff_scores_and_stars():
    assert rules.staff_score("") == (None, None)
    assert rules.staff_score("85") == (85, None)
    assert rules.staff_score("101")[1] is not None
    assert rules.staff_score("8.5")[1] is not None
    assert rules.stars_problem("5") == (5, None)
    for bad in ("0", "6", "x", ""):
        assert rules.stars_problem(bad)[1] is not None


def test_grid_checks_every_cell_and_keeps_nothing_on_error():
    grid = rules.check_grid([1, 2], [10, 11], {"r1_c10": "5", "r1_c11": "", "r2_c10": "3", "r2_c11": "4"})
    assert grid.errors == {}
    assert grid.values == {(1, 10): 5, (1, 11): None, (2, 10): 3, (2, 11): 4}
    bad = rules.check_grid([1, 2], [10, 11], {"r1_c10": "5", "r2_c11": "6", "r2_c10": "x"})
    assert set(bad.errors) == {"r2_c11", "r2_c10"}
    assert bad.values == {}
