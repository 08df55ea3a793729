"""The staff outbox page for every role, and 退订 recorded at the desk.

The world: sub-district → 恒丰 (area_a) → 恒丰小区; 郑家巷 (area_b) likewise. One notice is
about 恒丰小区, one about 郑家巷小区, and a code about no place (an account matter): staff
see the messages of the places they serve, and those about no place only at the root.
"""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from consult.accounts.models import User
from consult.audit.models import AuditEntry
from consult.communities import services as places
from consult.communities.demo import DEMO_PASSWORD
from consult.communities.models import Place
from consult.demo import load
from consult.messaging import demo as messaging_demo
from consult.messaging import services
from consult.messaging.models import SmsMessage, SmsOptOut
from consult.permissions import ANONYMOUS
from tests import factories
from tests.conftest import csrf_from, post_form
from tests.messaging.conftest import DAYTIME

PHONES = {"a": "13811110001", "b": "13811110002", "code": "13811110003"}
ROLES = {  # name → (role, place key or None)
    "signed_in": (None, None), "resident_in": ("resident", "area_a"), "owner": ("owner", "estate_a"),
    "owners_rep": ("owners_rep", "estate_a"), "expert": ("expert", "area_a"),
    "moderator_in": ("moderator", "area_a"), "moderator_out": ("moderator", "area_b"),
    "moderator_root": ("moderator", "root"), "admin": ("admin", "root"),
}
#: which of the three messages each role sees; None: the page is refused
SEES = {
    "anonymous": None, "signed_in": None, "resident_in": None, "owner": None, "owners_rep": None,
    "expert": None, "moderator_in": {"a"}, "moderator_out": {"b"},
    "moderator_root": {"a", "b", "code"}, "admin": {"a", "b", "code"},
}


@pytest.fixture
def world(db, settings):
    tree = factories.place_tree(db)
    people = {}
    for name, (role, key) in ROLES.items():
        user = factories.user(db, settings, name=name)
        if role:
            places.grant_role(db, user=user, role=role, place=tree[key])
        people[name] = user
    messages = {}
    for key, estate in (("a", "estate_a"), ("b", "estate_b")):
        messages[key] = services.send_sms(db, to=PHONES[key], template="vote_opened",
                                          params={"title": f"{key}议题", "closes": "12月9日"},
                                          kind="notice", now=DAYTIME, place_id=tree[estate].id)
    messages["code"] = services.send_sms(db, to=PHONES["code"], template="verification_code",
                                         params={"code": "135790", "minutes": 10}, kind="code",
                                         now=DAYTIME, address="203.0.113.5")
    db.flush()
    return {"tree": tree, "people": people, "messages": messages}


@pytest.mark.parametrize("who", sorted(SEES))
def test_the_outbox_page_for_every_role(client, world, who):
    if who != "anonymous":
        factories.sign_in(client, world["people"][who].login)
    page = client.get("/staff/messages", follow_redirects=False)
    if SEES[who] is None:
        assert page.status_code == (303 if who == "anonymous" else 403)
        return
    assert page.status_code == 200
    shown = {key for key, message in world["messages"].items()
             if message in [row[0] for row in page.context["rows"]]}
    assert shown == SEES[who]
    for key, phone in PHONES.items():
        assert phone not in page.text  # never a full number
        masked = f"{phone[:3]}****{phone[-4:]}"
        assert (masked in page.text) is (key in SEES[who])
    assert "发件箱模式：短信不会离开本服务器" in page.text


@pytest.mark.parametrize("who", sorted(SEES))
def test_the_outbox_service_for_every_role(db, world, who):
    actor = ANONYMOUS if who == "anonymous" else places.actor_for(db, world["people"][who])
    rows = services.outbox(db, actor)
    shown = {key for key, message in world["messages"].items() if message in [r[0] for r in rows]}
    assert shown == (SEES[who] or set())


