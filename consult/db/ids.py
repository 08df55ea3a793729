"""Ids and numbers typed by people, checked before they reach the database.

Only ASCII digits make a number here: Python's ``int()`` and ``str.isdigit()`` also
take superscripts (``²``), full-width, Arabic-Indic and other digits, and ``int('²')``
raises where ``'²'.isdigit()`` said yes. Every id, page and count parser uses these.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import BigInteger, Integer

#: the largest whole number every integer column holds on both databases: id columns
#: are INTEGER, 32-bit on PostgreSQL ("integer out of range" beyond it), and SQLite
#: raises an OverflowError past 2**63 - 1
INT_LIMIT = 2**31 - 1

_WHOLE = re.compile(r"[+-]?[0-9]{1,12}", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def is_digits(text) -> bool:
    """Is ``text`` one or more ASCII digits (and nothing else)?"""
    return isinstance(text, str) and _DIGITS.fullmatch(text) is not None


def parse_id(value) -> int | None:
    """A whole number typed by someone (an id, a page), or None when it is not one or
    does not fit a database integer. A JSON number must be a whole ``int`` (not
    ``true``, ``1.0`` or ``1e400``); text must be ASCII digits with an optional sign."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if -INT_LIMIT <= number <= INT_LIMIT else None


def parse_count(value, maximum: int = INT_LIMIT) -> int | None:
    """A whole number from 0 to ``maximum`` in ASCII digits, or None."""
    number = parse_id(value)
    return number if number is not None and 0 <= number <= maximum else None


def find(db, model, value):
    """The row of ``model`` whose id was typed or picked on a form, or None (not a number,
    or one no database integer holds: PostgreSQL would refuse the query itself)."""
    number = parse_id(value)
    return db.get(model, number) if number is not None else None


# -- random row ids -----------------------------------------------------------------------

#: the column type of a random row id: 64-bit on PostgreSQL; on SQLite INTEGER, so that the
#: id is the table's rowid and the rows are stored in the order of their random ids
RANDOM_ID = BigInteger().with_variant(Integer(), "sqlite")


def random_id() -> int:
    """A row id that says nothing about when the row was written (ballots, survey
    responses and answers): neither the ids nor, on SQLite, the order of the rows tell
    the order of voting or answering. 63 bits: a collision is never expected."""
    return secrets.randbelow(2**63 - 1) + 1
