"""Database access: engines, sessions and migrations."""

from consult.db.engine import Database, make_engine

__all__ = ["Database", "make_engine"]
