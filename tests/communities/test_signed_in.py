"""``signed_in``: the account a session names and its roles, in one statement."""

from consult.accounts.models import User
from consult.communities import services
from tests import factories


def test_signed_in_gives_the_account_and_the_same_actor_as_actor_for(app, db, settings):
    tree = factories.place_tree(db)
    person = factories.user(db, settings, name="孙丽")
    services.grant_role(db, user=person, role="resident", place=tree["area_a"])
    services.grant_role(db, user=person, role="moderator", place=tree["area_b"])
    expected = services.actor_for(db, person)
    db.commit()
    uid, version = person.id, person.session_version
    db.expunge_all()

    user, actor = services.signed_in(db, uid, version)
    assert actor == expected and len(actor.roles) == 2
    assert (user.id, user.display_name, user.session_version) == (uid, "孙丽", version)
    assert db.get(User, uid) is user  # attached as if loaded: no second copy
    user.elder_mode = True  # and changes to it are saved like any loaded account's
    db.flush()
    db.expunge_all()
    assert db.get(User, uid).elder_mode is True


def test_an_account_without_roles_a_revoked_session_or_no_account(db, settings):
    person = factories.user(db, settings)
    db.flush()
    user, actor = services.signed_in(db, person.id, person.session_version)
    assert user is person and actor.user_id == person.id and actor.roles == frozenset()
    assert services.signed_in(db, person.id, person.session_version + 1) is None
    assert services.signed_in(db, person.id + 1000, 1) is None
