"""Pure helpers around the count: the voting period, owners as stored, CSV writing, percentages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from consult.owners import register
from consult.owners.labels import percent
from consult.owners.rules import DEVELOPER, Home, MatterState, matter_state, owner_digest

T0 = datetime(2026, 12, 1, tzinfo=UTC)
T1 = T0 + timedelta(days=7)
SECOND = timedelta(seconds=1)


def test_voting_runs_from_opening_included_to_closing_excluded():
    assert matter_state(T0, T1, T0 - SECOND) is MatterState.SCHEDULED
    assert matter_state(T0, T1, T0) is MatterState.OPEN
    assert matter_state(T0, T1, T1 - SECOND) is MatterState.OPEN
    assert matter_state(T0, T1, T1) is MatterState.CLOSED


def test_owner_digest_is_the_set_of_names_and_never_ambiguous():
    assert owner_digest(frozenset({"li", "wang"})) == owner_digest(frozenset({"wang", "li"}))
    assert owner_digest(frozenset({"li;wang"})) != owner_digest(frozenset({"li", "wang"}))
    assert owner_digest(frozenset({"a\nb"})) != owner_digest(frozenset({"a", "b"}))
    assert owner_digest(frozenset({"developer"})) != owner_digest(DEVELOPER)
    assert owner_digest(frozenset({"li"})) != owner_digest(frozenset({"li", "wang"}))
    assert len(owner_digest(DEVELOPER)) == 64


def test_register_written_reads_back_exactly():
    homes = [
        Home("1-101", "1号楼", "101", Decimal("89.5"), ("李, 四", 'say "hi"'), False),
        Home("1-102", "1", "102", Decimal("100"), (), True),
    ]
    text = register.format_homes_csv(homes)
    assert text.splitlines()[2] == "1-102,1,102,100.00,,1"
    assert register.parse_homes_csv(text) == homes
    with pytest.raises(ValueError):
        register.format_homes_csv([Home("x", "1", "1", Decimal(1), ("a;b",), False)])


def test_ballots_written_read_back():
    homes = [Home("h1", "1", "1", Decimal(1), ("a",), False)]
    text = register.format_ballots_csv([("h1", "agree", "paper")])
    assert text == "home_id,choice,channel\nh1,agree,paper\n"
    assert register.parse_ballots_csv(text, homes)[frozenset({"a"})].channel == "paper"


@pytest.mark.parametrize(("ratio", "shown"), [
    (Fraction(2, 3), "66.67%"), (Fraction(1, 8), "12.50%"), (Fraction(1, 20000), "0.01%"),
    (Fraction(1, 20001), "0.00%"), (Fraction(0), "0.00%"), (Fraction(1), "100.00%"),
    (Fraction(3, 4), "75.00%"), (Fraction(-1, 3), "-33.33%"),
])
def test_percent_rounds_half_up_without_floats(ratio, shown):
    assert percent(ratio) == shown


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "2026-02-30T09:00", "tomorrow", "",
                                   "2026-01-01T00:00+25:00"])
def test_impossible_times_are_refused_not_crashed(typed):
    from consult.owners.services import parse_when

    assert parse_when(typed) is None


def test_times_without_offset_are_beijing_time():
    from consult.owners.services import parse_when

    assert parse_when("2026-12-01T09:00") == datetime(2026, 12, 1, 1, tzinfo=UTC)
    assert parse_when("2026-12-01T09:00:00+00:00") == datetime(2026, 12, 1, 9, tzinfo=UTC)
