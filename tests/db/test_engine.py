"""SQLite under concurrent writers: BEGIN IMMEDIATE makes them wait, not fail."""

import threading

from sqlalchemy import text

from consult.db import Database, make_engine


def test_concurrent_writers_all_succeed(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    database = Database(engine)
    errors: list[Exception] = []

    def bump():
        for _ in range(20):
            try:
                with database.session(write=True) as db:
                    # read-then-write: with a deferred BEGIN two threads could both read,
                    # then one would fail to upgrade its lock ("database is locked").
                    n = db.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                    db.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
                    db.commit()
            except Exception as exc:  # pragma: no cover - the assertion reports it
                errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 160
    engine.dispose()


def test_read_sessions_use_deferred_transactions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    database = Database(engine)
    seen = []
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def spy(dbapi_connection, _record):  # what SQLite itself is asked to run
        dbapi_connection.set_trace_callback(seen.append)

    with database.session() as db:
        db.execute(text("SELECT 1"))
    with database.session(write=True) as db:
        db.execute(text("SELECT 1"))
    assert "BEGIN DEFERRED" in seen and "BEGIN IMMEDIATE" in seen
    engine.dispose()


def test_a_file_database_keeps_a_connection_for_every_endpoint_thread(tmp_path):
    """As many endpoints run at once as pool size + overflow (``consult.web.offloop``): on
    SQLite every one of those connections stays open in the pool, none is opened and
    closed per request (opening one costs more than a cached page)."""
    from sqlalchemy import event

    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}", pool_size=4, max_overflow=4, pool_timeout=5)
    opened = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    for _ in range(3):
        held = [engine.connect() for _ in range(8)]
        for conn in held:
            conn.execute(text("SELECT 1"))
            conn.close()
    assert len(opened) == 8
    assert engine.pool.size() == 8
    engine.dispose()


def test_a_memory_database_takes_no_pool_sizes():
    engine = make_engine("sqlite://", pool_size=2, max_overflow=3, pool_timeout=5)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    engine.dispose()
