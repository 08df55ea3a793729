"""Issue 14 item 4: an open round's turnout is kept per process, keyed by version numbers
the database raises (migration voting_0013), so a repeat view reads no ballot and a change
shows on the next view, whoever made it.

The numbers are read with Core (``_version``), never from an ORM object the session keeps:
the triggers change rows behind the session's back. Views run as a page's do, in a read
session of their own (``_view``); what a write session counts is never kept.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import replace

import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from consult import clock
from consult.communities import services as places
from consult.db.engine import make_engine
from consult.db.migrate import alembic_config, upgrade
from consult.voting import services
from consult.voting.models import Ballot, RegisterVersion, VoteResult, VoteSettings, new_ballot_id
from consult.voting.rules import RawBallot
from tests import factories
from tests.statements import count_statements
from tests.voting.conftest import (
    add_vote_round,
    close_round,
    ids,
    one_ballot_cast,
    set_settings,
)
from tests.voting.test_secrecy_migration import url  # noqa: F401 (fixture)

BEFORE = "voting_0012_publish_jobs"
#: the module (``services.results`` is its function of the same name)
results = importlib.import_module("consult.voting.services.results")
_BALLOT = re.compile(r"\bballot\b")
TRIGGERS = {
    "sqlite": {f"ballot_version_{event}" for event in ("insert", "delete", "update")}
    | {f"register_version_{table}_{event}" for table in ("place", "role_assignment", "home", "paper_voter")
       for event in ("insert", "delete", "update")},
    "postgresql": {f"ballot_version_{event}" for event in ("insert", "delete", "update", "truncate")}
    | {f"register_version_{table}" for table in ("place", "role_assignment", "home", "paper_voter")},
}


def _triggers(conn) -> set[str]:
    if conn.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:  # in the schema the connection works in (the migration test has one of its own)
        query = ("SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                 "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace")
    return {name for (name,) in conn.exec_driver_sql(query).all()}


def _version(db, world) -> int:
    return db.exec(select(VoteSettings.ballots_version).where(VoteSettings.round_id == world.round.id)).one()


def _register(db) -> dict[str, int]:
    return dict(db.exec(select(RegisterVersion.name, RegisterVersion.version)).all())


def _cast(db, world, who, n=0, actor=None):
    return services.cast(db, actor or world.actor(who), world.people[who], world.load(),
                         RawBallot(choices=ids(world.ideas, n)), world.now)


def _paper(db, world, who="moderator", serial="P-001", n=0, **voter):
    vr = world.load()
    actor = world.actor(who)
    person = services.paper_voter_of(db, actor, vr, **voter)
    return services.enter_paper(db, actor, vr, serial=serial, voter=person,
                                raw=RawBallot(choices=ids(world.ideas, n)), now=world.now)


def _view(database, engine, world, round_id=None):
    """The turnout as its page shows it: a read session of its own (a GET's), the round
    loaded in it; with the statements the turnout itself ran."""
    with database.session() as read:
        vr = services.load_round(read, round_id or world.round.id, clock.utcnow())
        with count_statements(engine) as statements:
            seen = services.turnout(read, None, vr, check=False)
    return seen, statements


def _area(seen):
    [area] = seen.areas
    return area.voted, area.eligible


# -- the numbers ------------------------------------------------------------------------


def test_every_trigger_is_there(connection):
    """A batch rebuild of a table on SQLite drops its triggers silently: this says so."""
    assert TRIGGERS[connection.dialect.name] <= _triggers(connection)


def _rose(db, world, before: int) -> int:
    """The round's version now, checked to be above ``before``. By how much differs: on
    PostgreSQL every UPDATE statement of a ballot raises it (its trigger cannot watch
    columns), on SQLite only one setting a column turnout reads."""
    now = _version(db, world)
    assert now > before
    return now


def test_the_version_rises_with_a_web_ballot_and_a_change_turnout_counts(db, world):
    version = _version(db, world)
    _cast(db, world, "voter")
    version = _rose(db, world, version)
    set_settings(db, world.round.id, assisted_voting=True)
    family = replace(world.actor("voter2"), helper="family", helper_id=world.people["voter"].id)
    _cast(db, world, "voter2", actor=family)  # cast for voter2 by family: flagged
    version = _rose(db, world, version)
    _cast(db, world, "voter2", n=1)  # voter2 changes it themselves: no longer assisted
    assert db.exec(select(Ballot.assisted).where(Ballot.round_id == world.round.id)).all() == [False, False]
    _rose(db, world, version)


def test_the_version_rises_with_paper_entries_their_status_and_deletion(db, world):
    set_settings(db, world.round.id, double_key=True)
    version = _version(db, world)
    voter = {"phone": world.people["voter"].phone}
    _paper(db, world, **voter)  # first entry: pending
    version = _rose(db, world, version)
    _paper(db, world, who="moderator2", **voter)  # the same again: counted
    ballot = db.exec(select(Ballot).where(Ballot.serial == "P-001")).one()
    assert ballot.status == "counted"
    version = _rose(db, world, version)
    other = {"phone": world.people["voter2"].phone}
    _paper(db, world, serial="P-002", **other)
    version = _rose(db, world, version)
    _paper(db, world, who="moderator2", serial="P-002", n=1, **other)
    assert db.exec(select(Ballot.status).where(Ballot.serial == "P-002")).one() == "disputed"
    version = _rose(db, world, version)
    services.resolve_dispute(db, world.actor("admin"), world.load(), serial="P-002", keep="2",
                             now=world.now)
    version = _rose(db, world, version)
    db.delete(ballot)
    db.flush()
    _rose(db, world, version)


def test_one_statement_of_many_ballots_raises_the_version_once_on_postgresql(db, world):
    """A COPY of a city's million ballots (an import, the benchmark's load) is one
    statement: PostgreSQL's statement trigger raises the round's number once for it.
    SQLite has row triggers only: once a ballot."""
    start = _version(db, world)
    day = world.now
    db.execute(sa.insert(Ballot).values([
        {"id": new_ballot_id(), "round_id": world.round.id, "voter_key": f"import:{n}", "channel": "import",
         "status": "counted", "created_at": day, "updated_at": day, "assisted": False}
        for n in range(3)]))
    raised = 1 if db.get_bind().dialect.name == "postgresql" else 3
    assert _version(db, world) == start + raised


def test_another_rounds_ballots_leave_the_version(db, world):
    other = add_vote_round(db, scope=world.tree["area_a"], author=world.people["voter"],
                           opens_at=world.round.opens_at, closes_at=world.round.closes_at)
    start = _version(db, world)
    services.cast(db, world.actor("voter"), world.people["voter"], world.load(other.round),
                  RawBallot(choices=ids(other.ideas, 0)), world.now)
    db.execute(sa.update(Ballot).where(Ballot.round_id == other.round.id).values(status="pending"))
    db.execute(sa.delete(Ballot).where(Ballot.round_id == other.round.id))
    assert _version(db, world) == start
    if db.get_bind().dialect.name == "sqlite":  # PostgreSQL's UPDATE trigger takes any column
        _cast(db, world, "voter")
        start = _version(db, world)
        db.execute(sa.update(Ballot).where(Ballot.round_id == world.round.id).values(line="x"))
        assert _version(db, world) == start


def test_the_register_versions_rise_with_residents_paper_voters_homes_and_places(db, world, settings):
    before = _register(db)
    newcomer = factories.user(db, settings, name="新居民")
    places.grant_role(db, user=newcomer, role="resident", place=world.tree["area_a"])
    after = _register(db)
    assert after["role_assignment"] > before["role_assignment"]
    services.register_paper_voter(db, world.actor("moderator"), world.load(), area_id=world.tree["area_a"].id,
                                  building_group_id="", name="王阿婆", id_last4="123X", now=world.now)
    assert _register(db)["paper_voter"] > after["paper_voter"]
    places.add_home(db, estate=world.tree["estate_a"], building_group=world.tree["group_a"], code="1-102",
                    building="1号楼", room="102", area_hundredths=7000, owners=["某业主"])
    assert _register(db)["home"] > after["home"]
    world.tree["group_a"].position = 5
    db.add(world.tree["group_a"])
    db.flush()
    moved = _register(db)["place"]
    assert moved > after["place"]
    world.tree["group_a"].name = "恒丰一号楼组"  # a name is read anew on every view
    db.add(world.tree["group_a"])
    db.flush()
    assert _register(db)["place"] == moved


# -- the kept turnout -------------------------------------------------------------------


def test_a_repeat_view_of_an_open_round_reads_no_ballot(db, world, database, engine):
    _cast(db, world, "voter")
    first, counted = _view(database, engine, world)
    again, kept = _view(database, engine, world)
    assert any(_BALLOT.search(s) for s in counted)
    assert not any(_BALLOT.search(s) for s in kept) and len(kept) < len(counted)
    assert (again.total, again.by_channel, _area(again)) == (first.total, first.by_channel, _area(first)) \
        == (1, {"web": 1}, (1, 3))
    assert again.areas[0].place.name == "恒丰"


def test_the_turnout_page_reads_no_ballot_when_nothing_changed(client, db, world, engine):
    _cast(db, world, "voter")
    factories.sign_in(client, world.people["moderator"].login)
    page = f"/rounds/{world.round.id}/turnout"
    with count_statements(engine) as counted:
        assert client.get(page).status_code == 200
    with count_statements(engine) as kept:
        shown = client.get(page)
    assert any(_BALLOT.search(s) for s in counted) and not any(_BALLOT.search(s) for s in kept)
    assert shown.context["turnout"].total == 1


def test_a_new_ballot_shows_on_the_next_view(db, world, database, engine):
    _cast(db, world, "voter")
    assert _view(database, engine, world)[0].total == 1
    _cast(db, world, "voter2")
    seen, statements = _view(database, engine, world)
    assert seen.total == 2 and _area(seen) == (2, 3)
    assert any(_BALLOT.search(s) for s in statements)


def test_a_paper_ballot_and_a_deleted_one_show_on_the_next_view(db, world, database, engine):
    _view(database, engine, world)
    _paper(db, world, phone=world.people["voter"].phone)
    assert _view(database, engine, world)[0].by_channel == {"paper": 1}
    db.delete(db.exec(select(Ballot)).one())
    db.flush()
    assert _view(database, engine, world)[0].total == 0


def test_a_new_resident_or_paper_voter_changes_the_eligible_on_the_next_view(db, world, database, engine,
                                                                            settings):
    assert _area(_view(database, engine, world)[0]) == (0, 3)
    newcomer = factories.user(db, settings, name="新居民")
    places.grant_role(db, user=newcomer, role="resident", place=world.tree["area_a"])
    assert _area(_view(database, engine, world)[0]) == (0, 4)
    services.register_paper_voter(db, world.actor("moderator"), world.load(), area_id=world.tree["area_a"].id,
                                  building_group_id="", name="王阿婆", id_last4="123X", now=world.now)
    assert _area(_view(database, engine, world)[0]) == (0, 5)


def test_a_new_home_changes_an_owners_rounds_eligible_on_the_next_view(db, world, database, engine):
    set_settings(db, world.round.id, eligibility="owners")
    assert _view(database, engine, world)[0].eligible_total == 1
    places.add_home(db, estate=world.tree["estate_a"], building_group=world.tree["group_a"], code="1-102",
                    building="1号楼", room="102", area_hundredths=7000, owners=["某业主"])
    assert _view(database, engine, world)[0].eligible_total == 2


def test_a_renamed_place_shows_its_new_name_from_the_kept_turnout(db, world, database, engine):
    _view(database, engine, world)
    world.tree["area_a"].name = "恒丰新村"
    db.add(world.tree["area_a"])
    db.flush()
    seen, statements = _view(database, engine, world)
    assert seen.areas[0].place.name == "恒丰新村" and not any(_BALLOT.search(s) for s in statements)


def test_unsaved_settings_and_write_sessions_count_every_time(db, world, database, engine):
    bare = add_vote_round(db, scope=world.tree["area_a"], author=world.people["voter"],
                          opens_at=world.round.opens_at, closes_at=world.round.closes_at)
    db.delete(db.get(VoteSettings, bare.round.id))
    db.flush()
    for _ in range(2):
        statements = _view(database, engine, world, round_id=bare.round.id)[1]
        assert any(_BALLOT.search(s) for s in statements)
    for _ in range(2):  # the test's own session writes: nothing it counts is kept
        with count_statements(engine) as statements:
            services.turnout(db, None, world.load(), check=False)
        assert any(_BALLOT.search(s) for s in statements)
    assert len(results._TURNOUT) == 0


def test_after_publication_the_kept_result_is_shown_not_the_cache(db, world, database, engine):
    _cast(db, world, "voter")
    close_round(db, world.round)
    before = _view(database, engine, world)[0]  # closed, not published: kept per version
    assert before.total == 1
    services.publish(db, world.actor("moderator"), world.load(), clock.utcnow())
    result = db.exec(select(VoteResult)).one()
    assert result.turnout["total"] == 1
    # publishing changes no version, so the kept turnout's key still matches; the result's
    # own snapshot comes first (altered here to tell them apart)
    result.turnout = {**result.turnout, "total": 7}
    db.add(result)
    db.flush()
    seen, statements = _view(database, engine, world)
    assert seen.total == 7 and not any(_BALLOT.search(s) for s in statements)


# -- the migration ----------------------------------------------------------------------


def test_the_versions_and_their_triggers_come_and_go_keeping_every_ballot(url, settings):  # noqa: F811
    upgrade(url)
    round_id = one_ballot_cast(url, settings, clock.utcnow())
    engine = make_engine(url)
    with engine.connect() as conn:
        assert TRIGGERS[conn.dialect.name] <= _triggers(conn)
        assert conn.execute(sa.text("SELECT ballots_version FROM vote_settings")).scalar() == 1
    engine.dispose()
    command.downgrade(alembic_config(url), BEFORE)
    engine = make_engine(url)
    with engine.connect() as conn:
        counts = [conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in ("ballot", "ballot_choice")]
        columns = {c["name"] for c in sa.inspect(conn).get_columns("vote_settings")}
        tables = set(sa.inspect(conn).get_table_names())
        left = _triggers(conn) & TRIGGERS[conn.dialect.name]
    engine.dispose()
    assert counts == [1, 1] and "ballots_version" not in columns and "register_version" not in tables
    assert left == set()
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT ballots_version FROM vote_settings")).scalar() == 0
        conn.execute(sa.text("UPDATE ballot SET status = 'pending' WHERE round_id = :r"), {"r": round_id})
        assert conn.execute(sa.text("SELECT ballots_version FROM vote_settings")).scalar() == 1
        assert dict(conn.execute(sa.text("SELECT name, version FROM register_version")).all()) == {
            "place": 0, "role_assignment": 0, "home": 0, "paper_voter": 0}
    engine.dispose()
