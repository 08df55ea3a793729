"""Numbers typed by people are checked before they reach a query."""

import pytest

from consult.db.ids import INT_LIMIT, parse_id


@pytest.mark.parametrize("raw, expected", [
    ("42", 42), (" 7 ", 7), ("-3", -3), (str(INT_LIMIT), INT_LIMIT),
    (str(INT_LIMIT + 1), None), (str(10**30), None), ("abc", None), ("", None), (None, None),
    ("1.5", None),
])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected
