"""Creating and reading notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.i18n import N_, Msg
from consult.notifications import channels
from consult.notifications.models import DigestItem, MessagePreference, NoticeSent, Notification

#: Message templates by kind; other domains add their kinds here.
TEMPLATES: dict[str, str] = {
    "verification_approved": N_("You are now verified as a resident of %(area)s."),
    "verification_refused": N_("Your request to be verified in %(area)s was refused: %(reason)s"),
    "verification_approved_back": N_("You are now verified as a resident of %(area)s: go back to the page you came from and take part."),
    "objection_filed": N_("A resident raised an objection about the results of “%(title)s”. Please answer it."),
    "idea_shortlisted": N_("Your idea “%(title)s” was shortlisted."),
    "idea_revision_requested": N_("Please revise your idea “%(title)s”: %(note)s"),
    "idea_merged": N_("Your idea “%(title)s” was merged into “%(target)s”."),
    "idea_rejected": N_("Your idea “%(title)s” was not taken forward: %(reason)s"),
    "vote_opened": N_("Voting has opened: %(title)s"),
    "vote_closing_soon": N_("Voting closes soon (%(closes)s): %(title)s."),
    "survey_addressed": N_("A survey is addressed to you: %(title)s. It is open until %(closes)s."),
    "vote_results_published": N_("The results of the vote are published: %(title)s"),
    "objection_answered": N_("Your objection about the results of “%(title)s” has been answered."),
    "owner_ballot_voided": N_("Your ballot on “%(title)s” was voided: %(reason)s. You may vote again while voting is open."),
    "owner_link_requested": N_("Your owners' committee asks to link your account to the owner %(name)s of home %(home)s in %(estate)s. Please confirm or refuse it on your owners' page."),
    "owner_linked": N_("Your account is now linked to the owner %(name)s in %(estate)s and can vote for them online."),
    "password_reset_sms": N_("Your password was reset with a code by text message on %(time)s, and every device was signed out. If it was not you, please contact your residents' committee."),
    "password_reset_desk": N_("Your password was reset with a slip from the desk on %(time)s, and every device was signed out. If it was not you, please contact your residents' committee."),
    "password_reset_family": N_("Your password was reset with your family member's approval on %(time)s, and every device was signed out. If it was not you, please contact your residents' committee."),
    "family_link_requested": N_("%(name)s asks to help you as your family member (亲情账号). Confirm or refuse it on your family page, or at your residents' committee."),
    "family_link_offered": N_("%(name)s named you as a family member who may help them (亲情账号). Agree or refuse on your family page."),
    "family_link_active": N_("The family link with %(name)s is in force."),
    "family_link_ended": N_("%(name)s ended your family link."),
    "family_reset_requested": N_("%(name)s forgot their password and asks you to approve a reset. Approve it on your family page only if you know they asked."),
    "verification_waiting": N_("%(name)s asks to be verified as a resident of %(area)s. The request waits in your verification queue."),
    "owner_unlinked": N_("Your account is no longer linked to the owner %(name)s in %(estate)s."),
    "points_activity_cancelled": N_("The activity “%(title)s” was cancelled."),
    "points_place_freed": N_("A place became free: you are now signed up for “%(title)s”."),
    "points_activity_reminder": N_("Reminder: “%(title)s” starts at %(starts)s, at %(venue)s. You are signed up."),
    "points_awarded": N_("Your attendance at “%(title)s” was approved: %(points)s points."),
    "project_rating_open": N_("“%(title)s” was completed: please rate it, 1 to 5 stars."),
    "pledge_received": N_("Your pledge to “%(title)s” has been received. Thank you!"),
    "vote_publish_done": N_("The results of “%(title)s” are published: counting is done and the notice period has started."),
    "vote_publish_failed": N_("Publishing the results of “%(title)s” did not succeed. Open the round's page to see why and try again."),
    "safety_checks_due": N_("Safety checks in your area: %(due)s due soon, %(overdue)s overdue (checks and repairs)."),
}


def notify(db: Session, *, user_id: int, kind: str, params: dict, link: str | None = None) -> None:
    """Tell a person: in the app and/or, gathered into the day's digest, by text message,
    as they chose for the kind's topic (``channels``)."""
    topic, phone, channel = _how_told(db, user_id, kind)
    can_text = bool(phone) and channel != "app" and not _opted_out(db, phone)
    if channels.wants_app(channel, can_text=can_text):
        db.add(Notification(user_id=user_id, kind=kind, params=params, link=link))
    if channels.wants_sms(channel, kind, can_text=can_text):
        db.add(DigestItem(user_id=user_id, kind=kind, topic=topic))


def text_to(db: Session, user_id: int, kind: str) -> str | None:
    """The number to text about ``kind`` when it goes at once from its own domain
    (``channels.SENT_AT_ONCE``), as the person chose for its topic; None if not by text."""
    _topic, phone, channel = _how_told(db, user_id, kind)
    if not phone or channel == "app" or _opted_out(db, phone):
        return None
    return phone


def _how_told(db: Session, user_id: int, kind: str) -> tuple[str, str | None, str]:
    """The kind's topic, the person's number and the channel they chose for the topic."""
    topic = channels.topic_of(kind)
    row = db.execute(_HOW_TOLD, {"uid": user_id, "topic": topic}).first()
    phone, chosen = (row[0], row[1]) if row else (None, None)
    return topic, phone, channels.channel_for(topic, chosen)


