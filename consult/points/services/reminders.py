"""Sign-up reminders (issue 19 item 2): the day before an activity, each member signed up
for it (not on the waiting list, not cancelled) is told once, through the notifications
(in the app and, as the person chose, in the day's text-message digest, which keeps quiet
hours). A member without an account is told through their family proxy.

Run from ``python -m consult finalize-due`` (hourly) with its ``now``; the notifications'
``notice_sent`` marker (kind and ``points_activity:<id>``) makes a second run tell nobody
again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock
from consult.notifications import services as notifications
from consult.points.models import Activity, Member, Signup

#: how long before the start a member is reminded
REMIND_BEFORE = timedelta(days=1)
KIND = "points_activity_reminder"


def remind_due(db: Session, now: datetime) -> int:
    """Remind the members of every activity starting within ``REMIND_BEFORE``: how many
    people were told."""
    due = db.exec(select(Activity).where(Activity.cancelled_at.is_(None), Activity.starts_at > now,
                                         Activity.starts_at <= now + REMIND_BEFORE)
                  .order_by(Activity.starts_at, Activity.id)).all()
    told = 0
    for activity in due:
        members = db.exec(select(Member).join(Signup, Signup.member_id == Member.id)
                          .where(Signup.activity_id == activity.id, Signup.status == "confirmed")).all()
        starts = clock.to_local(activity.starts_at).strftime("%Y-%m-%d %H:%M")
        subject, link = f"points_activity:{activity.id}", f"/points/activities/{activity.id}"
        own = {m.user_id for m in members if m.user_id is not None}
        told += notifications.notify_once(db, user_ids=own, kind=KIND, subject=subject, link=link, now=now,
                                          params={"title": activity.title, "starts": starts,
                                                  "venue": activity.venue or "—"})
        for m in members:  # a proxy is told once per member they help, named
            if m.user_id is None and m.proxy_user_id is not None:
                told += notifications.notify_once(
                    db, user_ids={m.proxy_user_id}, kind=KIND, subject=f"{subject}:member:{m.id}",
                    link=link, now=now, params={"title": f"{activity.title}（{m.name}）", "starts": starts,
                                                "venue": activity.venue or "—"})
    return told
