"""Issue 17 item 3: managed residents and acting for a person at the desk (代办): a
30-minute server-side session, a banner on every page, every form logged on the person's
record, staff powers off meanwhile, and a form sent after the end refused."""

from datetime import timedelta

from sqlmodel import select

from consult import clock
from consult.accounts.models import ActingLog, ActingSession, User
from consult.audit.models import AuditEntry
from consult.communities.models import RoleAssignment
from tests import factories
from tests.conftest import csrf_from, post_form


def _add_managed(client, area, name="赵老伯"):
    return post_form(client, "/staff/desk", "/staff/desk/residents",
                     {"name": name, "area_id": str(area.id), "note": "3号楼201"})


def _start(client, person, reason="窗口代办，无智能手机"):
    return post_form(client, f"/staff/people/{person.id}", f"/staff/people/{person.id}/assist",
                     {"reason": reason})


def test_staff_add_a_resident_without_a_login(client, db, desk):
    factories.sign_in(client, desk["moderator"].login)
    response = _add_managed(client, desk["tree"]["area_a"])
    assert response.status_code == 303
    person = db.exec(select(User).where(User.display_name == "赵老伯")).one()
    assert person.password_hash is None and person.phone is None and not person.can_sign_in
    assert person.managed_by == desk["moderator"].id
    role = db.exec(select(RoleAssignment).where(RoleAssignment.user_id == person.id)).one()
    assert (role.role, role.place_id) == ("resident", desk["tree"]["area_a"].id)
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "create_managed_resident")).one()
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and page.context["can_assist"] and page.context["needs_login"]
    # the desk finds them by name
    found = client.get("/staff/desk?q=赵老")
    assert [p.id for p in found.context["people"]] == [person.id]


def test_bad_managed_resident_input_changes_nothing(client, db, desk):
    factories.sign_in(client, desk["moderator"].login)
    before = len(db.exec(select(User)).all())
    assert _add_managed(client, desk["tree"]["area_a"], name="  ").status_code == 422
    outside = _add_managed(client, desk["tree"]["area_b"])
    assert outside.status_code == 403
    bad_area = post_form(client, "/staff/desk", "/staff/desk/residents", {"name": "赵", "area_id": "x"})
    assert bad_area.status_code == 422 and "area_id" in bad_area.context["errors"]
    assert len(db.exec(select(User)).all()) == before


def test_acting_for_a_resident_end_to_end(client, db, desk):
    moderator, resident = desk["moderator"], desk["resident"]
    factories.sign_in(client, moderator.login)
    started = _start(client, resident)
    assert started.status_code == 303
    home = client.get("/")
    assert home.context["acting"].person_name == "王阿婆"
    assert "正在为 王阿婆 代办" in home.text and 'action="/assist/end"' in home.text
    account = client.get("/account")
    assert account.context["user"].id == resident.id and "王阿婆" in account.text
    assert account.context["actor"].helper == "desk"
    # staff powers are off while acting; the person's credentials are out of reach
    assert client.get("/staff/desk").status_code == 403
    assert client.get("/account/password").status_code == 403
    assert client.get("/account/tokens").status_code == 403
    # a form sent is done as the person, and logged on their record
    toggled = post_form(client, "/account", "/prefs/elder", {"elder": "1", "next": "/account"})
    assert toggled.status_code == 303
    db.expire_all()
    assert db.get(User, resident.id).elder_mode and not db.get(User, moderator.id).elder_mode
    entry = db.exec(select(ActingLog)).one()
    assert (entry.person_id, entry.helper_id, entry.kind) == (resident.id, moderator.id, "desk")
    assert entry.action == "set_elder_mode"
    # end: the helper is themselves again, on the person's staff record
    ended = post_form(client, "/account", "/assist/end", {})
    assert ended.status_code == 303 and ended.headers["location"] == f"/staff/people/{resident.id}"
    page = client.get(ended.headers["location"])
    assert page.context["acting"] is None and page.context["user"].id == moderator.id
    assert [s.reason for s, _ in page.context["sessions"]] == ["窗口代办，无智能手机"]
    actions = [e.action for e in db.exec(select(AuditEntry)).all()]
    assert "acting_start_desk" in actions and "acting_end_desk" in actions
    # the resident sees it on their own page
    client.post("/logout", data={"csrf_token": csrf_from(page.text)})
    factories.sign_in(client, resident.login)
    mine = client.get("/account/helped")
    assert mine.status_code == 200 and "由工作人员代办" in mine.text and "李主任" in mine.text


