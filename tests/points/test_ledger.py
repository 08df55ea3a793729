"""Ledger invariants, with generated histories (hypothesis): whatever sequence of awards,
redemptions and corrections is tried, every transfer sums to zero, no member balance goes
below zero, the cached balances equal the sums of the entries, and a refused movement
writes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from consult.errors import Conflict
from consult.points import rules
from consult.points.models import Entry, PointsAccount
from consult.points.services import ledger
from tests.points.builders import NOW, world

AMOUNTS = st.integers(min_value=-1000, max_value=1000)


@settings(deadline=None)  # a 2-core machine shared by others: no timing
@given(st.lists(st.tuples(st.integers(1, 5), AMOUNTS), min_size=0, max_size=6))
def test_a_transfer_is_valid_exactly_when_it_balances(legs):
    problem = rules.ledger_problem(legs)
    valid = (len(legs) >= 2 and all(n != 0 for _, n in legs) and sum(n for _, n in legs) == 0
             and len({a for a, _ in legs}) == len(legs))
    assert (problem is None) is valid


@settings(deadline=None)  # a 2-core machine shared by others: no timing
@given(st.lists(st.tuples(st.integers(1, 4), AMOUNTS.filter(bool)), max_size=40))
def test_balances_add_up_to_what_moved(entries):
    totals = rules.balances(entries)
    assert sum(totals.values()) == sum(n for _, n in entries)
    assert set(totals) == {a for a, _ in entries}


@settings(deadline=None)  # a 2-core machine shared by others: no timing
@given(st.text(max_size=8))
def test_parse_points_accepts_only_ascii_whole_numbers(text):
    value, problem = rules.parse_points(text, allow_zero=True)
    stripped = text.strip()
    if problem is None:
        assert stripped.isascii() and stripped.isdigit() and value == int(stripped)
    else:
        assert value is None


OPERATIONS = st.lists(st.tuples(st.sampled_from(("award", "redeem", "correct")), st.integers(0, 2),
                                st.integers(1, 40)), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=OPERATIONS)
def test_any_history_keeps_the_ledger_whole(db, settings, history, request):
    # one club per test, reused by every example inside a savepoint rolled back after it
    w = request.node.__dict__.setdefault("_world", None) or world(db, settings)
    request.node._world = w
    issued = ledger.club_account(db, w.at.club.id, "issued")
    redeemed = ledger.club_account(db, w.at.club.id, "redeemed")
    accounts = [ledger.member_account(db, m.id) for _, _, m in w.residents]
    savepoint = db.begin_nested()
    try:
        expected = {a.id: ledger.balance(db, a.id) for a in accounts}
        for kind, who, amount in history:
            account = accounts[who]
            if kind == "award":
                legs, delta = [(account, amount), (issued, -amount)], amount
            elif kind == "redeem":
                legs, delta = [(account, -amount), (redeemed, amount)], -amount
            else:
                legs, delta = [(account, -amount), (issued, amount)], -amount
            entries = db.exec(select(func.count()).select_from(Entry)).one()
            if expected[account.id] + delta < 0:
                try:
                    ledger.post(db, club_id=w.at.club.id, kind=kind if kind != "correct" else "correction",
                                legs=legs, now=NOW)
                except Conflict as refused:
                    assert refused.code == "insufficient_points"
                else:
                    raise AssertionError("a balance went below zero")
                assert db.exec(select(func.count()).select_from(Entry)).one() == entries
            else:
                ledger.post(db, club_id=w.at.club.id, kind=kind if kind != "correct" else "correction",
                            legs=legs, now=NOW)
                expected[account.id] += delta
        assert {a.id: ledger.balance(db, a.id) for a in accounts} == expected
        assert all(v >= 0 for v in expected.values())
        assert db.exec(select(func.coalesce(func.sum(Entry.amount), 0))).one() == 0
        assert ledger.check(db) == []
        cached = {a.id: a.balance for a in db.exec(select(PointsAccount).where(PointsAccount.kind == "member"))}
        assert all(cached[k] == v for k, v in expected.items())
    finally:
        savepoint.rollback()
