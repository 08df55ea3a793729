"""Engines and sessions for SQLite and PostgreSQL behind one URL setting.

SQLite is tuned for a web app: WAL so readers never block the writer,
``foreign_keys=ON``, a ``busy_timeout`` and ``synchronous=NORMAL``. pysqlite's own
transaction handling is switched off and SQLAlchemy's ``begin`` event issues BEGIN
instead (the recipe of SQLAlchemy's pysqlite notes, "Serializable isolation /
Savepoints / Transactional DDL"), so savepoints work and a write session can say
``BEGIN IMMEDIATE``: a writer takes the write lock up front and others wait for it
(``busy_timeout``) instead of failing half-way with "database is locked" when a
deferred transaction tries to upgrade its lock. Holding that lock is also what lets a
write read the clock safely: whatever committed before it is older than its ``now``.

Every session comes from a ``sessionmaker`` of :class:`Database`. In tests the
database is bound to one connection inside an outer transaction, and each session
joins it with a savepoint (``join_transaction_mode="create_savepoint"``): what a test
or a request commits is released into the outer transaction, which the test rolls back.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    "PRAGMA synchronous=NORMAL",
)

#: the execution option a write session's engine carries on SQLite
_BEGIN = {"DEFERRED": "BEGIN DEFERRED", "IMMEDIATE": "BEGIN IMMEDIATE"}


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite would BEGIN on its own before some statements: the "begin" event does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        # The recipe's ``conn.exec_driver_sql("BEGIN")``, on the driver's connection: the
        # statement machinery costs more than SQLite's BEGIN itself, on every request.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.connection.dbapi_connection.execute(_BEGIN[mode])


def pool_options(settings) -> dict:
    """The pool settings of ``settings`` for :func:`make_engine`."""
    return {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow,
            "pool_timeout": settings.db_pool_timeout}


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` with the settings this app relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        in_a_file = bool(database) and database != ":memory:"
        if in_a_file:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if in_a_file and "pool_size" in kwargs:
            # A file database has a QueuePool. Opening a SQLite connection (the file, its
            # WAL, the pragmas) costs more than a cached page's whole request, so the pool
            # keeps as many connections as endpoints may run at once (size + overflow,
            # ``consult.web.offloop``) instead of opening and closing the overflow ones
            # on every request.
            kwargs["pool_size"] += kwargs.pop("max_overflow", 0)
            kwargs["max_overflow"] = 0
        elif not in_a_file:  # one connection a thread
            for option in ("pool_size", "max_overflow", "pool_timeout"):
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
    """Hands out sessions: deferred ones for reading, immediate ones for writing.

    ``bind`` is an engine, or (tests) a connection inside an outer transaction that
    every session joins with a savepoint of its own.
    """

    def __init__(self, bind: Engine | Connection):
        self.bind = bind
        self.engine = bind.engine
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if isinstance(bind, Connection):
            self._read = self._write = sessionmaker(
                bind=bind, class_=Session, expire_on_commit=False,
                join_transaction_mode="create_savepoint")
            return
        self._read = sessionmaker(bind=bind, class_=Session, expire_on_commit=False)
        self._write = (sessionmaker(bind=bind.execution_options(sqlite_begin="IMMEDIATE"),
                                    class_=Session, expire_on_commit=False)
                       if self.is_sqlite else self._read)

    def session(self, write: bool = False) -> Session:
        """A new session; its transaction begins with its first statement (on SQLite a
        write session's with ``BEGIN IMMEDIATE``). A read session says so in its ``info``
        (``reads_only``)."""
        session = (self._write if write else self._read)()
        session.info["reads_only"] = not write
        return session


def reads_only(db: Session) -> bool:
    """Was ``db`` handed out for reading (``Database.session(write=False)``: a GET)?

    What such a session reads is what others committed, so a figure computed from it may
    be kept for other requests under a version number it read. A write session's reads
    include its own writes, which may yet be rolled back, and with them the version they
    raised: a figure kept from it could stand later for a version that says otherwise.
    A session made elsewhere (the command line, a job) counts as writing."""
    return db.info.get("reads_only", False)
