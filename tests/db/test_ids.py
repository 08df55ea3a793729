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


def test_find_looks_up_only_ids_a_database_integer_holds(db):
    """On PostgreSQL the query for a larger id would itself fail ("integer out of range")."""
    from consult.communities.models import Place
    from consult.db.ids import find
    from tests import factories

    root = factories.place_tree(db)["root"]
    assert find(db, Place, str(root.id)) is root
    for raw in (str(10**12), "x", "", None, str(INT_LIMIT)):
        assert find(db, Place, raw) is None
