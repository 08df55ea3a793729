"""Engines and sessions for SQLite and PostgreSQL behind one URL setting.

SQLite is tuned for a web app: WAL so readers never block the writer,
``foreign_keys=ON``, a ``busy_timeout`` and ``synchronous=NORMAL``. Its write
transactions start with ``BEGIN IMMEDIATE``: a writer takes the write lock up
front and others wait for it (``busy_timeout``) instead of failing half-way with
"database is locked" when a deferred transaction tries to upgrade its lock.
"""

from __future__ import annotations

from sqlalchemy import Select, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from consult.db import core
from consult.db.request import RequestSession, RequestTransaction, SavepointTransaction

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
        # Straight on the driver's connection: SQLAlchemy's statement machinery would cost
        # more than SQLite's BEGIN itself. A request's transaction is already open on the
        # driver when its ORM session joins it (``consult.db.request``).
        dbapi_connection = conn.connection.dbapi_connection
        if not dbapi_connection.in_transaction:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            dbapi_connection.execute(_BEGIN[mode])


def pool_options(settings) -> dict:
    """The pool settings of ``settings`` for :func:`make_engine` (used on PostgreSQL only)."""
    return {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow,
            "pool_timeout": settings.db_pool_timeout}


_POOL_OPTIONS = ("pool_size", "max_overflow", "pool_timeout")


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` with the settings this app relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        for option in _POOL_OPTIONS:  # SQLite's pool is one connection a thread
            kwargs.pop(option, None)
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

    def request_session(self, write: bool = False) -> RequestSession:
        """The session of one web request: its transaction on one pooled driver connection
        (see ``consult.db.request``), ended by ``finish`` and released by ``close``."""
        return RequestSession(RequestTransaction(self.engine, write))

    def quick_row(self, statement: Select, params: dict) -> tuple | None:
        """The first row of a small read, on a pooled driver connection of its own.

        For the one read a cached page still makes to check it is current (the idea
        list's version): an ORM session and SQLAlchemy's statement machinery cost
        several times what the database needs to answer it. The statement runs as
        ``consult.db.core`` runs its statements (compiled once, types processed).
        """
        connection = self.engine.raw_connection()
        try:
            return self._first_row(connection, statement, params)
        finally:
            connection.close()

    def _first_row(self, dbapi_connection, statement: Select, params: dict) -> tuple | None:
        plan = core.prepare(statement, self.engine.dialect, tuple(params))
        if plan is None:
            raise ValueError("quick_row takes plain statements only (no expanding IN)")
        cursor = dbapi_connection.cursor()
        try:
            rows = core.run(cursor, plan, params)
        finally:
            cursor.close()
        return rows[0] if rows else None


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

    def request_session(self, write: bool = False) -> RequestSession:
        return RequestSession(SavepointTransaction(self.connection),
                              join_transaction_mode="create_savepoint")

    def quick_row(self, statement: Select, params: dict) -> tuple | None:
        return self._first_row(self.connection.connection.dbapi_connection, statement, params)
