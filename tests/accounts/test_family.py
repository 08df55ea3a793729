"""Issue 17 item 4, family proxies (亲情账号): consent from both sides (or the person at the
desk), at most 3, acting for the person (never voting), either side ending the link;
and item 2c, the family way back in."""

import pytest
from sqlmodel import select

from consult import permissions
from consult.accounts.models import ActingLog, ActingSession, FamilyLink, PasswordReset, User
from consult.audit.models import AuditEntry
from consult.communities import services as places
from consult.notifications.models import Notification
from tests import factories
from tests.accounts.test_resets import NEW, _assert_reset_done, _other_device_and_token
from tests.conftest import csrf_from, post_form


@pytest.fixture
def fam(db, settings):
    tree = factories.place_tree(db)
    mother = factories.user(db, settings, name="王阿婆")
    places.grant_role(db, user=mother, role="resident", place=tree["area_a"])
    son = factories.user(db, settings, name="王小明")
    moderator = factories.user(db, settings, name="李主任")
    places.grant_role(db, user=moderator, role="moderator", place=tree["area_a"])
    db.flush()
    return {"tree": tree, "mother": mother, "son": son, "moderator": moderator}


def _as(client, user):
    client.cookies.clear()
    factories.sign_in(client, user.login)


def _ask(client, phone):
    return post_form(client, "/account/family", "/account/family/ask", {"phone": phone})


def _link(db):
    db.expire_all()
    return db.exec(select(FamilyLink)).one()


def _active_link(client, db, fam):
    _as(client, fam["son"])
    assert _ask(client, fam["mother"].login).status_code == 303
    link = _link(db)
    _as(client, fam["mother"])
    assert post_form(client, "/account/family", f"/account/family/{link.id}/confirm", {}).status_code == 303
    return _link(db)


def test_family_member_asks_and_the_person_confirms(client, db, fam):
    _as(client, fam["son"])
    assert _ask(client, fam["mother"].login).status_code == 303
    link = _link(db)
    assert (link.status, link.asked_by) == ("pending", "proxy")
    # the asker cannot confirm their own request
    own = post_form(client, "/account/family", f"/account/family/{link.id}/confirm", {})
    assert own.status_code == 403 and _link(db).status == "pending"
    kinds = [n.kind for n in db.exec(select(Notification).where(
        Notification.user_id == fam["mother"].id)).all()]
    assert kinds == ["family_link_requested"]
    _as(client, fam["mother"])
    page = client.get("/account/family")
    assert [p.id for _, p in page.context["helpers"]] == [fam["son"].id]
    assert "请求帮助您" in page.text and f'action="/account/family/{link.id}/confirm"' in page.text
    assert post_form(client, "/account/family", f"/account/family/{link.id}/confirm", {}).status_code == 303
    link = _link(db)
    assert (link.status, link.confirmed_via) == ("active", "self")
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "family_link_confirmed")).one()


def test_the_person_names_and_the_family_member_agrees(client, db, fam):
    _as(client, fam["mother"])
    named = post_form(client, "/account/family", "/account/family/name", {"proxy_phone": fam["son"].login})
    assert named.status_code == 303
    link = _link(db)
    assert post_form(client, "/account/family", f"/account/family/{link.id}/confirm", {}).status_code == 403
    _as(client, fam["son"])
    assert post_form(client, "/account/family", f"/account/family/{link.id}/confirm", {}).status_code == 303
    assert _link(db).status == "active"


def test_the_person_confirms_at_the_desk(client, db, fam):
    _as(client, fam["son"])
    _ask(client, fam["mother"].login)
    link = _link(db)
    _as(client, fam["moderator"])
    record = client.get(f"/staff/people/{fam['mother'].id}")
    assert [lk.id for lk, _ in record.context["family_waiting"]] == [link.id]
    done = post_form(client, f"/staff/people/{fam['mother'].id}",
                     f"/staff/people/{fam['mother'].id}/family/{link.id}/confirm", {})
    assert done.status_code == 303
    link = _link(db)
    assert (link.status, link.confirmed_via, link.confirmed_by) == ("active", "desk", fam["moderator"].id)


def test_a_staff_member_cannot_confirm_their_own_link_at_the_desk(client, db, fam):
    _as(client, fam["moderator"])
    _ask(client, fam["mother"].login)
    link = _link(db)
    refused = post_form(client, f"/staff/people/{fam['mother'].id}",
                        f"/staff/people/{fam['mother'].id}/family/{link.id}/confirm", {})
    assert refused.status_code == 403 and _link(db).status == "pending"


def test_bad_requests_change_nothing(client, db, settings, fam):
    _as(client, fam["son"])
    assert _ask(client, "12345").status_code == 422
    assert _ask(client, "13700009999").status_code == 422  # nobody has it
    assert _ask(client, fam["son"].login).status_code == 422  # oneself
    stranger = factories.user(db, settings, name="非居民")
    not_resident = _ask(client, stranger.login)
    assert not_resident.status_code == 422 and "认证" in not_resident.text
    assert db.exec(select(FamilyLink)).all() == []


def test_at_most_three_family_members(client, db, settings, fam):
    for n in range(3):
        helper = factories.user(db, settings, name=f"家属{n}")
        _as(client, helper)
        assert _ask(client, fam["mother"].login).status_code == 303
    _as(client, fam["son"])
    fourth = _ask(client, fam["mother"].login)
    assert fourth.status_code == 409 and "3" in fourth.context["error"].text
    assert len(db.exec(select(FamilyLink)).all()) == 3


