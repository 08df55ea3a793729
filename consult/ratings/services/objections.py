"""Objections to a published scoreboard, filed during its notice period and answered
by a moderator: nobody answers their own objection.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.audit import services as audit
from consult.communities.models import Place
from consult.communities.services import check_decision
from consult.db.ids import find
from consult.errors import Conflict, FieldErrors
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.ratings import rules
from consult.ratings.models import (
    Campaign,
    Objection,
    Subject,
)
from consult.ratings.services.campaigns import campaign_place, require_campaign_action
from consult.ratings.services.common import _get, _require
from consult.surveys.services import acting_path


def file_objection(db: Session, actor: Actor, campaign: Campaign, *, subject_id, text: str,
                   now: datetime) -> Objection:
    require_campaign_action(campaign, "file_objection", now)
    subject = find(db, Subject, subject_id)
    if subject is None or subject.campaign_id != campaign.id:
        raise FieldErrors({"subject_id": Msg(N_("Please choose what your objection is about."))})
    place = db.get(Place, subject.place_id) if subject.place_id else campaign_place(db, campaign)
    _require(actor, "file_objection", acting_path(db, actor, "resident", place))
    if problem := rules.text_problem(text, rules.OBJECTION_MAX, N_("Please write your objection.")):
        raise FieldErrors({"text": problem})
    objection = Objection(campaign_id=campaign.id, subject_id=subject.id, user_id=actor.user_id,
                          text=text.strip(), created_at=now)
    try:
        with db.begin_nested():
            db.add(objection)
    except IntegrityError:
        raise Conflict(N_("You have already filed an objection about this subject."),
                       code="already_objected") from None
    return objection


def objections_of(db: Session, campaign: Campaign) -> list[tuple[Objection, Subject]]:
    return list(db.exec(select(Objection, Subject).join(Subject, Subject.id == Objection.subject_id)
                        .where(Objection.campaign_id == campaign.id).order_by(Objection.id)).all())


OWN_OBJECTION = N_("This is your own objection, so another moderator answers it. Ask a colleague of "
                   "the area or of the sub-district.")


def get_objection(db: Session, objection_id) -> Objection:
    return _get(db, Objection, objection_id)


def answer_objection(db: Session, actor: Actor, objection_id, *, text: str, now: datetime) -> Objection:
    objection = _get(db, Objection, objection_id)
    campaign = db.get(Campaign, objection.campaign_id)
    path = campaign_place(db, campaign).ids_from_root
    _require(actor, "answer_objection", path)
    check_decision("answer_objection", actor, path, objection.user_id, OWN_OBJECTION)
    require_campaign_action(campaign, "answer_objection", now)
    if problem := rules.text_problem(text, rules.OBJECTION_MAX, N_("Please write the answer.")):
        raise FieldErrors({"answer": problem})
    objection.answer, objection.answered_at, objection.answered_by = text.strip(), now, actor.user_id
    db.add(objection)
    audit.record(db, actor_id=actor.user_id, action="answer_objection", target_type="objection",
                 target_id=objection.id, place_id=campaign.place_id)
    return objection
