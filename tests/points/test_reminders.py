"""Sign-up reminders (issue 19 item 2): each signed-up member with an account (or their
family proxy) is told once, through the notifications (in the app and/or the day's text
digest, which keeps quiet hours), the day before an activity starts."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from consult.notifications.models import DigestItem, NoticeSent, Notification
from consult.points import remind_due
from consult.points.services import activities, clubs
from tests.points.builders import NOW, activity, world


def _reminded(db, user_id):
    return db.exec(select(Notification).where(Notification.user_id == user_id,
                                              Notification.kind == "points_activity_reminder")).all()


def test_signed_up_members_are_reminded_once_the_day_before(db, settings):
    w = world(db, settings, residents=3)
    soon = activity(db, w, starts=NOW + timedelta(hours=20), title="重阳节慰问")
    later = activity(db, w, starts=NOW + timedelta(days=5), title="春游")
    (u0, a0, m0), (u1, a1, m1), (u2, a2, m2) = w.residents
    activities.sign_up(db, a0, w.at, soon, now=NOW)
    activities.sign_up(db, a1, w.at, soon, now=NOW)
    activities.cancel_signup(db, a1, w.at, soon, now=NOW)
    activities.sign_up(db, a2, w.at, later, now=NOW)
    assert remind_due(db, NOW) == 1
    assert remind_due(db, NOW + timedelta(hours=1)) == 0  # once, however often it runs
    [note] = _reminded(db, u0.id)
    assert note.params["title"] == "重阳节慰问" and note.params["starts"]
    assert not _reminded(db, u1.id)  # cancelled
    assert not _reminded(db, u2.id)  # five days away: not yet
    assert remind_due(db, NOW + timedelta(days=4, hours=1)) == 1
    assert len(_reminded(db, u2.id)) == 1


def test_no_reminder_for_a_cancelled_or_started_activity(db, settings):
    w = world(db, settings, residents=2)
    (u0, a0, _), (u1, a1, _) = w.residents
    cancelled = activity(db, w, starts=NOW + timedelta(hours=10), title="讲座")
    activities.sign_up(db, a0, w.at, cancelled, now=NOW)
    activities.cancel_activity(db, w.staff[1], w.at, cancelled, now=NOW)
    started = activity(db, w, starts=NOW + timedelta(hours=2), title="义诊")
    activities.sign_up(db, a1, w.at, started, now=NOW)
    assert remind_due(db, NOW + timedelta(hours=3)) == 0
    assert not _reminded(db, u0.id) and not _reminded(db, u1.id)


def test_a_member_without_an_account_is_reminded_through_their_proxy(db, settings):
    w = world(db, settings, residents=1)
    proxy_user = w.residents[0][0]
    member = clubs.join_at_desk(db, w.staff[1], w.at, name="张奶奶", now=NOW)
    clubs.set_proxy(db, w.staff[1], w.at, member.id, login=proxy_user.login)
    a = activity(db, w, starts=NOW + timedelta(hours=5))
    activities.sign_up(db, w.staff[1], w.at, a, now=NOW, member_id=member.id, channel="phone")
    assert remind_due(db, NOW) == 1
    [note] = _reminded(db, proxy_user.id)
    assert "张奶奶" in note.params["title"]
    assert db.exec(select(NoticeSent).where(NoticeSent.kind == "points_activity_reminder")).all()


def test_the_reminder_goes_by_text_message_in_the_digest(db, settings):
    w = world(db, settings, residents=1)
    user, actor, _ = w.residents[0]
    a = activity(db, w, starts=NOW + timedelta(hours=5))
    activities.sign_up(db, actor, w.at, a, now=NOW)
    remind_due(db, NOW)
    assert user.phone  # the day's digest (send-digests, which keeps quiet hours) carries it
    assert db.exec(select(DigestItem).where(DigestItem.user_id == user.id,
                                            DigestItem.kind == "points_activity_reminder")).all()
