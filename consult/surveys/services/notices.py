"""Telling the audience (issue 17 item 5): a survey addressed to a person, once.

Run from the daily command (``python -m consult finalize-due``) with its ``now``: each
open survey's audience (``places.audience_members``) hears of it once (the
notifications' ``notice_sent`` marker: running again tells nobody twice).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock
from consult.communities.models import Place
from consult.notifications import services as notifications
from consult.surveys.models import Survey
from consult.surveys.services.places import audience_members


def tell_audiences(db: Session, now: datetime) -> int:
    """Tell the audience of every open survey it is addressed to them: how many were told."""
    told = 0
    rows = db.exec(select(Survey, Place).join(Place, Place.id == Survey.place_id)
                   .where(Survey.opens_at <= now, Survey.closes_at > now).order_by(Survey.id)).all()
    for survey, place in rows:
        closes = clock.to_local(survey.closes_at).strftime("%Y-%m-%d %H:%M")
        told += notifications.notify_once(
            db, user_ids=audience_members(db, survey, place), kind="survey_addressed",
            subject=f"survey:{survey.id}", params={"title": survey.title, "closes": closes},
            link=f"/surveys/{survey.id}", now=now)
    return told
