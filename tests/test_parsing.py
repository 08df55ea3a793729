"""The shared form parsers: one date-time format everywhere, money exactly in fen, text trimmed."""

from datetime import UTC, datetime

import pytest

from consult import parsing
from consult.consultations import rules as consultation_rules
from consult.voting import rules as voting_rules

NINE_BEIJING = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def test_parse_local_datetime_is_beijing_time():
    assert parsing.parse_local_datetime("2026-03-01T09:00") == NINE_BEIJING
    assert parsing.parse_local_datetime("2026-03-01 09:00") == NINE_BEIJING
    assert parsing.parse_local_datetime("yesterday") is None
    assert parsing.parse_local_datetime("") is None
    assert parsing.parse_local_datetime(None) is None


@pytest.mark.parametrize("text", [
    "2026-03-01T09:00", " 2026-03-01T09:00 ", "2026-03-01 09:00", "2026-03-01T09:00:00",
    "2026-03-01T09:00:00.000000", "2026-03-01T01:00:00+00:00", "2026-03-01T01:00Z",
    "2026-03-01T09:00:00+08:00", "2026-02-28T20:00-05:00",
])
def test_one_format_what_a_datetime_local_field_or_an_iso_client_sends(text):
    assert parsing.parse_local_datetime(text) == NINE_BEIJING


@pytest.mark.parametrize("text", [
    "2026-03-01",  # a date alone is not a time
    "2026-03-01T09", "20260301T0900", "2026/03/01 09:00", "2026-3-1 9:00", "2026-03-01T09:00+0800",
    "2026-02-30T09:00", "2026-03-01T24:00", "２０２６-03-01T09:00", "0001-01-01T07:59",
    "0001-01-01T00:00+08:00", "2026-03-01T09:00\x00", 12,
])
def test_anything_else_is_unreadable_not_an_error(text):
    assert parsing.parse_local_datetime(text) is None


def test_local_input_is_the_inverse_to_the_minute():
    assert parsing.local_input(NINE_BEIJING) == "2026-03-01T09:00"
    assert parsing.local_input(None) == ""
    assert parsing.parse_local_datetime(parsing.local_input(NINE_BEIJING)) == NINE_BEIJING


def test_money_and_text_are_the_same_functions_in_every_domain():
    assert consultation_rules.parse_money is parsing.parse_money
    assert consultation_rules.clean_text is parsing.clean_text
    assert voting_rules.parse_money is parsing.parse_money
    assert parsing.parse_money("3,500.50") == (350050, None)
    assert parsing.parse_money("0.001")[1].text == "Amounts can have at most two decimals (fen)."
    assert parsing.clean_text("  a\r\nb  ") == "a\nb"


@pytest.mark.parametrize(("query", "pattern"), [
    ("充电", "%充电%"),
    ("  电动车   充电 ", "%电动车 充电%"),
    ("50%_off\\", "%50\\%\\_off\\\\%"),
    ("a\x00b", "%a b%"),          # PostgreSQL refuses NUL in text: it reads as a space
    ("\x00\t\x1b", None),          # nothing printable is no search at all
    ("", None), (None, None),
])
def test_a_search_is_a_literal_substring_of_printable_text(query, pattern):
    assert parsing.search_pattern(query) == pattern
