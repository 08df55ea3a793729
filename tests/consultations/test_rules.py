"""Pure rules of consultations, tested with plain values."""

from datetime import UTC, datetime, timedelta

import pytest

from consult.consultations import rules

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(("now", "state"), [
    (T0 - HOUR, "upcoming"), (T0, "open"), (T0 + HOUR, "open"),
    (T0 + 2 * HOUR, "closed"), (T0 + 3 * HOUR, "closed"),
])
def test_round_state_follows_the_clock(now, state):
    assert rules.round_state(T0, T0 + 2 * HOUR, now) == state


def test_every_transition_targets_a_known_state():
    for sources, target in rules.TRANSITIONS.values():
        assert target in rules.IDEA_STATES
        assert sources <= set(rules.IDEA_STATES)


@pytest.mark.parametrize(("state", "action", "expected"), [
    ("draft", "submit", "submitted"),
    ("submitted", "submit", None),
    ("submitted", "shortlist", "shortlisted"),
    ("revision_requested", "shortlist", "shortlisted"),
    ("shortlisted", "request_revision", "revision_requested"),
    ("revision_requested", "revise", "submitted"),
    ("submitted", "merge", "merged"),
    ("merged", "merge", None),
    ("shortlisted", "reject", "rejected"),
    ("rejected", "restore", "submitted"),
    ("merged", "restore", None),
    ("withdrawn", "restore", None),
    ("draft", "withdraw", "withdrawn"),
    ("rejected", "withdraw", None),
    ("shortlisted", "select", "selected"),
    ("submitted", "select", None),
    ("selected", "start", "in_progress"),
    ("in_progress", "complete", "completed"),
])
def test_idea_state_machine(state, action, expected):
    assert rules.next_state(state, action) == expected
    assert (rules.transition_problem(state, action) is None) == (expected is not None)


def test_review_needs_an_open_working_round():
    assert rules.review_problem("shortlist", "submitted", "review", "open") is None
    assert rules.review_problem("shortlist", "submitted", "collect", "open") is None
    closed = rules.review_problem("shortlist", "submitted", "review", "closed")
    assert closed is not None and "closed" in closed.text
    assert rules.review_problem("shortlist", "submitted", "review", "upcoming") is not None
    assert rules.review_problem("reject", "shortlisted", "vote", "open") is not None
    assert rules.review_problem("shortlist", "submitted", None, None) is not None
    assert rules.review_problem("explode", "submitted", "review", "open") is not None


def test_submit_needs_open_collect_round_and_respects_the_limit():
    assert rules.submit_problem(True, 2, 3) is None
    assert rules.submit_problem(True, 3, 3).params == {"limit": 3}
    assert rules.submit_problem(True, 30, 0) is None  # 0 = no limit
    assert rules.submit_problem(False, 0, 3) is not None


@pytest.mark.parametrize(("state", "kind", "rstate", "moderator", "ok"), [
    ("draft", None, None, False, True),
    ("draft", None, None, True, False),
    ("submitted", "collect", "open", False, True),
    ("submitted", "collect", "closed", False, False),
    ("submitted", "review", "open", False, False),
    ("submitted", "review", "open", True, True),
    ("revision_requested", "review", "open", False, True),
    ("shortlisted", "revise", "open", False, True),
    ("shortlisted", "vote", "open", True, False),
    ("rejected", "collect", "open", False, False),
])
def test_who_may_edit_when(state, kind, rstate, moderator, ok):
    assert (rules.edit_problem(state, kind, rstate, moderator) is None) == ok


def test_supports_only_for_ideas_in_an_open_working_round():
    assert rules.support_problem("submitted", "collect", "open") is None
    assert rules.support_problem("merged", "collect", "open") is not None
    assert rules.support_problem("submitted", "collect", "closed") is not None
    assert rules.support_problem("shortlisted", "vote", "open") is not None


def test_withdraw_not_during_a_vote():
    assert rules.withdraw_problem("submitted", "collect") is None
    assert rules.withdraw_problem("shortlisted", "vote") is not None
    assert rules.withdraw_problem("draft", None) is None
    assert rules.withdraw_problem("rejected", "review") is not None


