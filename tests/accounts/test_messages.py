"""Issue 17 item 5: each person chooses per topic how they are told (app, SMS, both), and
text messages come as one digest a day at most; staff are told of waiting work."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from consult.messaging.models import SmsMessage, SmsOptOut
from consult.notifications import channels
from consult.notifications import services as notifications
from consult.notifications.models import DigestItem, Notification
from tests import factories
from tests.conftest import post_form

#: 10:00 Beijing time, and the same day's 20:00 and 22:30; the next morning 08:30
MORNING = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
EVENING = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
NIGHT = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 12, 3, 0, 30, tzinfo=UTC)


def _kinds(db, model, user):
    return [row.kind for row in db.exec(select(model).where(model.user_id == user.id)).all()]


def test_topics_and_defaults():
    assert channels.topic_of("verification_approved") == "account"
    assert channels.topic_of("verification_waiting") == "work"
    assert channels.topic_of("idea_rejected") == "ideas"
    assert channels.topic_of("vote_opened") == "votes"
    assert channels.topic_of("owner_ballot_voided") == "votes"
    assert channels.topic_of("password_reset_desk") == "account"
    assert channels.channel_for("ideas", None) == "app"
    assert channels.channel_for("votes", None) == "both"
    assert channels.channel_for("ideas", "nonsense") == "app"
    # nothing is lost when no text can reach the person
    assert channels.wants_app("sms", can_text=False)
    assert not channels.wants_app("sms", can_text=True)
    assert not channels.wants_sms("both", "password_reset_sms", can_text=True)  # sent at once
    assert channels.summary(["votes", "ideas", "votes"]) == "想法1条、投票2条"
    assert channels.day_start(NIGHT) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)


def test_notify_follows_the_choice(db, settings):
    user = factories.user(db, settings)
    notifications.set_preferences(db, user.id, {"ideas": "sms", "votes": "app"})
    notifications.notify(db, user_id=user.id, kind="idea_shortlisted", params={"title": "花园"})
    notifications.notify(db, user_id=user.id, kind="vote_opened", params={"title": "投票"})
    notifications.notify(db, user_id=user.id, kind="verification_approved", params={"area": "恒丰"})
    db.flush()
    assert _kinds(db, Notification, user) == ["vote_opened", "verification_approved"]
    assert _kinds(db, DigestItem, user) == ["idea_shortlisted", "verification_approved"]


def test_without_a_number_or_after_td_everything_stays_in_the_app(db, settings):
    from consult.accounts import services as accounts

    nobody = accounts.create_user(db, settings, login="staff-wang", display_name="王", password=None)
    notifications.set_preferences(db, nobody.id, {"ideas": "sms"})
    notifications.notify(db, user_id=nobody.id, kind="idea_shortlisted", params={"title": "x"})
    quiet = factories.user(db, settings)
    db.add(SmsOptOut(phone=quiet.phone, source="reply"))
    notifications.set_preferences(db, quiet.id, {"ideas": "sms"})
    notifications.notify(db, user_id=quiet.id, kind="idea_shortlisted", params={"title": "x"})
    db.flush()
    assert _kinds(db, Notification, nobody) == ["idea_shortlisted"]
    assert _kinds(db, Notification, quiet) == ["idea_shortlisted"]
    assert db.exec(select(DigestItem)).all() == []


def test_one_digest_a_day(db, settings):
    user = factories.user(db, settings)
    for title in ("一", "二"):
        notifications.notify(db, user_id=user.id, kind="vote_opened", params={"title": title})
    first = notifications.send_digests(db, MORNING)
    assert [m.template for m in first] == ["digest"]
    assert first[0].params == {"count": "2", "summary": "投票2条"} and first[0].status == "sent"
    # more news the same day waits for tomorrow
    notifications.notify(db, user_id=user.id, kind="vote_results_published", params={"title": "x"})
    assert notifications.send_digests(db, EVENING) == []
    assert notifications.send_digests(db, NIGHT) == []  # quiet hours
    second = notifications.send_digests(db, NEXT_MORNING)
    assert second[0].params == {"count": "1", "summary": "投票1条"}
    assert db.exec(select(DigestItem).where(DigestItem.sent_at.is_(None))).all() == []
    assert len(db.exec(select(SmsMessage).where(SmsMessage.template == "digest")).all()) == 2


def test_a_failed_digest_is_tried_again(db, settings):
    from consult.messaging import services as sms
    from consult.messaging.backends import Delivery, SmsConfig
    from tests.messaging.conftest import Recorder

    down = Recorder(Delivery(ok=False, code="unavailable"))
    sms.use(SmsConfig(backend=down, template_ids={"digest": "SMS_3"}))
    user = factories.user(db, settings)
    notifications.notify(db, user_id=user.id, kind="vote_opened", params={"title": "t"})
    assert notifications.send_digests(db, MORNING)[0].status == "failed"
    down.delivery = Delivery(ok=True, code="OK")
    later = notifications.send_digests(db, MORNING + timedelta(minutes=15))
    assert [m.status for m in later] == ["sent"]


def test_staff_hear_of_waiting_work(client, db, settings):
    from consult.communities import services as places

    tree = factories.place_tree(db)
    moderator = factories.user(db, settings, name="李主任")
    places.grant_role(db, user=moderator, role="moderator", place=tree["area_a"])
    other = factories.user(db, settings, name="外区")
    places.grant_role(db, user=other, role="moderator", place=tree["area_b"])
    person = factories.user(db, settings, name="新居民")
    actor = places.actor_for(db, person)
    places.request_verification(db, actor, person, area_id=tree["area_a"].id)
    db.flush()
    assert _kinds(db, DigestItem, moderator) == ["verification_waiting"]
    assert _kinds(db, DigestItem, other) == []
    assert notifications.send_digests(db, MORNING)[0].params["summary"] == "待办1条"


def test_the_settings_page(client, db, settings):
    user = factories.user(db, settings)
    factories.sign_in(client, user.login)
    page = client.get("/account/messages")
    assert page.status_code == 200 and page.context["prefs"]["votes"] == "both"
    assert "work" not in page.context["topics"]  # staff only
    saved = post_form(client, "/account/messages", "/account/messages",
                      {"topic_votes": "app", "topic_ideas": "sms"})
    assert saved.status_code == 303
    assert notifications.preferences_of(db, user.id)["ideas"] == "sms"
    bad = post_form(client, "/account/messages", "/account/messages", {"topic_votes": "pigeon"})
    assert bad.status_code == 422 and "votes" in bad.context["errors"]
    assert notifications.preferences_of(db, user.id)["votes"] == "app"


def test_taking_back_td_on_the_settings_page(client, db, settings):
    user = factories.user(db, settings)
    db.add(SmsOptOut(phone=user.phone, source="reply"))
    db.flush()
    factories.sign_in(client, user.login)
    page = client.get("/account/messages")
    assert page.context["opted_out"] and 'name="resubscribe"' in page.text
    post_form(client, "/account/messages", "/account/messages", {"resubscribe": "1"})
    assert db.get(SmsOptOut, user.phone) is None


@pytest.mark.parametrize("lang,text", [("en", "How I am told"), ("zh_Hans", "消息提醒方式")])
def test_the_page_in_both_languages(client, db, settings, lang, text):
    factories.sign_in(client, factories.user(db, settings).login)
    client.cookies.set("lang", lang)
    assert text in client.get("/account/messages").text
