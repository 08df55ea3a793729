"""A web request's transaction (``consult.db.request``): one driver connection, one
transaction, whether the request runs Core statements, ORM work or both.

Runs on a scratch table of its own: a file SQLite database, or (in CI) the PostgreSQL
test database, the table dropped afterwards.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from consult.db import Database, core, make_engine
from consult.db.engine import BoundDatabase


class _Base(DeclarativeBase):  # its own metadata: not part of the app's schema
    pass


class Probe(_Base):
    __tablename__ = "request_probe"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str]


_PROBE = Probe.__table__
_ADD = insert(_PROBE)
_COUNT = select(func.count()).select_from(_PROBE)


@pytest.fixture
def scratch(tmp_path):
    url = os.environ.get("CONSULT_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'request.db'}"
    engine = make_engine(url)
    _Base.metadata.create_all(engine)
    yield engine
    _Base.metadata.drop_all(engine)
    engine.dispose()


def _stored(engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(_PROBE.c.label)).scalars())


def _counting(engine, name: str) -> list[int]:
    seen: list[int] = []
    target = engine.pool if name in ("checkout", "checkin") else engine
    event.listen(target, name, lambda *args: seen.append(1))
    return seen


def test_core_statements_alone_make_no_sqlalchemy_connection(scratch):
    connects = _counting(scratch, "engine_connect")
    checkouts = _counting(scratch, "checkout")
    db = Database(scratch).request_session(write=True)
    core.execute(db, _ADD, {"id": 1, "label": "居民"})
    assert core.execute(db, _COUNT).scalar() == 1
    db.finish(commit=True)
    db.close()
    assert (len(connects), len(checkouts)) == (0, 1)
    assert _stored(scratch) == ["居民"]
    assert scratch.pool.checkedout() == 0


@pytest.mark.parametrize("commit", [True, False])
def test_orm_work_joins_the_same_transaction(scratch, commit):
    checkouts = _counting(scratch, "checkout")
    db = Database(scratch).request_session(write=True)
    core.execute(db, _ADD, {"id": 1, "label": "core"})
    db.add(Probe(id=2, label="orm"))
    db.flush()
    # Each side sees the other's uncommitted row: one connection, one transaction.
    assert core.execute(db, _COUNT).scalar() == 2
    assert db.scalar(select(func.count()).select_from(_PROBE)) == 2
    db.finish(commit=commit)
    db.close()
    assert len(checkouts) == 1 and scratch.pool.checkedout() == 0
    assert _stored(scratch) == (["core", "orm"] if commit else [])


def test_pending_orm_changes_are_flushed_by_finish(scratch):
    db = Database(scratch).request_session(write=True)
    db.add(Probe(id=3, label="added, never flushed"))
    db.finish(commit=True)
    db.close()
    assert _stored(scratch) == ["added, never flushed"]


def test_a_request_closed_without_finishing_changes_nothing(scratch):
    for orm_too in (False, True):
        db = Database(scratch).request_session(write=True)
        core.execute(db, _ADD, {"id": 1, "label": "lost"})
        if orm_too:
            db.add(Probe(id=2, label="lost too"))
            db.flush()
        db.close()  # an exception escaped the route
        assert _stored(scratch) == [] and scratch.pool.checkedout() == 0


def test_sqlite_write_requests_begin_immediate_once(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'trace.db'}")
    _Base.metadata.create_all(engine)
    sql: list[str] = []

    @event.listens_for(engine, "connect")
    def trace(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(sql.append)

    engine.dispose()  # reconnect with the trace on
    for write, begin in ((True, "BEGIN IMMEDIATE"), (False, "BEGIN DEFERRED")):
        sql.clear()
        db = Database(engine).request_session(write=write)
        core.execute(db, _COUNT)
        db.scalar(select(func.count()).select_from(_PROBE))  # the ORM joins: no second BEGIN
        db.finish(commit=True)
        db.close()
        assert [s for s in sql if s.startswith("BEGIN")] == [begin]
        assert sql.count("COMMIT") == 1
    engine.dispose()


def test_inside_a_tests_transaction_each_request_is_a_savepoint(scratch):
    with scratch.connect() as conn:
        outer = conn.begin()
        conn.execute(_ADD, {"id": 1, "label": "arranged by the test"})
        database = BoundDatabase(conn)
        for commit, n in ((False, 2), (True, 4)):
            db = database.request_session(write=True)
            core.execute(db, _ADD, {"id": n, "label": f"core {n}"})
            db.add(Probe(id=n + 1, label=f"orm {n + 1}"))
            db.finish(commit=commit)
            db.close()
        labels = sorted(conn.execute(select(_PROBE.c.label)).scalars())
        assert labels == ["arranged by the test", "core 4", "orm 5"]
        outer.rollback()
    assert _stored(scratch) == []


def test_a_read_request_sees_committed_rows(scratch):
    with scratch.begin() as conn:
        conn.execute(text("INSERT INTO request_probe (id, label) VALUES (7, 'seen')"))
    db = Database(scratch).request_session()
    assert core.execute(db, select(_PROBE.c.label)).scalar() == "seen"
    db.finish(commit=True)
    db.close()


@pytest.mark.parametrize("bound", [False, True], ids=["pooled", "inside a test's transaction"])
@pytest.mark.parametrize("orm_first", [False, True], ids=["core only", "orm too"])
def test_a_rollback_mid_request_undoes_core_statements_too_and_the_request_goes_on(
        scratch, bound, orm_first):
    """A refused form is shown again from the unchanged data (``db.rollback()``), then the
    response's own outcome decides what stays."""
    with scratch.connect() as conn:
        outer = conn.begin() if bound else None
        database = BoundDatabase(conn) if bound else Database(scratch)
        db = database.request_session(write=True)
        core.execute(db, _ADD, {"id": 1, "label": "undone"})
        if orm_first:
            db.add(Probe(id=2, label="undone too"))
            db.flush()
        db.rollback()
        assert core.execute(db, _COUNT).scalar() == 0
        assert db.scalar(select(func.count()).select_from(_PROBE)) == 0
        core.execute(db, _ADD, {"id": 3, "label": "after"})
        db.add(Probe(id=4, label="after, orm"))
        db.finish(commit=True)
        db.close()
        reader = conn if bound else scratch.connect()
        assert sorted(reader.execute(select(_PROBE.c.label)).scalars()) == ["after", "after, orm"]
        if outer is not None:
            outer.rollback()
        else:
            reader.close()
    assert _stored(scratch) == ([] if bound else ["after", "after, orm"])
