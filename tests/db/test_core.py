"""``consult.db.core.execute``: hot statements on the driver's cursor, same values as SQLAlchemy.

Runs on SQLite and, in CI, on PostgreSQL (``CONSULT_TEST_DATABASE_URL``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Boolean, Integer, String, bindparam, func, select
from sqlalchemy.exc import MultipleResultsFound, NoResultFound

from consult.accounts.models import User
from consult.db import core
from tests import factories

_USER = User.__table__
_BY_ID = select(_USER).where(_USER.c.id == bindparam("uid"))


def test_rows_equal_what_sqlalchemy_returns_types_included(db, settings):
    person = factories.user(db, settings, name="王阿姨")
    person.elder_mode = True
    db.flush()
    ours = core.execute(db, _BY_ID, {"uid": person.id}).first()
    theirs = db.connection().execute(_BY_ID, {"uid": person.id}).first()
    assert tuple(ours) == tuple(theirs)
    assert ours.display_name == "王阿姨" and ours.elder_mode is True
    assert ours.created_at.tzinfo is not None and ours.created_at == theirs.created_at


def test_pending_orm_changes_are_flushed_first(db, settings):
    person = factories.user(db, settings)
    person.display_name = "改过的名字"  # not flushed yet
    assert core.execute(db, _BY_ID, {"uid": person.id}).first().display_name == "改过的名字"


def test_parameters_go_through_their_types_and_literals_are_kept(db):
    statement = select(bindparam("when", type_=User.__table__.c.created_at.type).label("when"),
                       bindparam("data", type_=JSON).label("data"),
                       bindparam("flag", type_=Boolean).label("flag"),
                       (bindparam("n", type_=Integer) + 1).label("next"),
                       func.coalesce(bindparam("word", type_=String), "空").label("word"))
    when = datetime(2026, 11, 26, 3, 4, 5, tzinfo=UTC)
    row = core.execute(db, statement, {"when": when, "data": {"a": [1, 2]}, "flag": True,
                                       "n": 41, "word": None}).first()
    assert row.when == when and row.data == {"a": [1, 2]} and row.flag is True
    assert row.next == 42 and row.word == "空"


def test_scalar_helpers_and_executemany(db, settings):
    people = [factories.user(db, settings) for _ in range(2)]
    db.flush()
    ids = [p.id for p in people]
    rename = _USER.update().where(_USER.c.id == bindparam("uid")).values(display_name=bindparam("name"))
    core.execute(db, rename, [{"uid": ids[0], "name": "甲"}, {"uid": ids[1], "name": "乙"}])
    names = select(_USER.c.display_name).where(_USER.c.id.in_(ids)).order_by(_USER.c.id)
    assert [r[0] for r in core.execute(db, names).all()] == ["甲", "乙"]  # IN: SQLAlchemy's path
    one = select(_USER.c.display_name).where(_USER.c.id == bindparam("uid"))
    assert core.execute(db, one, {"uid": ids[1]}).scalar_one() == "乙"
    assert core.execute(db, one, {"uid": -1}).scalar() is None
    with pytest.raises(NoResultFound):
        core.execute(db, one, {"uid": -1}).scalar_one()
    both = select(_USER.c.display_name).where(_USER.c.id >= bindparam("uid"))
    with pytest.raises(MultipleResultsFound):
        core.execute(db, both, {"uid": ids[0]}).scalar_one()


def test_observers_see_each_statement(db, settings):
    person = factories.user(db, settings)
    seen: list[str] = []
    core.observers.append(seen.append)
    try:
        core.execute(db, _BY_ID, {"uid": person.id})
    finally:
        core.observers.remove(seen.append)
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("SELECT")
