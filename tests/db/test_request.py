"""A web request's transaction (``consult.web.db``): one session from ``Database``,
committed at the edge, rolled back on a refusal or an error, on SQLite begun with
``BEGIN IMMEDIATE`` before the route reads the clock.

Runs a small Starlette app over a scratch table of its own: a file SQLite database, or
(in CI) the PostgreSQL test database, the table dropped afterwards.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from consult.db import Database, make_engine
from consult.web.db import DatabaseMiddleware, get_db, keep_writes
from consult.web.offloop import EndpointThreads, off_the_loop
from tests.statements import count_statements


class _Base(DeclarativeBase):  # its own metadata: not part of the app's schema
    pass


class Probe(_Base):
    __tablename__ = "request_probe"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str]


_PROBE = Probe.__table__
_ADD = insert(_PROBE)
_COUNT = select(func.count()).select_from(_PROBE)
#: what the routes did, in order, with (on SQLite, when traced) what SQLite was asked
trace: list[str] = []


async def add(request: Request):
    """A Core insert and an ORM one; answers with the status asked for."""
    trace.append("route")
    db = get_db(request)
    base = int(request.query_params.get("id", "1"))
    db.execute(_ADD, {"id": base, "label": f"core {base}"})
    db.add(Probe(id=base + 1, label=f"orm {base + 1}"))
    if request.query_params.get("keep"):
        keep_writes(request)
    if request.query_params.get("raise"):
        db.flush()
        raise RuntimeError("a bug in the route")
    return PlainTextResponse("done", status_code=int(request.query_params.get("status", "200")))


async def redo(request: Request):
    """A refused first attempt undone mid-request (``db.rollback()``), then other work."""
    db = get_db(request)
    db.execute(_ADD, {"id": 1, "label": "undone"})
    db.add(Probe(id=2, label="undone too"))
    db.flush()
    db.rollback()
    assert db.execute(_COUNT).scalar() == 0
    db.execute(_ADD, {"id": 3, "label": "after"})
    db.add(Probe(id=4, label="after, orm"))
    return PlainTextResponse("done")


async def count(request: Request):
    trace.append("route")
    return PlainTextResponse(str(get_db(request).execute(_COUNT).scalar()))


def _app(database: Database) -> Starlette:
    """The routes run off the event loop as the app's do (``consult.web.offloop``)."""
    app = Starlette(routes=off_the_loop([Route("/add", add, methods=["POST"]),
                                         Route("/redo", redo, methods=["POST"]),
                                         Route("/count", count, methods=["GET", "POST"])]),
                    middleware=[Middleware(DatabaseMiddleware)])
    app.state.database = database
    app.state.endpoint_threads = EndpointThreads(4)
    return app


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


def _checkouts(engine) -> list[int]:
    seen: list[int] = []
    event.listen(engine.pool, "checkout", lambda *args: seen.append(1))
    return seen


@pytest.mark.parametrize("status,kept", [(200, True), (303, True), (400, False), (422, False),
                                         (500, False)])
def test_a_success_commits_and_an_error_answer_changes_nothing(scratch, status, kept):
    checkouts = _checkouts(scratch)
    with TestClient(_app(Database(scratch))) as client:
        response = client.post(f"/add?status={status}", follow_redirects=False)
    assert response.status_code == status
    assert len(checkouts) == 1 and scratch.pool.checkedout() == 0  # one connection, returned
    assert _stored(scratch) == (["core 1", "orm 2"] if kept else [])


def test_an_exception_rolls_back_and_keep_writes_commits_an_error_answer(scratch):
    with TestClient(_app(Database(scratch)), raise_server_exceptions=False) as client:
        assert client.post("/add?raise=1").status_code == 500
        assert _stored(scratch) == [] and scratch.pool.checkedout() == 0
        assert client.post("/add?status=401&keep=1").status_code == 401
    assert _stored(scratch) == ["core 1", "orm 2"]


def test_a_rollback_mid_request_undoes_core_and_orm_work_and_the_request_goes_on(scratch):
    with TestClient(_app(Database(scratch))) as client:
        assert client.post("/redo").status_code == 200
    assert _stored(scratch) == ["after", "after, orm"]


def test_a_read_request_sees_committed_rows(scratch):
    with scratch.begin() as conn:
        conn.execute(_ADD, {"id": 7, "label": "seen"})
    with TestClient(_app(Database(scratch))) as client:
        assert client.get("/count").text == "1"


def test_inside_a_tests_transaction_each_request_is_a_savepoint(scratch):
    """How the suite runs the app: ``Database`` bound to the test's connection."""
    with scratch.connect() as conn:
        outer = conn.begin()
        conn.execute(_ADD, {"id": 100, "label": "arranged by the test"})
        with TestClient(_app(Database(conn))) as client:
            assert client.post("/add?id=1&status=422").status_code == 422  # rolled back to its savepoint
            assert client.post("/add?id=3").status_code == 200  # released into the test's transaction
            assert client.post("/count").text == "3"
        labels = sorted(conn.execute(select(_PROBE.c.label)).scalars())
        assert labels == ["arranged by the test", "core 3", "orm 4"]
        outer.rollback()
    assert _stored(scratch) == []


def test_statements_are_counted_through_sqlalchemys_events(scratch):
    """Core and ORM statements alike: the figures of the benchmarks and the bounds of tests."""
    with TestClient(_app(Database(scratch))) as client, count_statements(scratch) as seen:
        client.post("/add?id=1")
        client.get("/count")
    assert [s.split()[0].upper() for s in seen] == ["INSERT", "INSERT", "SELECT"]


def test_sqlite_write_requests_take_the_lock_before_the_route_runs(tmp_path):
    """``BEGIN IMMEDIATE`` before the route (so before it reads the clock), except for a
    multipart body, whose files are spooled while the form is parsed; reads begin deferred.
    One BEGIN and one COMMIT a request."""
    engine = make_engine(f"sqlite:///{tmp_path / 'trace.db'}")
    _Base.metadata.create_all(engine)

    @event.listens_for(engine, "connect")
    def traced(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(trace.append)

    engine.dispose()  # reconnect with the trace on
    with TestClient(_app(Database(engine))) as client:
        for call, first in ((lambda: client.post("/count", data={"a": "1"}), "BEGIN IMMEDIATE"),
                            (lambda: client.post("/count", files={"f": ("a.txt", b"x")}), "route"),
                            (lambda: client.get("/count"), "route")):
            trace.clear()
            assert call().status_code == 200
            begins = [s for s in trace if s.startswith("BEGIN")]
            assert trace[0] == first and len(begins) == 1 and trace.count("COMMIT") == 1, trace
        assert begins == ["BEGIN DEFERRED"]
    engine.dispose()
