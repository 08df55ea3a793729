"""Pure voting rules: messages, settings, reading ballots, counting helpers, receipts."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from consult.i18n import translator
from consult.voting import rules, tally
from consult.voting.models import VoteSettings
from consult.voting.rules import BallotFormError, RawBallot
from consult.voting.tally import BallotError, Project

PROJECTS = [Project("1", 400_000), Project("2", 300_000), Project("3", 250_000)]


# -- tally messages in the catalogue ------------------------------------------------------


@pytest.mark.parametrize("code", sorted(tally.BALLOT_MESSAGES))
def test_every_tally_message_converts_to_its_catalogue_text(code):
    assert rules.ballot_text(tally.BALLOT_MESSAGES[code]) == rules.BALLOT_TEXTS[code]
    assert set(re.findall(r"\{(\w+)\}", tally.BALLOT_MESSAGES[code])) == \
        set(re.findall(r"%\((\w+)\)s", rules.BALLOT_TEXTS[code]))


def test_conversion_escapes_percent_signs():
    assert rules.ballot_text("{n}% of {total}") == "%(n)s%% of %(total)s"


@pytest.mark.parametrize("code", sorted(tally.BALLOT_MESSAGES))
def test_every_tally_message_is_translated_and_formats(code):
    params = {name: 7 for name in re.findall(r"\{(\w+)\}", tally.BALLOT_MESSAGES[code])}
    error = BallotError(code, **params)
    message = rules.ballot_message(error, {"7": "“楼道灯”"}, money_params=False)
    english = translator("en")(message)
    assert english == tally.BALLOT_MESSAGES[code].format(**{**params, **(
        {"project": "“楼道灯”"} if "project" in params else {}), **(
        {"value": "“7”"} if "value" in params else {})})
    chinese = translator("zh_Hans")(message)
    assert chinese != english and "%(" not in chinese


def test_over_budget_message_shows_money():
    error = BallotError("over_budget", total=1_100_000, budget=1_000_000)
    shown = translator("zh_Hans")(rules.ballot_message(error))
    assert "¥11,000.00" in shown and "¥10,000.00" in shown


def test_unknown_user_text_is_quoted_and_cut():
    error = BallotError("points_not_integer", project="9", value="x" * 100)
    assert rules.ballot_message(error).params["value"] == "“" + "x" * 20 + "”"


# -- settings -----------------------------------------------------------------------------


def test_settings_defaults_and_points_per_rank():
    values, errors = rules.parse_settings({"ballot_kind": "ordinal", "ranking_length": "3",
                                           "rule": "greedy"}, 100_000, VoteSettings())
    assert errors == {} and values.points_per_rank == [3, 2, 1] and values.notice_days == 7
    values, errors = rules.parse_settings({"ballot_kind": "ordinal", "ranking_length": "3",
                                           "points_per_rank": "5，3, 1", "rule": "greedy"}, 100_000, VoteSettings())
    assert errors == {} and values.points_per_rank == [5, 3, 1]


@pytest.mark.parametrize("form,fields", [
    ({"ballot_kind": "x", "rule": "y"}, {"ballot_kind", "rule"}),
    ({"ballot_kind": "approval", "rule": "greedy", "min_choices": "3", "max_choices": "2"}, {"max_choices"}),
    ({"ballot_kind": "approval", "rule": "greedy", "min_choices": "-1"}, {"min_choices"}),
    ({"ballot_kind": "cumulative", "rule": "greedy"}, {"max_points"}),
    ({"ballot_kind": "ordinal", "rule": "greedy"}, {"ranking_length"}),
    ({"ballot_kind": "ordinal", "rule": "greedy", "ranking_length": "3", "points_per_rank": "3,2"},
     {"points_per_rank"}),
    ({"ballot_kind": "ordinal", "rule": "greedy", "ranking_length": "2", "points_per_rank": "a,b"},
     {"points_per_rank"}),
    ({"ballot_kind": "cumulative", "max_points": "5", "rule": "equalshares/add1"}, {"rule"}),
    ({"ballot_kind": "approval", "rule": "greedy-threshold"}, {"min_score"}),
    ({"ballot_kind": "approval", "rule": "top-k"}, {"k"}),
    ({"ballot_kind": "approval", "rule": "greedy", "budget": "12.345"}, {"budget"}),
    ({"ballot_kind": "approval", "rule": "greedy", "notice_days": "99"}, {"notice_days"}),
    ({"ballot_kind": "approval", "rule": "greedy", "eligibility": "everyone"}, {"eligibility"}),
])
def test_bad_settings(form, fields):
    _, errors = rules.parse_settings(form, 100_000, VoteSettings())
    assert set(errors) == fields


def test_a_budget_is_needed_unless_top_k():
    _, errors = rules.parse_settings({"ballot_kind": "approval", "rule": "greedy"}, None, VoteSettings())
    assert set(errors) == {"budget"}
    _, errors = rules.parse_settings({"ballot_kind": "approval", "rule": "top-k", "k": "3"}, None, VoteSettings())
    assert errors == {}
    values, errors = rules.parse_settings({"ballot_kind": "approval", "rule": "greedy",
                                           "budget": "¥1,500.50"}, None, VoteSettings())
    assert errors == {} and values.budget_fen == 150_050


# -- reading and checking ballots ---------------------------------------------------------


def test_form_ballot_reading():
    items = [("idea", "1"), ("idea", " 2 "), ("points-1", "3"), ("points-2", ""), ("rank-3", "1"),
             ("csrf_token", "x")]
    raw = rules.read_form_ballot("approval", items)
    assert raw.choices == ["1", "2"] and raw.points == [("1", "3")]
    assert rules.read_form_ballot("ordinal", items).ranking == ["3"]


@pytest.mark.parametrize("ranks,words", [
    ([("1", "1"), ("2", "1")], "Two ideas have rank"), ([("1", "2")], "Rank %(rank)s is missing"),
    ([("1", "0")], "whole number"), ([("1", "一")], "whole number"),
])
def test_bad_ranks(ranks, words):
    with pytest.raises(BallotFormError) as caught:
        rules.ranking_from_ranks(ranks)
    assert words in caught.value.msg.text


def test_ranks_in_any_order_and_full_width_digits():
    assert rules.ranking_from_ranks([("a", "２"), ("b", "1"), ("c", "3")]) == ["b", "a", "c"]


def test_json_ballot_reading():
    assert rules.read_json_ballot("approval", {"choices": [1, 2]}).choices == ["1", "2"]
    assert rules.read_json_ballot("cumulative", {"points": {"1": 3}}).points == [("1", 3)]
    assert rules.read_json_ballot("ordinal", {"ranking": [2, 1]}).ranking == ["2", "1"]
    with pytest.raises(BallotFormError):
        rules.read_json_ballot("approval", {"choices": "1,2"})
    with pytest.raises(BallotFormError):
        rules.read_json_ballot("cumulative", {"points": [1]})


def test_check_ballot_gives_choices_with_points_and_ranks():
    ordinal = VoteSettings(ballot_kind="ordinal", ranking_length=2, points_per_rank=[5, 2])
    assert rules.check_ballot(ordinal, PROJECTS, RawBallot(ranking=["3", "1"]), None) == [
        rules.Choice(3, 5, 1), rules.Choice(1, 2, 2)]
    cumulative = VoteSettings(ballot_kind="cumulative", max_points=4)
    assert rules.check_ballot(cumulative, PROJECTS, RawBallot(points=[("1", "0"), ("2", "4")]), None) == [
        rules.Choice(2, 4)]
    budget = VoteSettings(ballot_kind="approval_budget")
    assert rules.check_ballot(budget, PROJECTS, RawBallot(choices=["1", "2"]), 700_000) == [
        rules.Choice(1), rules.Choice(2)]
    with pytest.raises(BallotError):
        rules.check_ballot(budget, PROJECTS, RawBallot(choices=["1", "2"]), 699_999)


def test_running_total_tolerates_bad_input():
    costs = {"1": 400_000, "2": None}
    running = rules.running_total("approval_budget", RawBallot(choices=["1", "2", "9", "1"]), costs, 300_000)
    assert (running.chosen, running.cost_fen, running.left_fen, running.over) == (2, 400_000, -100_000, True)
    points = rules.running_total("cumulative", RawBallot(points=[("1", "3"), ("2", "x"), ("9", "2")]), costs, None)
    assert (points.chosen, points.points) == (1, 3)


# -- counting -----------------------------------------------------------------------------


def test_money_unit():
    assert rules.money_unit([400_000, 300_000], 1_000_000) == 100
    assert rules.money_unit([400_050, 300_000], 1_000_000) == 1
    assert rules.money_unit([400_000], 1_000_001) == 1


def test_canonical_ballots_and_digest():
    assert rules.canonical_ballot("approval", [(12, 1, None), (3, 1, None)]) == "3,12"
    assert rules.canonical_ballot("cumulative", [(12, 1, None), (3, 2, None)]) == "3:2,12:1"
    assert rules.canonical_ballot("ordinal", [(3, 1, 2), (12, 2, 1)]) == "12>3"
    digest = rules.ballot_digest("approval", [[(2, 1, None)], [(1, 1, None), (2, 1, None)], []])
    assert digest == hashlib.sha256(b"\n1,2\n2\n").hexdigest()
    assert digest == rules.ballot_digest("approval", [[], [(2, 1, None), (1, 1, None)], [(2, 1, None)]])


def test_count_with_fen_unit_for_equal_shares():
    values = VoteSettings(ballot_kind="approval", rule="equalshares/add1")
    counted = rules.count(values, [(1, 150), (2, 100)], [[(1, 1, None)], [(2, 1, None)]], 250)
    assert counted.parameters["money_unit_fen"] == 1 and sorted(counted.selected_ids) == [1, 2]
    lines = rules.method_description(counted.parameters)
    assert any("fen" in m.text for m in lines)


def test_method_description_for_every_rule_and_kind():
    for kind in rules.BALLOT_KINDS:
        for rule in rules.SELECTION_RULES:
            lines = rules.method_description({"ballot_kind": kind, "rule": rule, "budget_fen": 100,
                                              "k": 2, "min_score": 1, "max_points": 3,
                                              "ranking_length": 2, "points_per_rank": [2, 1]})
            assert len(lines) >= 2
            for line in lines:
                assert "%(" not in translator("zh_Hans")(line)


# -- receipts, notice period, small helpers -----------------------------------------------


def test_receipts_normalise():
    assert rules.normalize_receipt(" abcd-efgh ｊｋｌｍ npqr ") == "ABCDEFGHJKLMNPQR"
    assert rules.format_receipt("ABCDEFGHJKLMNPQR") == "ABCD-EFGH-JKLM-NPQR"
    assert rules.receipt_hash("abcd efgh jklm npqr") == rules.receipt_hash("ABCD-EFGH-JKLM-NPQR")



def test_a_web_ballots_receipt_follows_from_the_ballot_and_what_it_says():
    """Sent twice, the same ballot gets the same receipt; anything else another one."""
    key = b"k" * 32
    choices = [rules.Choice(7), rules.Choice(3)]
    code = rules.receipt_code(key, 1, 100, choices)
    assert len(code) == rules.RECEIPT_LENGTH and set(code) <= set(rules.RECEIPT_ALPHABET)
    assert rules.receipt_code(key, 1, 100, list(reversed(choices))) == code  # the form's order
    others = {rules.receipt_code(key, 1, 100, [rules.Choice(7)]),
              rules.receipt_code(key, 1, 100, [rules.Choice(7, 2), rules.Choice(3)]),
              rules.receipt_code(key, 1, 100, [rules.Choice(7, 1, 2), rules.Choice(3, 1, 1)]),
              rules.receipt_code(key, 1, 100, []),
              rules.receipt_code(key, 1, 101, choices),  # another ballot
              rules.receipt_code(key, 2, 100, choices),  # another round
              rules.receipt_code(b"j" * 32, 1, 100, choices)}  # without the key, no receipt
    assert len(others) == 7 and code not in others

def test_notice_period():
    published = datetime(2026, 3, 1, tzinfo=UTC)
    until = rules.notice_until(published, 7)
    assert until == published + timedelta(days=7)
    assert rules.notice_open(until, None, published) and not rules.notice_open(until, None, until)
    assert not rules.notice_open(until, published, published)
    assert rules.finalize_problem(until, None, 0, published) is not None
    assert rules.finalize_problem(until, None, 2, until).params == {"n": 2}
    assert rules.finalize_problem(until, None, 0, until) is None
    assert rules.finalize_problem(until, until, 0, until) is not None


def test_turnout_share_is_exact():
    assert rules.turnout_share(1, 8) == "12.5%"
    assert rules.turnout_share(1, 3) == "33.3%" and rules.turnout_share(2, 3) == "66.7%"
    assert rules.turnout_share(0, 0) == ""


def test_bar_items_order_like_the_tally():
    rows = rules.bar_items([(1, "a", 500), (2, "b", 100), (3, "c", 100)], {"1": 2, "2": 2, "3": 5}, [3])
    assert [(r[0], r[3]) for r in rows] == [(3, True), (2, False), (1, False)]


@pytest.mark.parametrize("serial,ok", [("A-17", True), ("2026/恒丰/003", True), ("", False),
                                       ("a b", False), ("x" * 41, False)])
def test_serials(serial, ok):
    assert (rules.serial_problem(serial) is None) == ok
