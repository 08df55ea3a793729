"""A web request's transaction: on one pooled driver connection, ORM joining when needed.

A hot request (a ballot, a signed-in page) runs a few Core statements on the driver
(``consult.db.core``). An ORM session's own connection for them costs more than the
database's work: a SQLAlchemy ``Connection``, its transaction, pool and transaction
events, the session's state machine, about 0.15 ms a request. So the request's
transaction starts on a pooled driver connection (``BEGIN IMMEDIATE`` for a write on
SQLite; PostgreSQL's driver begins on the first statement), and the request's ORM
session, the first time it needs a connection, gets a ``Connection`` over that same
driver connection. Either way it is one transaction, committed or rolled back once
(``RequestSession.finish``) and the connection returned to the pool (``close``).

Tests run each request inside the test's own transaction (``SavepointTransaction``): a
savepoint instead of a transaction, the ORM joining the test's connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session


class RequestTransaction:
    """The transaction of one request, begun lazily on a pooled driver connection."""

    def __init__(self, engine: Engine, write: bool):
        self.engine = engine
        self.dialect = engine.dialect
        self.handed_over = False  # the ORM session has a Connection over it
        self.ended = False  # finished: later statements (a streamed body) run on their own
        # PostgreSQL's driver begins a transaction by itself on the first statement.
        self._begin = (("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")
                       if self.dialect.name == "sqlite" else None)
        self._fairy: Any = None  # the pool's proxy of the driver connection
        self._bind: Connection | None = None

    def driver(self) -> Any:
        """The driver connection, in this request's transaction."""
        if self._fairy is None:
            self._fairy = self.engine.raw_connection()
        connection = self._fairy.dbapi_connection
        if self._begin is not None and not connection.in_transaction and not self.ended:
            connection.execute(self._begin)
        return connection

    def bind(self) -> Connection:
        """The SQLAlchemy connection the ORM session uses: over the same driver connection.
        The engine's ``begin`` listener sees the transaction already open (see ``engine``)."""
        self.driver()
        if self._bind is None:
            self._bind = Connection(self.engine, connection=self._fairy)
            self.handed_over = True
        return self._bind

    def rollback(self) -> None:
        """Undo the work so far; the request's next statement begins again."""
        if self._fairy is not None:
            self._fairy.dbapi_connection.rollback()

    def finish(self, commit: bool) -> None:
        """Commit or roll back on the driver (a no-op when the ORM session has done it)."""
        self.ended = True
        if self._fairy is not None:
            connection = self._fairy.dbapi_connection
            connection.commit() if commit else connection.rollback()

    def close(self) -> None:
        """Return the driver connection to the pool (the pool rolls back what is left)."""
        fairy, self._fairy, self._bind = self._fairy, None, None
        if fairy is not None:
            fairy.close()


class SavepointTransaction(RequestTransaction):
    """A request's transaction inside an outer one (a test's): a savepoint on its
    connection, the ORM session joining that connection with a savepoint of its own."""

    NAME = "consult_request"

    def __init__(self, connection: Connection):
        super().__init__(connection.engine, write=True)
        self.connection = connection
        self._open = False

    def _run(self, sql: str) -> None:
        cursor = self.connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def driver(self) -> Any:
        if not self._open and not self.ended:
            self._run(f"SAVEPOINT {self.NAME}")
            self._open = True
        return self.connection.connection.dbapi_connection

    def bind(self) -> Connection:
        self.driver()
        self.handed_over = True
        return self.connection

    def _end(self, commit: bool) -> None:
        if self._open:
            if not commit:
                self._run(f"ROLLBACK TO SAVEPOINT {self.NAME}")
            self._run(f"RELEASE SAVEPOINT {self.NAME}")
            self._open = False

    def rollback(self) -> None:
        self._end(commit=False)

    def finish(self, commit: bool) -> None:
        self.ended = True
        self._end(commit)

    def close(self) -> None:
        self._end(commit=False)


class RequestSession(Session):
    """The ORM session of a request, over its ``RequestTransaction``.

    ``consult.db.core`` runs its statements on ``transaction.driver()`` directly; an ORM
    statement or flush asks ``get_bind``, which hands the transaction over. ``finish``
    ends the transaction, ``close`` returns the connection.
    """

    def __init__(self, transaction: RequestTransaction, **options):
        super().__init__(expire_on_commit=False, **options)
        self.transaction = transaction

    def get_bind(self, mapper=None, clause=None, bind=None, **kw) -> Connection:
        return self.transaction.bind()

    def rollback(self) -> None:
        """Undo the request's work so far, Core statements' too (a refused form shown again)."""
        super().rollback()
        self.transaction.rollback()

    def finish(self, commit: bool) -> None:
        """Commit (flushing pending changes) or roll back this request's work."""
        if self.transaction.handed_over or self.new or self.dirty or self.deleted:
            self.commit() if commit else self.rollback()
        self.transaction.finish(commit)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.transaction.close()