def test_the_outbox_shows_status_template_and_text_and_filters(client, world):
    factories.sign_in(client, world["people"]["admin"].login)
    page = client.get("/staff/messages")
    assert "【社区征询】您的验证码为135790" in page.text  # the outbox is the phone
    assert "a议题" in page.text and "回复TD退订" in page.text
    assert "已发送" in page.text
    deferred = client.get("/staff/messages?status=deferred")
    assert deferred.status_code == 200 and deferred.context["rows"] == []
    odd = client.get("/staff/messages?status=<script>")
    assert odd.status_code == 200 and len(odd.context["rows"]) == 3


def test_staff_record_an_unsubscribe_at_the_desk(client, db, world):
    factories.sign_in(client, world["people"]["moderator_in"].login)
    response = post_form(client, "/staff/messages", "/staff/messages/opt-out",
                         {"phone": "138 1111 0001"})
    assert response.status_code == 303 and response.headers["location"] == "/staff/messages"
    assert services.is_opted_out(db, PHONES["a"])
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "sms_opt_out")).one()
    assert entry.actor_id == world["people"]["moderator_in"].id
    assert entry.details == {"phone": "138****0001"}
    page = client.get("/staff/messages")
    assert "138****0001" in page.text and PHONES["a"] not in page.text  # the flash is masked
    again = post_form(client, "/staff/messages", "/staff/messages/opt-out", {"phone": PHONES["a"]})
    assert again.status_code == 303
    assert len(db.exec(select(SmsOptOut)).all()) == 1


@pytest.mark.parametrize("phone", ["", "12345", "１３８abc", "+1 555 0100", "x" * 500])
def test_a_bad_number_is_refused_with_a_message_and_changes_nothing(client, db, world, phone):
    factories.sign_in(client, world["people"]["moderator_in"].login)
    response = post_form(client, "/staff/messages", "/staff/messages/opt-out", {"phone": phone})
    assert response.status_code == 422
    assert "请输入有效的手机号码（11 位，以 1 开头）。" in response.text
    assert db.exec(select(SmsOptOut)).all() == []


@pytest.mark.parametrize("who", ["signed_in", "resident_in", "owners_rep", "expert"])
def test_only_staff_record_an_unsubscribe(client, db, world, who):
    factories.sign_in(client, world["people"][who].login)
    token = csrf_from(client.get("/account").text)
    response = client.post("/staff/messages/opt-out", data={"csrf_token": token, "phone": PHONES["a"]},
                           follow_redirects=False)
    assert response.status_code == 403
    assert not services.is_opted_out(db, PHONES["a"])


def test_the_unsubscribe_form_needs_its_csrf_token(client, db, world):
    factories.sign_in(client, world["people"]["admin"].login)
    response = client.post("/staff/messages/opt-out", data={"phone": PHONES["a"]}, follow_redirects=False)
    assert response.status_code == 403
    assert not services.is_opted_out(db, PHONES["a"])


def test_the_account_page_links_staff_to_the_outbox(client, world):
    factories.sign_in(client, world["people"]["moderator_in"].login)
    assert "/staff/messages" in client.get("/account").text
    client.post("/logout")
    resident = world["people"]["resident_in"]
    factories.sign_in(client, resident.login)
    assert "/staff/messages" not in client.get("/account").text


def test_the_demo_outbox_shows_what_its_events_sent(client, db, settings):
    load(db, settings)
    db.flush()
    factories.sign_in(client, "13800000001", DEMO_PASSWORD)  # the sub-district admin
    page = client.get("/staff/messages")
    statuses = {row[0].status for row in page.context["rows"]}
    assert {"sent", "suppressed", "deferred"} <= statuses
    assert "投票已开始" in page.text and "已退订" in page.text and "13800000007" not in page.text
    # loaded late in the evening, the waiting notice is from tonight, not last night
    for message in db.exec(select(SmsMessage)).all():
        db.delete(message)
    db.flush()
    late = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)  # 22:30 Beijing

    places_by_name = {p.name: p for p in db.exec(select(Place)).all()}
    users = {u.login: u for u in db.exec(select(User).where(User.login.like("1380000000%"))).all()}
    messaging_demo.load(db, places_by_name, users, vote=None, now=late)
    waiting = db.exec(select(SmsMessage).where(SmsMessage.status == "deferred")).one()
    assert waiting.created_at == datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    assert waiting.due_at == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