def notify_once(db: Session, *, user_ids, kind: str, subject: str, params: dict,
                link: str | None, now: datetime) -> int:
    """Tell each of ``user_ids`` once about ``subject`` (``round:12``): whoever was told
    this kind of it before is skipped (the ``notice_sent`` marker, unique per person,
    kind and subject), so a periodic job may run as often as it likes. The number told."""
    told = set(db.exec(select(NoticeSent.user_id).where(NoticeSent.kind == kind,
                                                       NoticeSent.subject == subject)).all())
    new = sorted(set(user_ids) - told)
    for user_id in new:
        db.add(NoticeSent(user_id=user_id, kind=kind, subject=subject, sent_at=now))
        notify(db, user_id=user_id, kind=kind, params=params, link=link)
    db.flush()
    return len(new)


def _opted_out(db: Session, phone: str) -> bool:
    from consult import messaging

    return messaging.is_opted_out(db, phone)


_USER = User.__table__
_PREF = MessagePreference.__table__
_HOW_TOLD = (select(_USER.c.phone, _PREF.c.channel).select_from(_USER)
             .outerjoin(_PREF, (_PREF.c.user_id == _USER.c.id) & (_PREF.c.topic == bindparam("topic")))
             .where(_USER.c.id == bindparam("uid")))


# -- what people chose -------------------------------------------------------------------------


def preferences_of(db: Session, user_id: int) -> dict[str, str]:
    """Topic → channel, the defaults where the person has not chosen."""
    chosen = dict(db.exec(select(MessagePreference.topic, MessagePreference.channel)
                          .where(MessagePreference.user_id == user_id)).all())
    return {topic: channels.channel_for(topic, chosen.get(topic)) for topic in channels.TOPICS}


def set_preferences(db: Session, user_id: int, choices: dict[str, str]) -> dict[str, str]:
    """Keep the person's choice for each topic given; an unknown topic or channel is refused
    (FieldErrors) and nothing changes."""
    from consult.errors import FieldErrors

    bad = {topic: Msg(N_("Please choose in the app, by text message, or both."))
           for topic, channel in choices.items()
           if topic not in channels.TOPICS or channel not in channels.CHANNELS}
    if bad:
        raise FieldErrors(bad)
    for topic, channel in choices.items():
        row = db.get(MessagePreference, (user_id, topic))
        if row is None:
            db.add(MessagePreference(user_id=user_id, topic=topic, channel=channel))
        else:
            row.channel = channel
            db.add(row)
    db.flush()
    return preferences_of(db, user_id)


# -- the daily digest ---------------------------------------------------------------------------


def send_digests(db: Session, now: datetime) -> list:
    """One text message per person with notifications waiting, if none went to them today
    (Beijing day); not in quiet hours (run ``python -m consult send-digests`` every quarter
    of an hour from 08:00). A digest that failed (provider down) is tried again next run.
    Returns the messages logged."""
    from consult import messaging
    from consult.messaging import rules as sms_rules

    if sms_rules.in_quiet_hours(now):
        return []
    since = channels.day_start(now)
    done = []
    waiting = db.exec(select(DigestItem.user_id).where(DigestItem.sent_at.is_(None))
                      .distinct().order_by(DigestItem.user_id)).all()
    for user_id in waiting:
        already = db.exec(select(messaging.SmsMessage.id).where(
            messaging.SmsMessage.user_id == user_id, messaging.SmsMessage.template == "digest",
            messaging.SmsMessage.created_at >= since,
            messaging.SmsMessage.status.in_(("queued", "sent", "deferred")))).first()
        user = db.get(User, user_id)
        if already is not None or user is None:
            continue
        items = db.exec(select(DigestItem).where(DigestItem.user_id == user_id,
                                                 DigestItem.sent_at.is_(None))
                        .order_by(DigestItem.id)).all()
        if not user.phone:
            for item in items:  # the number was removed since: nothing can go
                item.sent_at = now
                db.add(item)
            continue
        message = messaging.send_sms(
            db, to=user.phone, template="digest", kind="notice", now=now, user_id=user_id,
            params={"count": str(len(items)), "summary": channels.summary([i.topic for i in items])})
        done.append(message)
        if message.status == "failed":
            continue  # tried again on the next run
        for item in items:
            item.sent_at, item.message_id = now, message.id
            db.add(item)
    db.flush()
    return done


def message(note: Notification) -> Msg:
    return Msg(TEMPLATES.get(note.kind, note.kind), note.params)


def unread_count(db: Session, user_id: int) -> int:
    """The badge on every signed-in page: a Core statement built once."""
    return db.execute(_UNREAD, {"uid": user_id}).scalar_one()


_NOTIFICATION = Notification.__table__
_UNREAD = select(func.count()).select_from(_NOTIFICATION).where(
    _NOTIFICATION.c.user_id == bindparam("uid"), _NOTIFICATION.c.read_at.is_(None))


def recent(db: Session, user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.exec(select(Notification).where(Notification.user_id == user_id)
                        .order_by(Notification.id.desc()).limit(limit)).all())


def mark_all_read(db: Session, user_id: int, now: datetime) -> None:
    db.exec(update(Notification).where(Notification.user_id == user_id,
                                       Notification.read_at.is_(None)).values(read_at=now))
