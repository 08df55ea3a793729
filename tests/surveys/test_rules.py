"""Pure survey rules: state from time, question and answer checks, result arithmetic."""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from consult.surveys import rules
from consult.surveys.rules import QuestionDraft, QuestionSpec

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=7)


@pytest.mark.parametrize(("now", "expected"), [
    (T0 - timedelta(seconds=1), "upcoming"),
    (T0, "open"),
    (T1 - timedelta(seconds=1), "open"),
    (T1, "closed"),
])
def test_state_is_a_function_of_time(now, expected):
    assert rules.state(T0, T1, now) == expected


def test_results_visible_to_staff_always_to_others_after_closing():
    assert rules.results_visible("open", is_staff=True)
    assert not rules.results_visible("open", is_staff=False)
    assert rules.results_visible("closed", is_staff=False)


def test_survey_must_close_after_opening_and_have_a_title():
    problems = rules.survey_problems(title=" ", description="", audience="everyone",
                                     opens_at=T1, closes_at=T0)
    assert set(problems) == {"title", "audience", "closes_at"}
    assert not rules.survey_problems(title="满意度", description="", audience="owners",
                                     opens_at=T0, closes_at=T1)


@pytest.mark.parametrize(("draft", "field"), [
    (QuestionDraft(kind="essay", text="?"), "kind"),
    (QuestionDraft(kind="single", text="", options=("a", "b")), "text"),
    (QuestionDraft(kind="single", text="?", options=("only one",)), "options"),
    (QuestionDraft(kind="single", text="?", options=("same", "same")), "options"),
    (QuestionDraft(kind="multiple", text="?", options=("a", "b"), max_choices=3), "max_choices"),
    (QuestionDraft(kind="number", text="?", min_value=5, max_value=5), "min_value"),
    (QuestionDraft(kind="number", text="?"), "min_value"),
    (QuestionDraft(kind="number", text="?", min_value=0, max_value=10**12), "min_value"),
    (QuestionDraft(kind="number", text="?", min_value=-10**10, max_value=0), "min_value"),
    (QuestionDraft(kind="text", text="?", max_length=0), "max_length"),
])
def test_question_problems(draft, field):
    assert field in rules.question_problems(draft)


def test_good_questions_have_no_problems():
    for draft in (QuestionDraft(kind="multiple", text="?", options=("a", "b", "c"), max_choices=2),
                  QuestionDraft(kind="stars", text="?"), QuestionDraft(kind="satisfaction", text="?"),
                  QuestionDraft(kind="number", text="?", min_value=0, max_value=10),
                  QuestionDraft(kind="text", text="?", max_length=200)):
        assert rules.question_problems(draft) == {}


SPECS = [
    QuestionSpec(id=1, kind="single", required=True, option_ids=(11, 12, 13)),
    QuestionSpec(id=2, kind="multiple", required=False, option_ids=(21, 22, 23), max_choices=2),
    QuestionSpec(id=3, kind="satisfaction", required=True),
    QuestionSpec(id=4, kind="stars", required=True),
    QuestionSpec(id=5, kind="number", required=False, min_value=0, max_value=10),
    QuestionSpec(id=6, kind="text", required=False, max_length=10),
]
GOOD = {"q1": ["12"], "q2": ["21", "23"], "q3": ["4"], "q4": ["5"], "q5": ["10"], "q6": ["很好"]}


def test_a_good_form_gives_one_answer_per_value():
    checked = rules.check_answers(SPECS, GOOD)
    assert checked.errors == {}
    assert [(a.question_id, a.option_id, a.value, a.text) for a in checked.answers] == [
        (1, 12, None, None), (2, 21, None, None), (2, 23, None, None), (3, None, 4, None),
        (4, None, 5, None), (5, None, 10, None), (6, None, None, "很好")]


@pytest.mark.parametrize(("change", "field", "fragment"), [
    ({"q4": ["6"]}, "q4", "between 1 and 5 stars"),
    ({"q4": ["0"]}, "q4", "between 1 and 5 stars"),
    ({"q4": ["4.5"]}, "q4", "between 1 and 5 stars"),
    ({"q3": ["9"]}, "q3", "five levels"),
    ({"q5": ["11"]}, "q5", "from %(min)s to %(max)s"),
    ({"q5": ["-1"]}, "q5", "from %(min)s to %(max)s"),
    ({"q5": ["ten"]}, "q5", "whole number"),
    ({"q5": ["１"]}, "q5", "whole number"),
    ({"q1": []}, "q1", "Please answer"),
    ({"q1": ["  "]}, "q1", "Please answer"),
    ({"q1": ["11", "12"]}, "q1", "only one"),
    ({"q1": ["99"]}, "q1", "listed answers"),
    ({"q2": ["21", "22", "23"]}, "q2", "at most %(max)s answers"),
    ({"q6": ["一二三四五六七八九十十"]}, "q6", "at most %(max)s characters"),
])
def test_each_bad_answer_is_reported_and_nothing_is_kept(change, field, fragment):
    checked = rules.check_answers(SPECS, {**GOOD, **change})
    assert set(checked.errors) == {field}
    assert fragment in checked.errors[field].text
    assert checked.answers == []


def test_optional_questions_may_be_left_blank():
    checked = rules.check_answers(SPECS, {"q1": ["11"], "q3": ["1"], "q4": ["1"]})
    assert checked.errors == {}
    assert len(checked.answers) == 3


def test_max_choices_counts_distinct_options():
    checked = rules.check_answers(SPECS, {**GOOD, "q2": ["21", "21", "22"]})
    assert checked.errors == {}
    assert [a.option_id for a in checked.answers if a.question_id == 2] == [21, 22]


def test_satisfaction_rate_is_exact():
    counts = {5: 3, 4: 1, 3: 1, 2: 0, 1: 1}
    assert rules.satisfaction_rate(counts) == Fraction(4, 6)
    assert rules.satisfaction_rate({}) is None
    assert rules.percent(Fraction(2, 3)) == "66.7%"
    assert rules.percent(Fraction(1, 8)) == "12.5%"
    assert rules.percent(Fraction(1, 16)) == "6.3%"  # 6.25 rounds half up, not to even
    assert rules.percent(None) == "–"


def test_means_show_two_decimals_rounded_half_up():
    assert rules.two_decimals(rules.mean(17, 4)) == "4.25"
    assert rules.two_decimals(Fraction(1, 8)) == "0.13"
    assert rules.two_decimals(Fraction(2, 3)) == "0.67"
    assert rules.mean(3, 0) is None


def test_serial_numbers():
    assert rules.serial_problem("") is not None
    assert rules.serial_problem("x" * 41) is not None
    assert rules.serial_problem("A-0012") is None
