"""Migration voting_0004: ballots stored the old way (``user_id``, ``user:<id>`` keys,
sequential ids, exact times) are re-keyed with the app's ballot key, and back.

It runs on a database of its own: a SQLite file, or a schema of its own on the
PostgreSQL server the suite is given.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select

from consult.accounts.models import User
from consult.clock import to_local
from consult.communities import services as places
from consult.db.engine import make_engine
from consult.db.migrate import alembic_config, upgrade
from consult.voting import secrecy, services
from consult.voting.models import Ballot, BallotChoice, PaperEntry, PaperVoter
from tests import factories
from tests.conftest import SECRET_KEY
from tests.voting.conftest import add_vote_round

BEFORE = "voting_0003_paper_voter_account"
SCHEMA = "secrecy_migration"


@pytest.fixture
def url(tmp_path, monkeypatch):
    """A database of this test's own, with the ballot key the suite uses in the environment."""
    monkeypatch.setenv("CONSULT_SECRET_KEY", SECRET_KEY)
    monkeypatch.delenv("CONSULT_BALLOT_KEY", raising=False)
    base = os.environ.get("CONSULT_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    engine = make_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{SCHEMA}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


_OLD_BALLOT = sa.table("ballot", *(sa.column(c) for c in (
    "id", "round_id", "voter_key", "channel", "status", "user_id", "area_id", "building_group_id",
    "serial", "receipt_prefix", "receipt_hash", "created_at", "updated_at", "entered_by")))
_OLD_CHOICE = sa.table("ballot_choice", *(sa.column(c) for c in ("id", "ballot_id", "idea_id", "points", "rank")))


#: the columns later migrations add to ``vote_settings`` (voting_0010, voting_0013)
_LATER_SETTINGS = (("assisted_voting", "BOOLEAN NOT NULL DEFAULT FALSE"),
                   ("ballots_version", "INTEGER NOT NULL DEFAULT 0"))


def _later_settings_columns(engine, add: bool) -> None:
    """The round is made with today's models: the columns later migrations add to
    ``vote_settings`` are there while it is made, and gone before upgrading."""
    with engine.begin() as conn:
        for name, kind in _LATER_SETTINGS:
            change = f"ADD COLUMN {name} {kind}" if add else f"DROP COLUMN {name}"
            conn.execute(sa.text(f"ALTER TABLE vote_settings {change}"))


def test_old_ballots_are_re_keyed_and_back(url, settings):
    upgrade(url)
    command.downgrade(alembic_config(url), BEFORE)  # the ballot tables as they were
    engine = make_engine(url)
    _later_settings_columns(engine, add=True)
    at = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)  # 02:30 on 1 December in Beijing
    with Session(engine) as db:
        tree = factories.place_tree(db)
        voter, owner, staff = (factories.user(db, settings, name=n) for n in ("甲", "乙", "丙"))
        vote = add_vote_round(db, scope=tree["area_a"], author=voter, opens_at=at, closes_at=at)
        home = places.add_home(db, estate=tree["estate_a"], building_group=None, code="1-101",
                               building="1", room="101", area_hundredths=100, owners=["乙"])
        person = PaperVoter(area_id=tree["area_a"].id, name="王阿婆", id_last4="123X")
        db.add(person)
        db.flush()
        rid, idea = vote.round.id, vote.ideas[0].id
        rows = [("user", voter.id, "web", voter.id, None), ("home", home.id, "web", owner.id, None),
                ("paper", person.id, "paper", None, "P-1"), ("import", 7, "import", None, None)]
        for n, (kind, number, channel, user_id, serial) in enumerate(rows, start=1):
            db.execute(_OLD_BALLOT.insert().values(
                id=n, round_id=rid, voter_key=f"{kind}:{number}", channel=channel, status="counted",
                user_id=user_id, serial=serial, created_at=at, updated_at=at,
                entered_by=staff.id if serial else None))
            db.execute(_OLD_CHOICE.insert().values(id=n, ballot_id=n, idea_id=idea, points=n, rank=None))
        db.add(PaperEntry(round_id=rid, serial="P-1", position=1, voter_key=f"paper:{person.id}",
                          choices=[[idea, 3, None]], entered_by=staff.id, entered_at=at))
        db.commit()
        ids = (voter.id, owner.id, home.id, person.id)
    _later_settings_columns(engine, add=False)
    engine.dispose()

    upgrade(url)
    engine = make_engine(url)
    voter_id, owner_id, home_id, person_id = ids
    with Session(engine) as db:
        stored = db.exec(select(Ballot)).all()
        ballots = {b.channel: b for b in stored if b.channel != "web"}
        points = dict(db.exec(select(BallotChoice.ballot_id, BallotChoice.points)).all())
        web = [b for b in stored if b.channel == "web"]
        mine = next(b for b in web if b.cast_by is None)
        home_ballot = next(b for b in web if b.cast_by is not None)
        assert mine.voter_key == secrecy.user_key(rid, voter_id) and points[mine.id] == 1
        assert home_ballot.voter_key == secrecy.home_key(rid, home_id) and points[home_ballot.id] == 2
        assert home_ballot.cast_by == secrecy.user_key(rid, owner_id)
        assert services.own_web_ballot(home_ballot, owner_id) and not services.own_web_ballot(home_ballot, voter_id)
        paper = ballots["paper"]
        # voting_0004 keyed it by the paper voter; voting_0009 made the paper voter a managed
        # resident, and the ballot follows the record's key
        record = db.get(User, db.get(PaperVoter, person_id).user_id)
        assert record.managed_at is not None and record.password_hash is None
        assert paper.voter_key == secrecy.user_key(rid, record.id) and points[paper.id] == 3
        assert db.exec(select(PaperEntry.voter_key)).one() == paper.voter_key
        assert ballots["import"].voter_key == "import:7" and points[ballots["import"].id] == 4
        assert len(stored) == 4
        for ballot in stored:
            assert ballot.id > 4  # new, random ids
            assert to_local(ballot.created_at).isoformat()[:19] == "2026-12-01T00:00:00"
        assert not hasattr(Ballot, "user_id")
    engine.dispose()

    command.downgrade(alembic_config(url), BEFORE)
    engine = make_engine(url)
    with engine.connect() as conn:
        back = conn.execute(sa.select(_OLD_BALLOT.c.voter_key, _OLD_BALLOT.c.user_id)
                            .order_by(_OLD_BALLOT.c.voter_key)).all()
        entry_key = conn.execute(sa.text("SELECT voter_key FROM paper_entry")).scalar_one()
    engine.dispose()
    assert sorted(back) == sorted([(f"home:{home_id}", owner_id), ("import:7", None),
                                   (f"paper:{person_id}", None), (f"user:{voter_id}", voter_id)])
    assert entry_key == f"paper:{person_id}"
