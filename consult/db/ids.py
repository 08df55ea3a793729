"""Ids and numbers typed by people, checked before they reach the database."""

from __future__ import annotations

#: the largest whole number a database integer column holds; SQLite raises an
#: OverflowError (and PostgreSQL an error) for a larger Python int in a query
INT_LIMIT = 2**63 - 1


def parse_id(value) -> int | None:
    """A whole number typed by someone (an id, a page), or None when it is not one or
    does not fit a database integer."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -INT_LIMIT <= number <= INT_LIMIT else None
