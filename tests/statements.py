"""Counting the SQL statements a block runs, through SQLAlchemy's own events.

Used by tests that bound how many statements a page or service needs, and by the
benchmarks (``bench``) for their ``*_queries`` figures.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine

#: transaction control, which SQLAlchemy also runs through a cursor: not counted
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@contextlib.contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL of every statement executed on ``engine`` (any of its
    connections, a test's bound one included) inside the block."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(_CONTROL):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
