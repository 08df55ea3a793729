"""Engines and sessions for SQLite and PostgreSQL behind one URL setting.

SQLite is tuned for a web app: WAL so readers never block the writer,
``foreign_keys=ON``, a ``busy_timeout`` and ``synchronous=NORMAL``. Its write
transactions start with ``BEGIN IMMEDIATE``: a writer takes the write lock up
front and others wait for it (``busy_timeout``) instead of failing half-way with
"database is locked" when a deferred transaction tries to upgrade its lock.
"""

from __future__ import annotations

from collections import namedtuple
from functools import lru_cache

from sqlalchemy import Select, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    "PRAGMA synchronous=NORMAL",
)


_BEGIN = {mode: f"BEGIN {mode}" for mode in ("DEFERRED", "IMMEDIATE")}


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        # Straight on the driver's connection: every request begins a transaction, and
        # SQLAlchemy's statement machinery would cost more than SQLite's BEGIN itself.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.connection.dbapi_connection.execute(_BEGIN[mode])


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` with the settings this app relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        _prepare_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Database:
    """Hands out sessions: deferred ones for reading, immediate ones for writing."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._write_engine = (
            engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else engine
        )

    def session(self, write: bool = False) -> Session:
        return Session(self._write_engine if write else self.engine, expire_on_commit=False)

    def quick_row(self, statement: Select, params: dict) -> tuple | None:
        """The first row of a small read, on a pooled driver connection of its own.

        For the one read a cached page still makes to check it is current (the idea
        list's version): SQLAlchemy's session and statement machinery cost several times
        what the database needs to answer it. The statement is compiled once per dialect;
        use it only for plain column types (integers, text), which drivers return as is.
        """
        sql, order, fixed = _compiled(statement, self.engine.dialect)
        values = {**fixed, **params}
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql, tuple(values[name] for name in order) if order is not None else values)
            row = cursor.fetchone()
            cursor.close()
        finally:
            connection.close()
        return None if row is None else _row_type(statement)(*row)


class BoundDatabase(Database):
    """Sessions joined to one outer connection: used by tests to roll back each test."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.engine = connection.engine
        self.is_sqlite = self.engine.dialect.name == "sqlite"

    def session(self, write: bool = False) -> Session:
        return Session(
            bind=self.connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )

    def quick_row(self, statement: Select, params: dict) -> tuple | None:
        row = self.connection.execute(statement, params).first()
        return None if row is None else _row_type(statement)(*row)


@lru_cache(maxsize=64)
def _compiled(statement: Select, dialect) -> tuple[str, tuple[str, ...] | None, dict]:
    """The SQL text in the driver's parameter style, the parameter order if positional,
    and the values the statement itself carries (its literals)."""
    compiled = statement.compile(dialect=dialect)
    order = tuple(compiled.positiontup) if dialect.positional else None
    return compiled.string, order, dict(compiled.params)


@lru_cache(maxsize=64)
def _row_type(statement: Select) -> type:
    return namedtuple("Row", [column.key for column in statement.selected_columns])
