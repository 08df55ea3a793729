"""The schema is owned by Alembic: the models and the migrations must agree."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from consult.db.models import metadata
from consult.db.search import modelled


def test_models_match_migrations(connection):
    # The search's FTS5 tables (with their shadow tables) and pg_trgm GIN indexes exist on
    # one database each and have no SQLAlchemy model: left out here, and
    # tests/db/test_search_schema.py checks they are there (see consult/db/search.py).
    context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                           "include_name": modelled})
    diff = compare_metadata(context, metadata)
    assert diff == [], f"models and migrations disagree; write a migration: {diff}"


def test_every_table_exists(connection):
    tables = set(inspect(connection).get_table_names())
    assert set(metadata.tables) <= tables


def test_sqlite_pragmas(engine):
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_uncounted_ballots_are_found_by_their_partial_index(connection):
    """Web ballots are not in ``ix_ballot_round_uncounted``; the queries for paper ballots
    waiting or disputed say ``status <> 'counted'`` so the database can still use it."""
    from sqlalchemy import select

    from consult.voting import UNCOUNTED, Ballot

    if connection.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    query = select(Ballot.serial).where(Ballot.round_id == 1, UNCOUNTED, Ballot.status == "disputed")
    compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
    plan = " ".join(str(row) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "ix_ballot_round_uncounted" in plan
