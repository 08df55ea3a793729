"""The demo of issue 17: a managed resident served at the desk, a family proxy, a reset
slip, and the outbox showing what these events sent."""

from sqlmodel import select

from consult.accounts import demo
from consult.accounts.models import ActingLog, FamilyLink, PasswordReset, User
from consult.communities import demo as communities_demo
from consult.messaging.models import SmsMessage
from tests.conftest import csrf_from, post_form


def test_demo(db, settings, client):
    places = communities_demo.load_places(db)
    users = communities_demo.load_people(db, settings, places)
    demo.load(db, settings, places, users)
    managed = db.exec(select(User).where(User.display_name == "钱桂芳")).one()
    assert managed.managed_by == users["13800000002"].id and not managed.can_sign_in
    assert db.exec(select(ActingLog).where(ActingLog.person_id == managed.id)).one().kind == "desk"
    link = db.exec(select(FamilyLink)).one()
    assert (link.person_id, link.proxy_id, link.status) == (
        users["13800000007"].id, users["13800000022"].id, "active")
    assert db.exec(select(PasswordReset)).one().user_id == users["13800000008"].id
    digests = db.exec(select(SmsMessage).where(SmsMessage.template == "digest")).all()
    assert {m.user_id for m in digests} >= {users["13800000007"].id}
    # the moderator sees the managed resident's record and the outbox
    post_form(client, "/login", "/login", {"login": "13800000002", "password": communities_demo.DEMO_PASSWORD})
    record = client.get(f"/staff/people/{managed.id}")
    assert record.status_code == 200 and "窗口代办" in record.text
    assert client.get("/staff/messages").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_from(record.text)})
    # the family member finds 刘秀英 on the family page
    post_form(client, "/login", "/login", {"login": "13800000022", "password": communities_demo.DEMO_PASSWORD})
    page = client.get("/account/family")
    assert [p.display_name for _, p in page.context["helping"]] == ["刘秀英"]
