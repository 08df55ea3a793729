"""``signed_in``: the account a session names and its roles, in one statement."""

from consult import clock
from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.communities import services
from tests import factories


def test_signed_in_gives_the_account_and_the_same_actor_as_actor_for(app, db, settings):
    tree = factories.place_tree(db)
    person = factories.user(db, settings, name="孙丽")
    services.grant_role(db, user=person, role="resident", place=tree["area_a"])
    services.grant_role(db, user=person, role="moderator", place=tree["area_b"])
    expected = services.actor_for(db, person)
    session = accounts.session_digest(accounts.start_session(db, person, clock.utcnow()))
    db.commit()
    uid, version = person.id, person.session_version
    db.expunge_all()

    user, actor = services.signed_in(db, uid, session)
    assert actor == expected and len(actor.roles) == 2
    assert (user.id, user.display_name, user.session_version) == (uid, "孙丽", version)
    assert db.get(User, uid) is user  # attached as if loaded: no second copy
    user.elder_mode = True  # and changes to it are saved like any loaded account's
    db.flush()
    db.expunge_all()
    assert db.get(User, uid).elder_mode is True


def test_an_account_without_roles_an_ended_session_or_no_account(db, settings):
    person = factories.user(db, settings)
    other = factories.user(db, settings)
    key = accounts.start_session(db, person, clock.utcnow())
    theirs = accounts.session_digest(accounts.start_session(db, other, clock.utcnow()))
    db.flush()
    user, actor = services.signed_in(db, person.id, accounts.session_digest(key))
    assert user is person and actor.user_id == person.id and actor.roles == frozenset()
    assert services.signed_in(db, person.id, theirs) is None  # another person's session
    assert services.signed_in(db, person.id + 1000, accounts.session_digest(key)) is None
    accounts.end_session(db, key)
    assert services.signed_in(db, person.id, accounts.session_digest(key)) is None


def test_signed_in_works_as_the_first_thing_a_fresh_process_does(tmp_path):
    """In a new process, as the first statement (before any other ORM query), the account
    comes out complete, aware of its time zone, and its changes are saved."""
    import subprocess
    import sys

    code = f"""
from consult.db import Database, make_engine
from consult.db.migrate import upgrade
url = "sqlite:///{tmp_path / 'fresh.db'}"
upgrade(url)
engine = make_engine(url)
with engine.begin() as c:
    c.exec_driver_sql("INSERT INTO user (login, display_name, session_version, elder_mode, created_at) "
                      "VALUES ('13900000000', 'x', 1, 0, '2026-01-01 00:00:00')")
    c.exec_driver_sql("INSERT INTO user_session (digest, user_id, created_at) "
                      "VALUES ('d', 1, '2026-01-01 00:00:00')")
from consult.communities import services
db = Database(engine).session()
user, actor = services.signed_in(db, 1, "d")
user.display_name = "改名"
db.commit()
db.close()
print(Database(engine).session().get(type(user), 1).display_name, user.created_at.tzinfo)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["改名", "UTC"]
