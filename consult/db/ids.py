"""Ids and numbers typed by people, checked before they reach the database."""

from __future__ import annotations

#: the largest whole number every integer column holds on both databases: id columns
#: are INTEGER, 32-bit on PostgreSQL ("integer out of range" beyond it), and SQLite
#: raises an OverflowError past 2**63 - 1
INT_LIMIT = 2**31 - 1


def parse_id(value) -> int | None:
    """A whole number typed by someone (an id, a page), or None when it is not one or
    does not fit a database integer."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -INT_LIMIT <= number <= INT_LIMIT else None


def find(db, model, value):
    """The row of ``model`` whose id was typed or picked on a form, or None (not a number,
    or one no database integer holds: PostgreSQL would refuse the query itself)."""
    number = parse_id(value)
    return db.get(model, number) if number is not None else None