def test_a_form_sent_after_30_minutes_is_refused(client, db, desk):
    moderator, resident = desk["moderator"], desk["resident"]
    factories.sign_in(client, moderator.login)
    _start(client, resident)
    page = client.get("/account")
    token = csrf_from(page.text)
    row = db.exec(select(ActingSession)).one()
    row.expires_at = clock.utcnow() - timedelta(seconds=1)
    db.add(row)
    db.flush()
    late = client.post("/prefs/elder", data={"csrf_token": token, "elder": "1", "next": "/"},
                       follow_redirects=False)
    assert late.status_code == 409 and "30 分钟" in late.text and "没有保存" in late.text
    db.expire_all()
    assert not db.get(User, resident.id).elder_mode and not db.get(User, moderator.id).elder_mode
    assert db.get(ActingSession, row.id).ended_how == "timeout"
    assert db.exec(select(ActingLog)).all() == []
    after = client.get("/account")
    assert after.context["acting"] is None and after.context["user"].id == moderator.id


def test_the_limits_of_acting(client, db, desk):
    moderator = desk["moderator"]
    factories.sign_in(client, moderator.login)
    own = _start(client, moderator)
    assert own.status_code in (403, 404)
    no_reason = _start(client, desk["resident"], reason=" ")
    assert no_reason.status_code == 422 and "reason" in no_reason.context["errors"]
    assert db.exec(select(ActingSession)).all() == []
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/account").text)})
    factories.sign_in(client, desk["outsider"].login)
    assert client.get(f"/staff/people/{desk['resident'].id}").status_code == 404
    assert _start(client, desk["resident"]).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/account").text)})
    factories.sign_in(client, desk["resident"].login)
    assert client.get("/staff/desk").status_code == 403


def test_signing_out_ends_the_session(client, db, desk):
    factories.sign_in(client, desk["moderator"].login)
    _start(client, desk["resident"])
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/account").text)})
    assert db.exec(select(ActingSession)).one().ended_at is not None


def test_a_managed_resident_gets_a_login_and_keeps_their_history(client, db, settings, desk):
    factories.sign_in(client, desk["moderator"].login)
    person_url = _add_managed(client, desk["tree"]["area_a"]).headers["location"]
    person = db.exec(select(User).where(User.display_name == "赵老伯")).one()
    _start(client, person)
    post_form(client, "/account", "/prefs/elder", {"elder": "1", "next": "/"})
    post_form(client, "/account", "/assist/end", {})
    taken = post_form(client, person_url, f"{person_url}/login", {"phone": desk["resident"].login})
    assert taken.status_code == 422 and "另一个账户" in taken.text
    slip = post_form(client, person_url, f"{person_url}/login", {"phone": "137 5555 0001"})
    assert slip.status_code == 303
    code = client.get(slip.headers["location"]).context["code"]
    db.expire_all()
    assert db.get(User, person.id).login == "13755550001"
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/account").text)})
    new = "老伯的新密码很长很长"
    done = post_form(client, "/password/reset", "/password/reset", {
        "login": "13755550001", "code": code, "new": new, "confirm": new})
    assert done.status_code == 303, done.text
    factories.sign_in(client, "13755550001", new)
    mine = client.get("/account/helped")
    assert len(mine.context["log"]) == 1 and mine.context["user"].id == person.id