def test_family_member_acts_but_never_votes(client, db, fam):
    link = _active_link(client, db, fam)
    _as(client, fam["son"])
    started = post_form(client, "/account/family", f"/account/family/{link.id}/act", {})
    assert started.status_code == 303
    home = client.get("/")
    actor = home.context["actor"]
    assert home.context["acting"].kind == "family" and "家属" in home.text
    area_path = fam["tree"]["area_a"].ids_from_root
    assert actor.user_id == fam["mother"].id and actor.helper == "family"
    assert permissions.allowed("submit_idea", actor, area_path)
    assert permissions.allowed("answer_survey", actor, area_path)
    assert not permissions.allowed("vote", actor, area_path)
    assert not permissions.allowed("cast_owner_ballot", actor, area_path)
    assert client.get("/account/password").status_code == 403
    assert client.get("/account/family").status_code == 403  # no links made for her meanwhile
    post_form(client, "/account", "/prefs/elder", {"elder": "1", "next": "/"})
    log = db.exec(select(ActingLog)).one()
    assert (log.kind, log.person_id, log.helper_id) == ("family", fam["mother"].id, fam["son"].id)
    ended = post_form(client, "/account", "/assist/end", {})
    assert ended.headers["location"] == "/account/family"
    _as(client, fam["mother"])
    assert "由家属代办" in client.get("/account/helped").text


def test_ending_the_link_stops_a_running_session(client, db, fam, app):
    from starlette.testclient import TestClient

    link = _active_link(client, db, fam)
    _as(client, fam["son"])
    post_form(client, "/account/family", f"/account/family/{link.id}/act", {})
    token = csrf_from(client.get("/account").text)
    mother = TestClient(app, base_url="http://testserver")
    factories.sign_in(mother, fam["mother"].login)
    assert post_form(mother, "/account/family", f"/account/family/{link.id}/end", {}).status_code == 303
    assert _link(db).status == "ended"
    assert db.exec(select(ActingSession)).one().ended_how == "link"
    late = client.post("/prefs/elder", data={"csrf_token": token, "elder": "1", "next": "/"},
                       follow_redirects=False)
    assert late.status_code == 409
    db.expire_all()
    assert not db.get(User, fam["mother"].id).elder_mode and not db.get(User, fam["son"].id).elder_mode
    assert client.get("/account").context["acting"] is None
    kinds = [n.kind for n in db.exec(select(Notification).where(Notification.user_id == fam["son"].id)).all()]
    assert "family_link_ended" in kinds


# -- (c) a family member approves a reset ----------------------------------------------------


def _ask_reset(client, login):
    return post_form(client, "/password/forgot/family", "/password/forgot/family", {"login": login})


def test_forgot_password_family_way_end_to_end(client, db, settings, app, fam):
    from starlette.testclient import TestClient

    link = _active_link(client, db, fam)
    mother = fam["mother"]
    other, _ = _other_device_and_token(db, settings, mother, app)
    client.cookies.clear()
    assert _ask_reset(client, mother.login).status_code == 303
    assert client.get("/password/forgot/family").context["state"] == "waiting"
    too_early = post_form(client, "/password/forgot/family", "/password/forgot/family/set",
                          {"new": NEW, "confirm": NEW})
    assert too_early.status_code == 409
    son = TestClient(app, base_url="http://testserver")
    factories.sign_in(son, fam["son"].login)
    page = son.get("/account/family")
    (request_row, person), = page.context["resets"]
    assert person.id == mother.id
    assert post_form(son, "/account/family", f"/account/family/resets/{request_row.id}",
                     {"approve": "1"}).status_code == 303
    assert client.get("/password/forgot/family").context["state"] == "approved"
    done = post_form(client, "/password/forgot/family", "/password/forgot/family/set",
                     {"new": NEW, "confirm": NEW})
    assert done.status_code == 303 and done.headers["location"] == "/login"
    _assert_reset_done(db, settings, mother, other, "family")
    assert link.id


def test_family_reset_refused_or_without_family(client, db, settings, app, fam):
    from starlette.testclient import TestClient

    _active_link(client, db, fam)
    client.cookies.clear()
    # a number without family: the same answer, and nobody is asked
    lonely = factories.user(db, settings, name="独居")
    assert _ask_reset(client, lonely.login).status_code == 303
    assert db.exec(select(PasswordReset)).all() == []
    post_form(client, "/password/forgot/family", "/password/forgot/family/again", {})
    _ask_reset(client, fam["mother"].login)
    son = TestClient(app, base_url="http://testserver")
    factories.sign_in(son, fam["son"].login)
    row = db.exec(select(PasswordReset)).one()
    assert post_form(son, "/account/family", f"/account/family/resets/{row.id}",
                     {"approve": "0"}).status_code == 303
    assert client.get("/password/forgot/family").context["state"] == "refused"
    again = post_form(son, "/account/family", f"/account/family/resets/{row.id}", {"approve": "1"})
    assert again.status_code in (404, 409)


def test_someone_not_linked_cannot_approve(client, db, settings, app, fam):
    _active_link(client, db, fam)
    client.cookies.clear()
    _ask_reset(client, fam["mother"].login)
    row = db.exec(select(PasswordReset)).one()
    stranger = factories.user(db, settings, name="陌生人")
    _as(client, stranger)
    assert post_form(client, "/account/family", f"/account/family/resets/{row.id}",
                     {"approve": "1"}).status_code == 404
    db.expire_all()
    assert db.get(PasswordReset, row.id).approved_by is None
