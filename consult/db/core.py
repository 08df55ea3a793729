"""Core statements on a request's session, for the few queries on every hot path.

The ORM's execution path costs more than SQLite needs to answer a small query by
primary key or index. Statements built once (module-level, with ``bindparam``) and run
here skip it while staying in the request's transaction; pending ORM changes are
flushed first, as the ORM's own autoflush would, so a query never misses a row the
same request has just added.
"""

from __future__ import annotations

from sqlalchemy.engine import Result
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable


def execute(db: Session, statement: Executable, params: dict | list[dict] | None = None) -> Result:
    """Run ``statement`` in the session's transaction (a list of dicts: executemany)."""
    if db.autoflush:
        db.flush()
    return db.connection().execute(statement, params if params is not None else {})
