"""Delivery's pure rules: money, pledges, acceptance, ratings, checklists, due dates."""

from datetime import date

import pytest

from consult.delivery import rules


@pytest.mark.parametrize("text, fen", [("12000", 1200000), ("3500.5", 350050), ("3,500.50", 350050),
                                       ("-20.01", -2001), ("￥８００", 80000)])
def test_amounts_are_exact_fen(text, fen):
    assert rules.parse_amount(text, allow_negative=True) == (fen, None)


@pytest.mark.parametrize("text, message", [
    ("12.345", "Amounts can have at most two decimals (fen)."),
    ("-5", "Please enter an amount in yuan, such as 12000 or 3500.50."),
    ("0", "The amount cannot be zero."), ("", "Please enter an amount in yuan, such as 12000 or 3500.50."),
    ("1e3", "Please enter an amount in yuan, such as 12000 or 3500.50."),
    ("nan", "Please enter an amount in yuan, such as 12000 or 3500.50."),
])
def test_bad_amounts(text, message):
    fen, problem = rules.parse_amount(text)
    assert fen is None and problem.text == message


def _entry(kind="spent", amount=100, totals=None, budget=1000):
    return rules.entry_problems(kind=kind, source="jiedao", amount_fen=amount, amount_problem=None, reason="发票",
                                line_ok=True, totals=totals or {}, budget_fen=budget)


def test_entries_stay_within_the_budget_and_above_zero():
    assert _entry(amount=1000) == {}
    assert "amount" in _entry(amount=1001)
    assert "amount" in _entry(amount=-1, totals={"spent": 0})
    assert _entry(amount=-100, totals={"spent": 100}) == {}
    assert _entry(kind="committed", amount=5000) == {}  # committed may exceed: it is a promise, not the plan
    assert "reason" in rules.entry_problems(kind="spent", source="jiedao", amount_fen=1, amount_problem=None,
                                            reason="", line_ok=True, totals={}, budget_fen=10)


def test_quantities():
    assert rules.parse_quantity("money", "12.50") == (1250, None)
    assert rules.parse_quantity("labour", "8") == (8, None)
    assert rules.parse_quantity("labour", "1.5")[1] is not None
    assert rules.parse_quantity("goods", "０")[1] is not None  # full-width or zero: refused
    assert rules.parse_quantity("goods", "9999999")[1] is not None


def test_receipts_never_exceed_the_pledge():
    assert rules.receipt_problem(100, 40, 60) is None
    assert rules.receipt_problem(100, 40, 61) is not None
    assert rules.receipt_problem(100, 0, 0) is not None


def test_pledge_steps():
    assert rules.pledge_step_problem("change", "pledged") is None
    assert rules.pledge_step_problem("change", "received").text.startswith("This pledge has been received")
    assert rules.pledge_step_problem("withdraw", "used") is not None
    assert rules.pledge_step_problem("receive", "withdrawn").text == "This pledge was withdrawn."
    assert rules.pledge_step_problem("receive", "received") is None  # partial receipts


def test_the_cofunding_gate():
    assert rules.money_gate_problem("zizhi", None, False, "") is None
    assert rules.money_gate_problem("gongchou", None, False, "") is not None
    assert rules.money_gate_problem("gongchou", date(2026, 1, 1), False, "") is None
    assert rules.money_gate_problem("gongchou", date(2026, 1, 1), True, "") is not None
    assert rules.money_gate_problem("gongchou", date(2026, 1, 1), True, "某基金会") is None


def test_acceptance_needs_two_different_people():
    assert rules.signoff_problem("staff", {}, 1) is None
    assert rules.signoff_problem("residents", {"staff": 1}, 1).text.startswith("Acceptance needs two different")
    assert rules.signoff_problem("residents", {"staff": 1}, 2) is None
    assert rules.signoff_problem("staff", {"staff": 1}, 2) is not None
    assert rules.signoff_problem("boss", {}, 2) is not None


def test_rating_waves():
    done = date(2026, 1, 1)
    assert rules.rating_wave(None, date(2026, 6, 1)) is None
    assert rules.rating_wave(done, date(2026, 1, 30)) is None
    assert rules.rating_wave(done, date(2026, 1, 31)) == 30
    assert rules.rating_wave(done, date(2026, 6, 29)) == 30
    assert rules.rating_wave(done, date(2026, 6, 30)) == 180


def test_mean_is_exact():
    assert rules.mean_text({1: 0, 2: 0, 3: 1, 4: 1, 5: 1}) == "4.00"
    assert rules.mean_text({1: 0, 2: 0, 3: 0, 4: 2, 5: 1}) == "4.33"
    assert rules.mean_text({1: 0, 2: 0, 3: 0, 4: 1, 5: 2}) == "4.67"
    assert rules.mean_text({n: 0 for n in range(1, 6)}) == "–"
    assert rules.distribution([5, 5, 1]) == {1: 1, 2: 0, 3: 0, 4: 0, 5: 2}


def test_due_dates():
    today = date(2026, 12, 3)
    assert rules.next_due(date(2026, 1, 1), 365) == date(2027, 1, 1)
    assert rules.due_state(date(2026, 12, 2), today) == "overdue"
    assert rules.due_state(date(2026, 12, 20), today) == "due"
    assert rules.due_state(date(2027, 6, 1), today) is None
    assert rules.due_state(None, today) is None


def test_every_kind_has_a_checklist_and_every_item_is_marked():
    assert set(rules.CHECKLISTS) == set(rules.KINDS)
    problems = rules.check_problems("charging", {"electrical": "pass", "fire": "maybe"})
    assert set(problems) == {f"item_{k}" for k, _ in rules.CHECKLISTS["charging"]} - {"item_electrical"}


def test_repairs_need_a_party_and_a_date_after_the_check():
    on = date(2026, 12, 3)
    assert rules.repair_problems("wuye", "", date(2026, 12, 31), on) == {}
    assert set(rules.repair_problems("unit", "", None, on)) == {"party", "due_on"}
    assert "due_on" in rules.repair_problems("wuye", "", date(2026, 12, 1), on)


def test_dates():
    assert rules.parse_date("2026-12-31") == date(2026, 12, 31)
    assert rules.parse_date("2026-02-30") is None
    assert rules.parse_date("２０２６-12-31") is None
    assert rules.parse_date(None) is None