def test_carry_states():
    assert rules.carry_states("collect", "review") == rules.ACTIVE
    assert rules.carry_states("review", "vote") == {"shortlisted"}
    assert rules.carry_states("review", "revise") == {"shortlisted", "revision_requested"}
    assert rules.carry_states("revise", "review") == rules.ACTIVE
    assert "selected" in rules.carry_states("vote", "decide")


@pytest.mark.parametrize(("text", "fen"), [
    ("", None), ("12000", 1200000), ("3500.5", 350050), ("3,500.50", 350050),
    ("￥800", 80000), ("３０００元", 300000), ("0.01", 1), (" 7 ", 700),
])
def test_parse_money_exact(text, fen):
    assert rules.parse_money(text) == (fen, None)


@pytest.mark.parametrize("text", ["abc", "-5", "1.234", "1e3.5", "NaN", "Infinity", "9" * 30])
def test_parse_money_refuses(text):
    value, problem = rules.parse_money(text)
    assert value is None and problem is not None


def test_format_yuan_never_floats():
    assert rules.format_yuan(350050) == "3500.50"
    assert rules.format_yuan(1) == "0.01"
    assert rules.format_yuan(None) == ""
    assert rules.format_yuan(10**17 + 1) == "1000000000000000.01"


def test_idea_problems():
    ok = rules.idea_problems("加装扶手", "三号楼楼道加装扶手", True, True, None)
    assert ok == {}
    errors = rules.idea_problems("", "x" * 2001, False, False, rules.parse_money("x")[1])
    assert set(errors) == {"title", "description", "category_id", "place_id", "estimated_cost"}
    long = rules.idea_problems("长" * 61, "ok", True, True, None)
    assert long["title"].params == {"max": 60, "n": 61}
    assert rules.idea_problems("长" * 60, "描" * 2000, True, True, None) == {}


def test_categories_parsing():
    assert rules.parse_categories("实事项目\n\n 自治项目 \r\n") == (["实事项目", "自治项目"], None)
    assert rules.parse_categories("")[1] is not None
    assert rules.parse_categories("a\na")[1] is not None
    assert rules.parse_categories("长" * 41)[1] is not None


def test_consultation_problems():
    year, errors = rules.consultation_problems("三微征集", "2019", "", None)
    assert (year, errors) == (2019, {})
    year, errors = rules.consultation_problems("", "19", "d" * 4001, None)
    assert year is None and set(errors) == {"title", "year", "description"}


def test_schedule_problem():
    ok = [(T0, T0 + HOUR), (T0 + HOUR, T0 + 2 * HOUR)]
    assert rules.schedule_problem(ok) is None
    assert rules.schedule_problem([(T0, T0)]) is not None
    assert rules.schedule_problem([(T0, T0 + 2 * HOUR), (T0 + HOUR, T0 + 3 * HOUR)]) is not None


def test_similar_titles_in_chinese():
    candidates = [(1, "楼道灯更换"), (2, "更换楼道照明灯"), (3, "加装扶手"), (4, "健身步道")]
    assert rules.similar_titles("楼道灯坏了请更换", candidates)[:2] == [1, 2]
    assert 3 not in rules.similar_titles("楼道灯更换", candidates)
    assert rules.similar_titles("楼道灯更换", candidates, exclude=1) == [2]
    assert rules.similar_titles("", candidates) == []


def test_timeline_text_translates_round_kind():
    seen = []

    def t(message):
        seen.append(message)
        return message if isinstance(message, str) else message.text % message.params

    text = rules.timeline_text("carried", {"round": 2, "kind": "vote", "extra": 1}, t)
    assert text == "Carried the idea into round 2: Vote"
    assert "Vote" in seen


def test_names_cover_every_value():
    assert set(rules.STATE_NAMES) == set(rules.IDEA_STATES)
    assert set(rules.ROUND_KIND_NAMES) == set(rules.ROUND_KINDS)
